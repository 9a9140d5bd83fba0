-- Case-folded search text for `q=` (computed by pacts in Rust, so that non-ASCII names fold
-- the same way on both backends), and the data version that ETags are derived from.
-- Kept in step with migrations/postgres/0002_search_and_version.sql.

alter table states add column search text;
alter table organisations add column search text;
alter table agreements add column search text;
alter table memberships add column search text;
alter table agreement_parties add column search text;
alter table sources add column search text;
alter table claims add column search text;

-- One row; every write transaction increments `version`.
create table data_version (
    id      integer primary key check (id = 1),
    version bigint not null
);
insert into data_version (id, version) values (1, 1);
