-- What the commerce team adds to the generated products table: a price, a stock level and a
-- category. As in the table's first migration, the named constraints are the source of truth;
-- `src/domain/product.rs` checks the same rules to give per-field messages.
--
-- Rows that exist before this migration get price 0, stock 0 and the category `uncategorized`;
-- the defaults are dropped afterwards, so every later insert has to say what it means.
alter table products
    add column price_cents bigint not null default 0,
    add column stock integer not null default 0,
    add column category text not null default 'uncategorized';

alter table products
    alter column price_cents drop default,
    alter column stock drop default,
    alter column category drop default;

alter table products
    -- At most 1 000 000.00 in the currency's main unit: a typo guard, not a business limit.
    add constraint products_price_cents_range check (price_cents between 0 and 100000000),
    add constraint products_stock_not_negative check (stock >= 0),
    -- A lowercase slug (`home-garden`): exact matches in filters, stable keys for consumers.
    add constraint products_category_format check (
        char_length(category) between 1 and 50
        and category ~ '^[a-z0-9]+(-[a-z0-9]+)*$'
    );

-- `GET /v1/products?category=` pages in creation order within one category.
create index products_category_created on products (category, created_at, id);
