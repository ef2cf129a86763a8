//! Words the languages of generated code reserve, so that an answer or a name that becomes an
//! identifier there (`mod type;`, `pub mod match;`) is refused with a reason instead of making
//! a service that does not build.

/// Rust's strict and reserved keywords (2024 edition), which can name no module, type, field or
/// variable. Weak keywords (`union`, `macro_rules`, `raw`, `safe`) are identifiers everywhere
/// svcgen puts names.
pub const RUST: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Whether `word` is a Rust keyword.
pub fn is_rust_keyword(word: &str) -> bool {
    RUST.contains(&word)
}

/// The first of `value`'s forms a template is likely to write as an identifier (as given,
/// snake_case, PascalCase) that is a Rust keyword.
pub fn rust_keyword_form(value: &str) -> Option<String> {
    use heck::{ToSnakeCase, ToUpperCamelCase};
    [
        value.to_owned(),
        value.to_snake_case(),
        value.to_upper_camel_case(),
    ]
    .into_iter()
    .find(|form| is_rust_keyword(form))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_in_every_case_a_template_writes() {
        assert_eq!(rust_keyword_form("type").as_deref(), Some("type"));
        assert_eq!(rust_keyword_form("match").as_deref(), Some("match"));
        assert_eq!(rust_keyword_form("Match").as_deref(), Some("match"));
        assert_eq!(rust_keyword_form("self").as_deref(), Some("self"));
        assert_eq!(rust_keyword_form("item"), None);
        assert_eq!(rust_keyword_form("types"), None);
        assert_eq!(rust_keyword_form("blog_post"), None);
    }
}
