-- The constraints are the source of truth; the application checks the same
-- rules only to give friendlier messages. Constraint names are part of the
-- API: the HTTP layer maps them to 409/422 responses.
create table products (
    id uuid primary key default gen_random_uuid(),
    name text not null,
    description text,
    version bigint not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint products_name_key unique (name),
    constraint products_name_length check (char_length(name) between 1 and 200),
    constraint products_description_length check (char_length(description) <= 2000),
    constraint products_version_positive check (version > 0)
);

create trigger products_set_updated_at
    before update on products
    for each row execute function set_updated_at();
