//! JSON pointers (RFC 6901): building them as the walk descends, and resolving the local
//! `$ref`s (`#/components/schemas/Item`, `#/$defs/Money`) they appear in.

use serde_json::Value;

/// `parent` with one more reference token, escaped (`/v1/items` becomes `~1v1~1items`).
pub fn child(parent: &str, token: &str) -> String {
    let mut pointer = String::with_capacity(parent.len() + token.len() + 1);
    pointer.push_str(parent);
    pointer.push('/');
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
    pointer
}

/// The pointer a local `$ref` names (`#/$defs/a` is `/$defs/a`, `#` the root); `None` for a
/// reference to another file. Percent-encoding in the fragment is decoded.
pub fn ref_target(reference: &str) -> Option<String> {
    let fragment = reference.strip_prefix('#')?;
    if !fragment.is_empty() && !fragment.starts_with('/') {
        // `#anchor`: a named anchor, not a pointer.
        return None;
    }
    Some(percent_decode(fragment))
}

/// The value at `pointer` inside `root`.
pub fn resolve<'a>(root: &'a Value, pointer: &str) -> Option<&'a Value> {
    root.pointer(pointer)
}

fn percent_decode(text: &str) -> String {
    if !text.contains('%') {
        return text.to_owned();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(byte) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_escaped() {
        assert_eq!(
            child("/paths", "/v1/items/{id}"),
            "/paths/~1v1~1items~1{id}"
        );
        assert_eq!(child("", "a~b"), "/a~0b");
    }

    #[test]
    fn local_refs_resolve_and_others_do_not() {
        let root = serde_json::json!({"components": {"schemas": {"Item": {"type": "object"}}}});
        let target = ref_target("#/components/schemas/Item").unwrap();
        assert_eq!(resolve(&root, &target).unwrap()["type"], "object");
        assert_eq!(ref_target("#").unwrap(), "");
        assert_eq!(ref_target("#/a%20b").unwrap(), "/a b");
        assert!(ref_target("other.json#/x").is_none());
        assert!(ref_target("#anchor").is_none());
    }
}
