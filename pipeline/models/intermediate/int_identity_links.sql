-- grain: platform, account_id, site, link_kind
-- The websites each account points to or is, normalized (no scheme, no www, no trailing slash), with whether
-- the link is proven: a Mastodon field with verified_at, a Bluesky custom-domain handle (proven by DNS or
-- /.well-known), an archive the executive exported themselves. Blog commenters and citing sites are their URL.
-- Bare domains of big platforms say nothing about who someone is and are left out.
with raw as (
    select platform, account_id, link_kind, value, verified from stg_identity_links
    where link_kind = 'website' and value is not null
    union all
    select platform, account_id, 'self_url', url, false from stg_accounts
    where platform in ('blog', 'web') and url is not null
),
normalized as (
    select
        platform, account_id, link_kind, verified,
        regexp_replace(regexp_replace(lower(trim(value)), '^[a-z]+://(www\.)?', ''), '[/#?]+$', '') as site
    from raw
)
select platform, account_id, site, link_kind, bool_or(verified) as verified
from normalized
where site <> ''
    and site not in ('twitter.com', 'x.com', 'github.com', 'linkedin.com', 'www.linkedin.com', 'facebook.com',
                     'instagram.com', 'youtube.com', 'medium.com', 'substack.com', 'bsky.app', 'bsky.social',
                     'mastodon.social', 'threads.net', 'tiktok.com', 'wordpress.com', 'blogspot.com')
group by all
