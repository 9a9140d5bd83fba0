-- Kept in step with migrations/postgres/0006_writers_apart.sql, which splits the data
-- version into counters and takes server-assigned ids from sequences so that concurrent
-- PostgreSQL writers never wait on one row. SQLite has one writer at a time (BEGIN
-- IMMEDIATE): it keeps the single data_version row and the id_counters table.
select 1;
