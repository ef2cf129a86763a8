-- Ids of the events this service has handled (src/events/consumer.rs). The insert into this
-- table and the change an event causes commit together, so a redelivered event finds its id
-- here and is skipped. Rows older than INBOX_RETENTION_HOURS are purged.
create table inbox (
    -- The CloudEvents `source` and `id`: together unique.
    source text not null,
    event_id text not null,
    event_type text not null,
    received_at timestamptz not null default now(),
    primary key (source, event_id)
);

create index inbox_received_at on inbox (event_type, received_at);
