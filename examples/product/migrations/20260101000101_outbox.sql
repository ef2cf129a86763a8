-- The transactional outbox: events are written here in the same transaction as the change they
-- describe (src/events/outbox.rs), and published to NATS by the relay (src/events/relay.rs).
create table outbox (
    -- UUIDv7 made by the service: the CloudEvents `id` and the `Nats-Msg-Id`.
    id uuid primary key,
    -- Insertion order; the relay publishes in this order.
    seq bigint generated always as identity,
    aggregate_type text not null,
    aggregate_id text not null,
    aggregate_version bigint not null,
    -- `<service>.<event>.v<version>`: the CloudEvents `type` and the NATS subject.
    event_type text not null,
    -- The CloudEvents `data`.
    payload jsonb not null,
    -- Context of the request that caused the event: request_id, traceparent.
    headers jsonb not null default '{}',
    created_at timestamptz not null default now(),
    published_at timestamptz,
    attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    last_error text,
    constraint outbox_seq_key unique (seq)
);

-- What the relay reads: unpublished rows in order. Small, whatever the size of the table.
create index outbox_unpublished on outbox (seq) where published_at is null;
-- The per-aggregate order check of the relay.
create index outbox_unpublished_aggregate on outbox (aggregate_type, aggregate_id, seq)
    where published_at is null;
-- The purge of published rows.
create index outbox_published_at on outbox (published_at) where published_at is not null;

-- Wakes the relay when rows commit: one notification per statement, delivered at commit
-- (never for a rolled-back transaction), merged with identical ones of the same transaction.
create function outbox_notify() returns trigger
language plpgsql as $$
begin
    perform pg_notify('outbox', '');
    return null;
end;
$$;

create trigger outbox_notify
    after insert on outbox
    for each statement execute function outbox_notify();
