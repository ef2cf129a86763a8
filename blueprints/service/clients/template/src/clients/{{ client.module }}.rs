//! Client of the `{{ client.service }}` service: {{ client.api.title }} {{ client.api.version }}.
//!
//! Made by `svcgen add-client {{ client.service }}` from `{{ client.spec_path }}`, and made again
//! from it when the contract changes: svcgen rewrites this file, so keep code that uses the
//! client elsewhere. Calls time out, idempotent ones are retried, and each carries the id of
//! the request being handled (`super::http`).
{%- macro doc(lines, indent) -%}
{%- for line in lines %}
{{ indent }}///{% if line %} {{ line }}{% endif %}
{%- endfor -%}
{%- endmacro doc %}
{%- macro params(op) -%}
{%- for p in op.path_params %}, {{ p.ident }}: {% if p.is_string %}&str{% else %}{{ p.rust_type }}{% endif %}{% endfor -%}
{%- endmacro params %}

use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::http::{ClientError, ClientSettings, {% if client.api.paginated %}Page, Pages, {% endif %}Transport};

/// The service's name, in errors and metrics.
pub const SERVICE: &str = "{{ client.service }}";

/// Calls to the `{{ client.service }}` service; cheap to clone, and one is enough for the process
/// (it holds the connection pool).
#[derive(Debug, Clone)]
pub struct {{ client.type_name }} {
    transport: Transport,
}

impl {{ client.type_name }} {
    pub fn new(settings: &ClientSettings) -> Result<Self, ClientError> {
        Ok(Self { transport: Transport::new(SERVICE, settings)? })
    }

    /// The client the service's configuration describes (`{{ client.env }}_URL`, ...).
    pub fn from_config(config: &crate::config::Config) -> Result<Self, ClientError> {
        Self::new(&config.clients.{{ client.module }})
    }
{%- for op in client.api.operations %}
{%- set response = op.response_type | default(value="()") %}
{%- if op.page %}{% set response = "Page<" ~ op.page.item_type ~ ">" %}{% endif %}
{{ "" }}
{{- self::doc(lines=op.doc, indent="    ") }}
    {%- if op.doc %}
    ///{% endif %}
    /// `{{ op.method }} {{ op.path }}`{% if op.error_statuses %}; errors: {% for s in op.error_statuses %}{{ s }}{% if not loop.last %}, {% endif %}{% endfor %}{% endif %}.
    pub async fn {{ op.ident }}(&self{{ self::params(op=op) }}{% if op.query_type %}, query: &{{ op.query_type }}{% endif %}{% if op.body %}, body: &{{ op.body.rust_type }}{% endif %}) -> Result<{{ response }}, ClientError> {
        let url = self.transport.url(&[
            {%- for s in op.segments %}
            {%- if s.literal %}"{{ s.literal }}"{% else %}{% for p in op.path_params %}{% if p.ident == s.param %}{% if p.is_string %}{{ p.ident }}{% else %}&{{ p.ident }}.to_string(){% endif %}{% endif %}{% endfor %}{% endif %}
            {%- if not loop.last %}, {% endif %}
            {%- endfor -%}
        ]);
        let request = self.transport.request(Method::{{ op.method }}, url){% if op.query_type %}.query(query){% endif %}{% if op.body %}.json(body){% endif %};
        self.transport.{% if op.response_type or op.page %}json{% else %}empty{% endif %}(request, {{ op.idempotent }}).await
    }
{%- if op.page %}

    /// Every item `{{ op.ident }}` lists, a page at a time as they are read.
    pub fn {{ op.ident }}_pages(&self{{ self::params(op=op) }}, query: {{ op.query_type }}) -> Pages<'_, {{ op.page.item_type }}> {
        {%- for p in op.path_params %}{% if p.is_string %}
        let {{ p.ident }} = {{ p.ident }}.to_owned();{% endif %}{% endfor %}
        Pages::new(query.offset.unwrap_or(0), move |offset| {
            let query = {{ op.query_type }} { offset: Some(offset), ..query.clone() };
            {%- for p in op.path_params %}{% if p.is_string %}
            let {{ p.ident }} = {{ p.ident }}.clone();{% endif %}{% endfor %}
            Box::pin(async move { self.{{ op.ident }}({% for p in op.path_params %}{% if p.is_string %}&{% endif %}{{ p.ident }}, {% endfor %}&query).await })
        })
    }
{%- endif %}
{%- endfor %}
}
{%- for type in client.api.types %}
{{ "" }}
{{- self::doc(lines=type.doc, indent="") }}
{%- if type.kind == "enum" %}
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum {{ type.name }} {
    {%- for v in type.variants %}
    #[serde(rename = "{{ v.value }}")]
    {{ v.ident }},
    {%- endfor %}
}
{%- else %}
#[derive(Debug, Clone, PartialEq, {% if type.all_optional %}Default, {% endif %}Serialize, Deserialize)]
pub struct {{ type.name }} {
    {%- for f in type.fields %}
    {{- self::doc(lines=f.doc, indent="    ") }}
    {%- if f.renamed %}
    #[serde(rename = "{{ f.name }}")]
    {%- endif %}
    {%- if not f.required %}
    #[serde(default, skip_serializing_if = "Option::is_none")]
    {%- endif %}
    pub {{ f.ident }}: {{ f.rust_type }},
    {%- endfor %}
}
{%- endif %}
{%- endfor %}
