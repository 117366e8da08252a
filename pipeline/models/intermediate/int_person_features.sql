-- grain: person_key, source, feature
-- What characterises each person, for labelling spheres: the words of their accounts' bios, the Mastodon
-- instances of their accounts, the hashtags they used in replies and quotes. Once per person and feature.
-- People are named by person_key alone (every int_people id is an account person's, 'p' and 15 hex digits, so it
-- has one), as the spheres' members are: int_sphere_features joins them by it. Without the 16-character ids, at
-- 10M engagements the 3.9M rows took 0.84-0.86 s against 1.33-1.43 s.
select distinct person_key, source, feature from (
    select p.person_key, 'bio' as source, w as feature
    from int_people as p
    join stg_accounts as a using (platform, account_id),
        unnest(regexp_extract_all(lower(coalesce(a.bio, '')), '[[:alpha:]][[:alpha:]]{3,}')) as t(w)
    where w not in ('with', 'that', 'this', 'from', 'have', 'about', 'they', 'their', 'what', 'your', 'notes',
                    'here', 'also', 'into', 'more', 'some', 'them', 'were', 'will', 'when', 'where', 'just', 'https')
    union all
    select p.person_key, 'instance', split_part(p.account_id, '@', 2)
    from int_people as p where p.platform = 'mastodon' and p.account_id like '%@%'
    union all
    select p.person_key, 'hashtag', '#' || tag
    from stg_posts as s
    join int_people as p on p.platform = s.platform and p.account_id = s.author_account_id,
        unnest(s.tags) as u(tag)
)
