-- grain: person_id, source, feature
-- What characterises each person, for labelling spheres: the words of their accounts' bios, the Mastodon
-- instances of their accounts, the hashtags they used in replies and quotes. Once per person and feature.
-- person_key: the id as a number, by which the spheres' counts join the members (int_sphere_features: at 10M
-- engagements 7.1M members joined by key rather than by the 16-character id).
select distinct person_id, person_key, source, feature from (
    select p.person_id, p.person_key, 'bio' as source, w as feature
    from int_people as p
    join stg_accounts as a using (platform, account_id),
        unnest(regexp_extract_all(lower(coalesce(a.bio, '')), '[[:alpha:]][[:alpha:]]{3,}')) as t(w)
    where w not in ('with', 'that', 'this', 'from', 'have', 'about', 'they', 'their', 'what', 'your', 'notes',
                    'here', 'also', 'into', 'more', 'some', 'them', 'were', 'will', 'when', 'where', 'just', 'https')
    union all
    select p.person_id, p.person_key, 'instance', split_part(p.account_id, '@', 2)
    from int_people as p where p.platform = 'mastodon' and p.account_id like '%@%'
    union all
    select p.person_id, p.person_key, 'hashtag', '#' || tag
    from stg_posts as s
    join int_people as p on p.platform = s.platform and p.account_id = s.author_account_id,
        unnest(s.tags) as u(tag)
)
