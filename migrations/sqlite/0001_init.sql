-- pacts schema, version 1. Kept in step with migrations/postgres/0001_init.sql: a test checks
-- that both folders hold the same file names, and the HTTP suite runs on both backends.

create table sources (
    slug       text primary key check (slug <> '' and slug not glob '*[^a-z0-9-]*'),
    title      text not null check (title <> ''),
    url        text,
    publisher  text,
    kind       text check (kind in ('article', 'official', 'official_copy', 'news', 'wikipedia',
                   'wikipedia_mirror', 'data', 'database', 'knowledge', 'negative_result', 'analysis', 'reference')),
    supports   text
);

create table states (
    code          text primary key check (length(code) = 2 and upper(code) = code),
    iso3          text not null unique check (length(iso3) = 3 and upper(iso3) = iso3),
    iso_numeric   text check (length(iso_numeric) = 3),
    name          text not null check (name <> ''),
    official_name text,
    region        text check (region in ('central_asia', 'caucasus', 'europe', 'east_asia', 'south_asia',
                      'southeast_asia', 'middle_east', 'north_america', 'caribbean', 'south_america',
                      'africa', 'oceania')),
    central_asian boolean not null default false,
    un_member     boolean,
    wikidata_id   text,
    cow_code      integer,
    note          text,
    confidence    text not null default 'unverified' check (confidence in ('confirmed', 'likely', 'unverified'))
);
create index states_region on states (region);

create table organisations (
    slug                text primary key check (slug <> ''),
    acronym             text,
    name                text not null check (name <> ''),
    aliases             text not null default '[]',
    kind                text check (kind in ('military_alliance', 'regional_organisation', 'economic_union',
                            'programme', 'dialogue_forum', 'dialogue_format', 'confidence_building_forum',
                            'initiative', 'legal_status')),
    founded_on          date,
    founded_precision   text not null default 'day' check (founded_precision in ('day', 'month', 'year')),
    ended_on            date,
    ended_precision     text not null default 'day' check (ended_precision in ('day', 'month', 'year')),
    headquarters        text,
    predecessor         text references organisations (slug) deferrable initially deferred,
    successor           text references organisations (slug) deferrable initially deferred,
    parent              text references organisations (slug) deferrable initially deferred,
    membership_coverage text not null default 'complete' check (membership_coverage in ('complete', 'partial')),
    coverage_note       text,
    size_note           text,
    in_article          text,
    summary             text,
    confidence          text not null default 'unverified' check (confidence in ('confirmed', 'likely', 'unverified')),
    check (ended_on is null or founded_on is null or ended_on > founded_on)
);
create index organisations_kind on organisations (kind);

create table agreements (
    slug               text primary key check (slug <> ''),
    name               text not null check (name <> ''),
    short_name         text,
    kind               text check (kind in ('treaty', 'charter', 'protocol', 'convention', 'declaration',
                           'joint_declaration', 'framework_document', 'bilateral_agreement', 'accession_treaty',
                           'agreement', 'un_resolution')),
    place_signed       text,
    signed_on          date,
    signed_precision   text not null default 'day' check (signed_precision in ('day', 'month', 'year')),
    in_force_on        date,
    in_force_precision text not null default 'day' check (in_force_precision in ('day', 'month', 'year')),
    ended_on           date,
    ended_precision    text not null default 'day' check (ended_precision in ('day', 'month', 'year')),
    end_note           text,
    governs            text references organisations (slug),
    founds             text references organisations (slug),
    status             text check (status in ('in_force', 'signed', 'spent', 'superseded', 'terminated', 'unknown')),
    summary            text,
    confidence         text not null default 'unverified' check (confidence in ('confirmed', 'likely', 'unverified')),
    check (ended_on is null or signed_on is null or ended_on > signed_on)
);
create index agreements_governs on agreements (governs);
create index agreements_founds on agreements (founds);

create table memberships (
    id                  integer primary key,
    state               text not null references states (code),
    organisation        text not null references organisations (slug),
    role                text not null check (role in ('member', 'associate_member', 'observer', 'dialogue_partner',
                            'partner', 'participating_state', 'participant', 'pa_observer', 'holder')),
    founding            boolean not null default false,
    joined_on           date not null,
    joined_precision    text not null default 'day' check (joined_precision in ('day', 'month', 'year')),
    left_on             date,
    left_precision      text not null default 'day' check (left_precision in ('day', 'month', 'year')),
    end_reason          text,
    participation       text not null default 'active' check (participation in ('active', 'frozen', 'suspended', 'inactive')),
    participation_since date,
    note                text,
    confidence          text not null default 'unverified' check (confidence in ('confirmed', 'likely', 'unverified')),
    check (left_on is null or left_on > joined_on)
);
create index memberships_organisation on memberships (organisation, joined_on);
create index memberships_state on memberships (state, organisation, role);

create table agreement_parties (
    id                 integer primary key,
    agreement          text not null references agreements (slug),
    state              text not null references states (code),
    role               text not null check (role in ('party', 'signatory', 'subject', 'host', 'acceded', 'guarantor')),
    signed_on          date,
    signed_precision   text not null default 'day' check (signed_precision in ('day', 'month', 'year')),
    ratified_on        date,
    ratified_precision text not null default 'day' check (ratified_precision in ('day', 'month', 'year')),
    left_on            date,
    left_precision     text not null default 'day' check (left_precision in ('day', 'month', 'year')),
    left_reason        text,
    note               text,
    confidence         text not null default 'unverified' check (confidence in ('confirmed', 'likely', 'unverified')),
    check (left_on is null or signed_on is null or left_on > signed_on)
);
create index agreement_parties_agreement on agreement_parties (agreement);
create index agreement_parties_state on agreement_parties (state);

create table claims (
    id              text primary key check (id <> ''),
    section_heading text not null check (section_heading <> ''),
    claim           text not null check (claim <> ''),
    verdict         text not null check (verdict in ('correct', 'correct_but_imprecise', 'correct_but_incomplete',
                        'vague', 'misleading', 'wrong', 'unverifiable')),
    what_is_true    text,
    related         text not null default '[]',
    confidence      text not null default 'unverified' check (confidence in ('confirmed', 'likely', 'unverified'))
);

-- Which sources stand behind each fact, in the order given. Deleting a fact takes its links;
-- a source that is still cited cannot be deleted (the API answers 409 or, with cascade, unlinks it).
create table state_sources (
    fact text not null references states (code) on delete cascade,
    source text not null references sources (slug),
    position integer not null,
    primary key (fact, source)
);
create table organisation_sources (
    fact text not null references organisations (slug) on delete cascade,
    source text not null references sources (slug),
    position integer not null,
    primary key (fact, source)
);
create table agreement_sources (
    fact text not null references agreements (slug) on delete cascade,
    source text not null references sources (slug),
    position integer not null,
    primary key (fact, source)
);
create table membership_sources (
    fact integer not null references memberships (id) on delete cascade,
    source text not null references sources (slug),
    position integer not null,
    primary key (fact, source)
);
create table agreement_party_sources (
    fact integer not null references agreement_parties (id) on delete cascade,
    source text not null references sources (slug),
    position integer not null,
    primary key (fact, source)
);
create table claim_sources (
    fact text not null references claims (id) on delete cascade,
    source text not null references sources (slug),
    position integer not null,
    primary key (fact, source)
);
create index state_sources_source on state_sources (source);
create index organisation_sources_source on organisation_sources (source);
create index agreement_sources_source on agreement_sources (source);
create index membership_sources_source on membership_sources (source);
create index agreement_party_sources_source on agreement_party_sources (source);
create index claim_sources_source on claim_sources (source);

-- Write tokens. Only a SHA-256 hash of each token is kept; `lookup` is the token's public
-- prefix, used to find the row before the hash is compared in constant time.
create table api_tokens (
    id         integer primary key,
    name       text not null unique check (name <> ''),
    lookup     text not null unique,
    hash       text not null,
    created_at text not null,
    revoked_at text
);
