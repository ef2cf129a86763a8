-- The local copy of each product of product, kept by the ProductChanged handler
-- (src/events/product_changed.rs): the newest version wins, whatever the order of delivery.
create table product_copy (
    id uuid primary key,
    version bigint not null,
    -- A deleted product stays, marked, so an older event arriving late cannot revive it.
    deleted boolean not null default false,
    name text not null,
    description text not null,
    price_cents bigint not null,
    stock integer not null,
    category text not null,
    -- When product made the change (the event's `time`).
    changed_at timestamptz not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
