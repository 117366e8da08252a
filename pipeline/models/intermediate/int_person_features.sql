-- grain: person_id, source, feature
-- What characterises each person, for labelling spheres: the words of their accounts' bios, the Mastodon
-- instances of their accounts, the hashtags they used in replies and quotes. Once per person and feature.
select distinct person_id, source, feature from (
    select p.person_id, 'bio' as source, w as feature
    from int_people as p
    join stg_accounts as a using (platform, account_id),
        unnest(regexp_extract_all(lower(coalesce(a.bio, '')), '[[:alpha:]][[:alpha:]]{3,}')) as t(w)
    where w not in ('with', 'that', 'this', 'from', 'have', 'about', 'they', 'their', 'what', 'your', 'notes',
                    'here', 'also', 'into', 'more', 'some', 'them', 'were', 'will', 'when', 'where', 'just', 'https')
    union all
    select p.person_id, 'instance', split_part(p.account_id, '@', 2)
    from int_people as p where p.platform = 'mastodon' and p.account_id like '%@%'
    union all
    select p.person_id, 'hashtag', '#' || tag
    from stg_posts as s
    join int_people as p on p.platform = s.platform and p.account_id = s.author_account_id,
        unnest(s.tags) as u(tag)
)
