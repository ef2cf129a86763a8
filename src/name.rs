//! Service names: one name is the crate name, the DNS label of the service, the database's
//! default name and the image name, so it must be valid as all of them.

use crate::error::{Error, Result};

/// Names that cargo refuses for a package, or that shadow a standard crate.
pub(crate) const RESERVED: &[&str] = &[
    "alloc",
    "core",
    "proc-macro",
    "std",
    "test",
    "as",
    "async",
    "await",
    "box",
    "break",
    "const",
    "continue",
    "crate",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "fn",
    "for",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "match",
    "mod",
    "move",
    "mut",
    "pub",
    "ref",
    "return",
    "self",
    "static",
    "struct",
    "super",
    "trait",
    "true",
    "type",
    "unsafe",
    "use",
    "where",
    "while",
    "yield",
];

/// Checks that `name` is both a valid crate name and a DNS label (RFC 1123).
pub fn validate_service_name(name: &str) -> Result<()> {
    let fail = |reason: &str| {
        Err(Error::InvalidName {
            name: name.to_owned(),
            reason: reason.to_owned(),
        })
    };
    if name.is_empty() {
        return fail("it is empty");
    }
    if name.len() > 63 {
        return fail("a DNS label has at most 63 characters");
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return fail(
            "it must start with a lowercase letter (a crate name and a DNS label both need one)",
        );
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        let why = match bad {
            '_' => {
                "`_` is not allowed in a DNS label; use `-` (the crate's module name becomes `_` on its own)"
            }
            c if c.is_ascii_uppercase() => {
                "use lowercase letters: DNS labels and container images are lowercase"
            }
            _ => "only lowercase letters, digits and `-` are allowed",
        };
        return Err(Error::InvalidName {
            name: name.to_owned(),
            reason: format!("`{bad}`: {why}"),
        });
    }
    if name.ends_with('-') {
        return fail("a DNS label cannot end with `-`");
    }
    if RESERVED.contains(&name) {
        return fail("it is a Rust keyword or a reserved crate name");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_names() {
        for name in ["catalog", "product-catalog", "svc2", "a"] {
            assert!(validate_service_name(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn bad_names_say_why() {
        let reason = |name: &str| match validate_service_name(name) {
            Err(Error::InvalidName { reason, .. }) => reason,
            other => panic!("{name}: {other:?}"),
        };
        assert!(reason("my_svc").contains("not allowed in a DNS label"));
        assert!(reason("Catalog").contains("start with a lowercase letter"));
        assert!(reason("caTalog").contains("use lowercase letters"));
        assert!(reason("2fast").contains("start with a lowercase letter"));
        assert!(reason("svc-").contains("cannot end with `-`"));
        assert!(reason("test").contains("reserved"));
        assert!(reason(&"a".repeat(64)).contains("63"));
        assert!(reason("a.b").contains("only lowercase letters"));
    }
}
