//! Line numbers inside `blueprint.toml`, so every lint finding can say `blueprint.toml:12`.
//!
//! The checked [`Manifest`](crate::blueprint::Manifest) keeps no positions; this reads the same
//! text once more with toml's spanned parser and remembers where each table, key and array item
//! starts.

use std::collections::HashMap;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// Where things are in one `blueprint.toml`. Lookups return `None` when the text does not hold
/// the thing asked for (which only happens with a manifest that failed to parse).
#[derive(Debug, Default)]
pub struct ManifestLines {
    /// Keyed by a dotted path: `variables.port`, `variables.port.default`, `files.include.0`,
    /// `files.include.0.paths.1`, `tests.2`.
    lines: HashMap<String, usize>,
}

impl ManifestLines {
    pub fn new(text: &str) -> ManifestLines {
        let (root, _errors) = DeTable::parse_recoverable(text);
        let starts = line_starts(text);
        let mut lines = HashMap::new();
        record_table(&mut lines, &starts, "", root.get_ref());
        ManifestLines { lines }
    }

    /// The line of a dotted path such as `variables.port.when` or `tests.1`.
    pub(crate) fn line(&self, path: &str) -> Option<usize> {
        self.lines.get(path).copied()
    }

    /// The line of `key` in a table, or of the table itself when the key is absent.
    pub fn line_or_parent(&self, path: &str) -> Option<usize> {
        self.line(path).or_else(|| {
            let (parent, _) = path.rsplit_once('.')?;
            self.line_or_parent(parent)
        })
    }
}

fn record_table(
    lines: &mut HashMap<String, usize>,
    starts: &[usize],
    prefix: &str,
    table: &DeTable<'_>,
) {
    for (key, value) in table.iter() {
        let path = join(prefix, key.get_ref());
        // A key's own span is the best anchor: for `[variables.port]` it is on the header line.
        lines.entry(path.clone()).or_insert(line_of(starts, key));
        record_value(lines, starts, &path, value);
    }
}

fn record_value(
    lines: &mut HashMap<String, usize>,
    starts: &[usize],
    path: &str,
    value: &Spanned<DeValue<'_>>,
) {
    match value.get_ref() {
        DeValue::Table(table) => record_table(lines, starts, path, table),
        DeValue::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let item_path = format!("{path}.{index}");
                lines.insert(item_path.clone(), line_of(starts, item));
                record_value(lines, starts, &item_path, item);
            }
        }
        _ => {}
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(at, _)| at + 1))
        .collect()
}

fn line_of<T>(starts: &[usize], spanned: &Spanned<T>) -> usize {
    let offset = spanned.span().start;
    starts.partition_point(|&start| start <= offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"[blueprint]
name = "t"
version = "1.0.0"

[variables.port]
type = "integer"
default = 8080

[variables.ci]
type = "bool"
when = "port > 1"

[[files.include]]
paths = [
  ".github/**",
  "ci/**",
]
when = "ci"

[[tests]]
name = "a"

[[tests]]
name = "b"
answers = { ci = false }
"#;

    #[test]
    fn tables_keys_and_array_items_have_lines() {
        let lines = ManifestLines::new(TEXT);
        assert_eq!(lines.line("variables.port"), Some(5));
        assert_eq!(lines.line("variables.port.default"), Some(7));
        assert_eq!(lines.line("variables.ci.when"), Some(11));
        assert_eq!(lines.line("files.include.0"), Some(13));
        assert_eq!(lines.line("files.include.0.paths.1"), Some(16));
        assert_eq!(lines.line("files.include.0.when"), Some(18));
        assert_eq!(lines.line("tests.0"), Some(20));
        assert_eq!(lines.line("tests.1"), Some(23));
        assert_eq!(lines.line("tests.1.answers.ci"), Some(25));
        assert_eq!(lines.line_or_parent("variables.port.when"), Some(5));
    }
}
