-- A change's batch is assigned by the server; the client's X-Request-Id is kept beside it
-- only as a label (at most 128 characters), never as the unit a revert undoes. Kept in
-- step with migrations/sqlite/0005_change_request_ids.sql.
alter table changes add column request_id text;
