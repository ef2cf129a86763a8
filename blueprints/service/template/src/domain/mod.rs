//! Business rules, independent of HTTP and SQL.

pub mod validation;
{%- if example_resource %}

// One module per resource.
pub mod {{ resource | snake_case }};
{%- endif %}
