-- Each finished backfill of product_copy from product's API (src/backfill.rs). `serve` runs
-- one when this table is empty, so a new database is filled once; `catalog backfill` adds a
-- row each time it runs.
create table backfills (
    id bigserial primary key,
    finished_at timestamptz not null default now(),
    duration_ms bigint not null,
    -- Distinct products read, and those written (the others had that version or a newer one).
    products_read bigint not null,
    products_copied bigint not null,
    -- Requests made, the steps back over deletions included.
    pages bigint not null
);
