-- Writers that do not touch the same keys no longer wait for each other (or for a peer
-- that froze inside its transaction), so nothing every write updates may be a single row:
-- * the data version becomes 16 counters whose sum is the version; a writer bumps
--   whichever one no other open transaction holds (`for update skip locked`);
-- * server-assigned ids come from sequences, which never wait (the counters in
--   `id_counters` stay where they are, for reference; SQLite, with one writer at a time,
--   keeps using them).
alter table data_version drop constraint data_version_id_check;
alter table data_version add constraint data_version_id_range check (id between 1 and 16);
insert into data_version (id, version) select g, 0 from generate_series(2, 16) as g;

create sequence memberships_next_id;
select setval('memberships_next_id', (select next from id_counters where name = 'memberships'), false);
create sequence agreement_parties_next_id;
select setval('agreement_parties_next_id', (select next from id_counters where name = 'agreement_parties'), false);
