-- The change log (every write, with the item before and after, in the write's own
-- transaction) and stored answers to POSTs sent with an Idempotency-Key.
-- Kept in step with migrations/postgres/0003_changes_and_idempotency.sql.

create table changes (
    id         integer primary key,
    batch      text not null,
    at         text not null,
    token      text not null,
    collection text not null,
    item_key   text not null,
    action     text not null check (action in ('create', 'replace', 'delete')),
    before     text,
    after      text,
    reverts    integer,
    check (before is not null or after is not null)
);
create index changes_item on changes (collection, item_key);
create index changes_batch on changes (batch);

create table idempotency_keys (
    token        text not null,
    idem_key     text not null,
    request_hash text not null,
    status       integer not null,
    location     text,
    body         text not null,
    created_at   text not null,
    primary key (token, idem_key)
);
