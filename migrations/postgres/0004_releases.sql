-- Which data release the database holds (0: unknown, which a non-empty database reads as
-- release 1, the only one shipped before this table), and the batch that applied it, so
-- that reverting that batch returns to the previous release. Kept in step with
-- migrations/sqlite/0004_releases.sql.
create table data_release (
    id       bigint primary key check (id = 1),
    release  bigint not null,
    previous bigint,
    batch    text
);
insert into data_release (id, release) values (1, 0);

-- The same counters as on SQLite (PostgreSQL's identity sequences never reuse an id; these
-- keep both backends handing out ids from 100000 up, above every id a release uses).
create table id_counters (
    name text primary key,
    next bigint not null
);
insert into id_counters (name, next) values ('memberships', 100000), ('agreement_parties', 100000);
