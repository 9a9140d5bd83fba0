-- Which data release the database holds (0: unknown, which a non-empty database reads as
-- release 1, the only one shipped before this table), and the batch that applied it, so
-- that reverting that batch returns to the previous release. Kept in step with
-- migrations/postgres/0004_releases.sql.
create table data_release (
    id       integer primary key check (id = 1),
    release  integer not null,
    previous integer,
    batch    text
);
insert into data_release (id, release) values (1, 0);

-- Ids handed out by the server are never reused (SQLite would reuse a deleted row's id),
-- and start at 100000, above every id a data release uses (M001.., P001..), so that a
-- curator's new row never collides with a later release's.
create table id_counters (
    name text primary key,
    next integer not null
);
insert into id_counters (name, next) values ('memberships', 100000), ('agreement_parties', 100000);
