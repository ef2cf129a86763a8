-- The product listing behind GET /v1/products and GET /v1/categories (src/db/products.rs).
-- It reads product_copy, which the ProductChanged handler keeps; this service never writes
-- products itself.

-- Trigram indexes serve `name ilike '%...%'`. pg_trgm ships with PostgreSQL (contrib) and is a
-- trusted extension (PostgreSQL 13+): a role with CREATE on the database may install it.
create extension if not exists pg_trgm;

-- What the listing shows: every product but the deleted ones. A deleted product stays in
-- product_copy, marked, only so that an older event arriving late cannot revive it.
create view product_listing as
    select id, name, description, price_cents, stock, category, changed_at
    from product_copy
    where not deleted;

-- Partial on `not deleted`, the view's condition, so the planner uses them for queries on the
-- view and deleted rows take no room in them.

-- The listing's order (name, then id for ties), page by page.
create index product_copy_listing_order on product_copy (name, id) where not deleted;
-- `category = $1` in that order, and the per-category counts of GET /v1/categories.
create index product_copy_category_listing on product_copy (category, name, id) where not deleted;
-- `q`: a case-insensitive substring of the name (pg_trgm lowercases its trigrams).
create index product_copy_name_trgm on product_copy using gin (name gin_trgm_ops) where not deleted;
