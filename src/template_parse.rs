//! Parsing templates with Tera's own parser in a fraction of its time.
//!
//! Tera's pest grammar spends some 800 instructions on every byte of plain text (each byte is
//! tested against six tag openers), and a blueprint is mostly plain text: the service blueprint's
//! 170 KB hold 5 KB of tags. So Tera parses a *reduced* source in which the core of each run of
//! text between tags is replaced by one placeholder character, keeping the run's leading and
//! trailing whitespace so that `{%-`/`-%}` trimming does exactly what it would; the cores are put
//! back into the syntax tree afterwards. The result equals the tree Tera builds from the original
//! (the tests compare the two for every built-in template and for awkward inputs).
//!
//! A core becomes a placeholder only when that cannot change how Tera splits the source: it holds
//! no tag opener (`{{`, `{%`, `{#`), does not end with `{` and does not follow one. The reduced
//! parse is kept only if every placeholder comes back exactly once, inside text or raw text.
//! Anything else (a syntax error, a template that already uses the placeholder characters, a
//! lexing disagreement) parses the original source as is, so errors and oddities are Tera's own.

use tera::Template;
use tera::ast::Node;

/// Placeholders are characters of Unicode's Supplementary Private Use Area-A, one per text run.
const FIRST_PLACEHOLDER: u32 = 0xF_0000;
const LAST_PLACEHOLDER: u32 = 0xF_FFFD;
/// Shorter cores are left in place: a placeholder takes 4 bytes, and each costs a lookup.
const MIN_CORE_LEN: usize = 8;

/// Parses `source` as the template `name`, like [`Template::new`].
pub fn parse(name: &str, source: &str) -> tera::Result<Template> {
    match parse_reduced(name, source) {
        Some(template) => Ok(template),
        None => Template::new(name, None, source),
    }
}

fn parse_reduced(name: &str, source: &str) -> Option<Template> {
    let reduced = reduce(source)?;
    let mut template = Template::new(name, None, &reduced.source).ok()?;
    reduced.restore(&mut template).then_some(template)
}

/// A source with its text cores swapped for placeholders; `cores[i]` is placeholder `i`.
struct Reduced<'a> {
    source: String,
    cores: Vec<Core<'a>>,
}

struct Core<'a> {
    text: &'a str,
    /// Inside `{% raw %}`, where tag openers are plain text but `{% endraw %}` is not.
    raw: bool,
}

/// Returns `None` when reducing would not pay or cannot be done safely.
fn reduce(source: &str) -> Option<Reduced<'_>> {
    if uses_placeholder_characters(source) {
        return None;
    }
    let mut reduced = Reduced {
        source: String::with_capacity(source.len() / 4),
        cores: Vec::new(),
    };
    let mut text_start = 0;
    loop {
        let opener = find_opener(source, text_start);
        reduced.push_text(source, text_start, opener.unwrap_or(source.len()), false);
        let Some(opener) = opener else { break };
        match end_of_construct(source, opener, &mut reduced) {
            Some(end) => text_start = end,
            None => {
                // Unterminated: leave the rest for Tera to report.
                reduced.source.push_str(&source[opener..]);
                break;
            }
        }
    }
    if reduced.cores.is_empty() {
        return None;
    }
    Some(reduced)
}

impl<'a> Reduced<'a> {
    /// Appends `source[start..end]`, a run Tera reads as text (or, if `raw`, as the contents of
    /// a raw block, which end at the first `{% endraw %}`), replacing its core when that is safe.
    fn push_text(&mut self, source: &'a str, start: usize, end: usize, raw: bool) {
        let run = &source[start..end];
        let core = run.trim();
        let lead = run.len() - run.trim_start().len();
        let could_change_tags = if raw {
            core.contains("{%")
        } else {
            source[..start + lead].ends_with('{')
                || core.ends_with('{')
                || find_opener(core, 0).is_some()
        };
        if core.len() < MIN_CORE_LEN
            || could_change_tags
            || self.cores.len() > (LAST_PLACEHOLDER - FIRST_PLACEHOLDER) as usize
        {
            self.source.push_str(run);
            return;
        }
        let placeholder = FIRST_PLACEHOLDER + self.cores.len() as u32;
        self.cores.push(Core { text: core, raw });
        self.source.push_str(&run[..lead]);
        self.source
            .push(char::from_u32(placeholder).expect("private use characters are valid"));
        self.source.push_str(&run[lead + core.len()..]);
    }

    /// Puts the cores back into `template`; false if the parse did not keep every placeholder,
    /// exactly once, in text.
    fn restore(&self, template: &mut Template) -> bool {
        let mut seen = vec![0u32; self.cores.len()];
        if !self.restore_nodes(&mut template.ast, &mut seen) || seen.iter().any(|&n| n != 1) {
            return false;
        }
        // Blocks and macros are also kept apart from the tree, as copies of its parts.
        let mut copies = vec![0u32; self.cores.len()];
        let blocks = template.blocks.values_mut().map(|b| &mut b.body);
        let macros = template.macros.values_mut().map(|m| &mut m.body);
        for body in blocks.chain(macros) {
            if !self.restore_nodes(body, &mut copies) {
                return false;
            }
        }
        true
    }

    fn restore_nodes(&self, nodes: &mut [Node], seen: &mut [u32]) -> bool {
        nodes.iter_mut().all(|node| match node {
            Node::Text(text) => self.restore_text(text, false, seen),
            Node::Raw(_, text, _) => self.restore_text(text, true, seen),
            Node::MacroDefinition(_, definition, _) => {
                self.restore_nodes(&mut definition.body, seen)
            }
            Node::FilterSection(_, section, _) => self.restore_nodes(&mut section.body, seen),
            Node::Block(_, block, _) => self.restore_nodes(&mut block.body, seen),
            Node::Forloop(_, forloop, _) => {
                self.restore_nodes(&mut forloop.body, seen)
                    && forloop
                        .empty_body
                        .as_mut()
                        .is_none_or(|body| self.restore_nodes(body, seen))
            }
            Node::If(branches, _) => {
                branches
                    .conditions
                    .iter_mut()
                    .all(|(_, _, body)| self.restore_nodes(body, seen))
                    && branches
                        .otherwise
                        .as_mut()
                        .is_none_or(|(_, body)| self.restore_nodes(body, seen))
            }
            // A placeholder in a comment is lost, which the count in `restore` catches.
            Node::Comment(..)
            | Node::Super
            | Node::VariableBlock(..)
            | Node::Extends(..)
            | Node::Include(..)
            | Node::ImportMacro(..)
            | Node::Set(..)
            | Node::Break(_)
            | Node::Continue(_) => true,
        })
    }

    fn restore_text(&self, text: &mut String, raw: bool, seen: &mut [u32]) -> bool {
        if !uses_placeholder_characters(text) {
            return true;
        }
        let mut restored = String::with_capacity(text.len() + 256);
        for c in text.chars() {
            let index = u32::from(c).wrapping_sub(FIRST_PLACEHOLDER) as usize;
            match self.cores.get(index) {
                Some(core) if core.raw == raw => {
                    seen[index] += 1;
                    restored.push_str(core.text);
                }
                Some(_) => return false,
                None if is_placeholder(c) => return false,
                None => restored.push(c),
            }
        }
        *text = restored;
        true
    }
}

fn is_placeholder(c: char) -> bool {
    (FIRST_PLACEHOLDER..=LAST_PLACEHOLDER).contains(&u32::from(c))
}

/// U+F0000..U+FFFFF are the four-byte UTF-8 sequences F3 B0..BF xx xx.
fn uses_placeholder_characters(text: &str) -> bool {
    text.as_bytes()
        .windows(2)
        .any(|pair| pair[0] == 0xF3 && (0xB0..=0xBF).contains(&pair[1]))
}

/// Byte offset of the first `{{`, `{%` or `{#` at or after `from`.
fn find_opener(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = from;
    while let Some(offset) = bytes[at..].iter().position(|&b| b == b'{') {
        at += offset;
        if matches!(bytes.get(at + 1), Some(b'{' | b'%' | b'#')) {
            return Some(at);
        }
        at += 1;
    }
    None
}

/// Where the tag, comment or raw block opening at `at` ends, as Tera's grammar has it. A raw
/// block's contents are pushed as text: placeholders in raw text come back like any other.
fn end_of_construct<'a>(source: &'a str, at: usize, reduced: &mut Reduced<'a>) -> Option<usize> {
    let bytes = source.as_bytes();
    let end = match bytes[at + 1] {
        b'#' => source[at + 2..].find("#}").map(|i| at + 2 + i + 2)?,
        b'{' => end_of_tag(source, at + 2, b'}')?,
        _ => {
            let end = end_of_tag(source, at + 2, b'%')?;
            if is_tag_named(&source[at..end], "raw") {
                reduced.source.push_str(&source[at..end]);
                let (content_end, endraw_end) = find_endraw(source, end)?;
                reduced.push_text(source, end, content_end, true);
                reduced.source.push_str(&source[content_end..endraw_end]);
                return Some(endraw_end);
            }
            end
        }
    };
    reduced.source.push_str(&source[at..end]);
    Some(end)
}

/// The end of a `{{ }}` or `{% %}` tag whose body starts at `from`: the first `}}` or `%}` outside
/// a string. Tera's strings (`"…"`, `'…'`, `` `…` ``) have no escapes.
fn end_of_tag(source: &str, from: usize, closer: u8) -> Option<usize> {
    let bytes = source.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'"' | b'\'' | b'`') => {
                i += 1 + bytes[i + 1..].iter().position(|&b| b == quote)?;
            }
            b if b == closer && bytes.get(i + 1) == Some(&b'}') => return Some(i + 2),
            _ => {}
        }
        i += 1;
    }
    None
}

/// `{% name %}`, with optional `-` trims and Tera's whitespace (space, tab, CR, LF) around the
/// name.
fn is_tag_named(tag: &str, name: &str) -> bool {
    let inner = &tag[2..tag.len() - 2];
    let inner = inner.strip_prefix('-').unwrap_or(inner);
    let inner = inner.strip_suffix('-').unwrap_or(inner);
    inner.trim_matches([' ', '\t', '\r', '\n']) == name
}

/// The first `{% endraw %}` at or after `from`: (where it starts, where it ends).
fn find_endraw(source: &str, from: usize) -> Option<(usize, usize)> {
    let mut at = from;
    while let Some(offset) = source[at..].find("{%") {
        at += offset;
        if let Some(end) = source[at + 2..].find("%}").map(|i| at + 2 + i + 2) {
            if is_tag_named(&source[at..end], "endraw") {
                return Some((at, end));
            }
        }
        at += 2;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast parse must build exactly the tree Tera builds from the original.
    fn assert_same_as_tera(source: &str) {
        let expected = Template::new("t", None, source);
        let actual = parse("t", source);
        match (expected, actual) {
            (Ok(expected), Ok(actual)) => {
                assert_eq!(actual.ast, expected.ast, "tree differs for {source:?}");
                assert_eq!(
                    actual.blocks, expected.blocks,
                    "blocks differ for {source:?}"
                );
                assert_eq!(
                    actual.macros, expected.macros,
                    "macros differ for {source:?}"
                );
                assert_eq!(actual.parent, expected.parent);
                assert_eq!(actual.imported_macro_files, expected.imported_macro_files);
            }
            (Err(expected), Err(actual)) => {
                assert_eq!(
                    format!("{expected:?}"),
                    format!("{actual:?}"),
                    "errors differ for {source:?}"
                );
            }
            (expected, actual) => panic!(
                "{source:?}: Tera gives {:?}, the fast parse {:?}",
                expected.map(|t| t.ast),
                actual.map(|t| t.ast)
            ),
        }
    }

    fn reduces(source: &str) -> bool {
        reduce(source).is_some_and(|r| Template::new("t", None, &r.source).is_ok())
    }

    #[test]
    fn every_builtin_template_parses_as_tera_parses_it_and_fast() {
        let mut checked = 0;
        for name in crate::blueprint::builtin::names() {
            let blueprint = crate::blueprint::builtin::load(name).unwrap();
            for file in &blueprint.templates {
                if let Ok(source) = std::str::from_utf8(&file.contents) {
                    assert_same_as_tera(source);
                    if reduce(source).is_some() {
                        assert!(
                            parse_reduced("t", source).is_some(),
                            "{} fell back to the slow parse",
                            file.path
                        );
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 40, "only {checked} templates checked");
    }

    /// Random mixes of tags, near-tags, strings and text: each must parse (or fail) as in Tera.
    #[test]
    fn random_templates_parse_as_tera_parses_them() {
        const PIECES: &[&str] = &[
            "{{ name }}",
            "{{- name -}}",
            "{{ \"}}\" ~ '%}' }}",
            "{% if a %}",
            "{%- if a -%}",
            "{% else %}",
            "{% endif %}",
            "{%- endif -%}",
            "{% for x in xs %}",
            "{% endfor %}",
            "{% raw %}",
            "{%- raw -%}",
            "{% endraw %}",
            "{%endraw-%}",
            "{# note #}",
            "{#- c -#}",
            "{% set v = '%}' %}",
            "{% filter upper %}",
            "{% endfilter %}",
            "{",
            "}",
            "{{",
            "}}",
            "%}",
            "#}",
            "{%",
            "-",
            "\"",
            "'",
            "`",
            " ",
            "\n",
            "  \n\t ",
            "x",
            "some plain text here",
            "\nanother line of text\n",
            "fn f() { body(); }",
            "${{ github.sha }}",
            "text with a brace {",
            "} closing brace text",
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |bound: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 33) as usize) % bound
        };
        let mut reduced = 0;
        for _ in 0..3000 {
            let pieces = 1 + next(14);
            let source: String = (0..pieces).map(|_| PIECES[next(PIECES.len())]).collect();
            assert_same_as_tera(&source);
            reduced += usize::from(parse_reduced("t", &source).is_some());
        }
        assert!(reduced > 100, "only {reduced} of 3000 took the fast path");
    }

    #[test]
    fn plain_text_is_reduced_to_placeholders() {
        let source = "fn main() {\n    println!(\"{{ name }}\");\n    run();\n}\n";
        let reduced = reduce(source).unwrap();
        let cores: Vec<&str> = reduced.cores.iter().map(|c| c.text).collect();
        assert_eq!(
            cores,
            ["fn main() {\n    println!(\"", "\");\n    run();\n}"]
        );
        assert_eq!(reduced.source, "\u{F0000}{{ name }}\u{F0001}\n");
        assert_same_as_tera(source);
    }

    #[test]
    fn whitespace_control_trims_as_in_tera() {
        for source in [
            "first line here\n   {%- if a %}  yes indeed  {% endif -%}   \n  last line here  \n",
            "some leading text \n{{- name -}}\n some trailing text",
            "header text here\n{%- for x in xs -%}\n  item body {{ x }}  \n{%- else -%} nothing at all {%- endfor %}\nafter loop text",
            "text before raw  {%- raw -%}   ${{ github.sha }} raw body  {%- endraw -%}  after raw text",
            "text before raw {% raw %}\n  ${{ matrix.os }} and more text\n{% endraw %} after raw",
            "a comment follows {#- note {{ not a tag }} -#}   then more text here",
            "{% macro m(x) %}  macro body text {{ x }} more macro text  {%- endmacro m %}\nuse: {{ self::m(x=1) }} done",
            "{% filter upper %} filtered text here {{ x }} {% endfilter %} after the filter",
            "{% set x = \"%} and }} in a string\" %} text after the set tag",
            "{{ \"}}\" ~ '%}' ~ `{{` }} text after the tricky strings",
        ] {
            assert_same_as_tera(source);
        }
    }

    #[test]
    fn blocks_and_inheritance_survive() {
        assert_same_as_tera(
            "{% extends \"base\" %}{% block body %} child text here {% block inner %} inner text {{ super() }} {% endblock %} trailing {% endblock body %}",
        );
        assert_same_as_tera(
            "{% import \"macros\" as m %}\nplenty of text {{ m::hello() }} and more text after\n",
        );
    }

    #[test]
    fn braces_next_to_tags_are_left_alone() {
        for source in [
            "struct S {{{ name }} }",
            "text ending in a brace {{{ x }}",
            "{{ x }}{ text starting with a brace }",
            "{% if a %}{{% endif %} more text afterwards",
            "json = {\"key\": \"{{ value }}\", \"other\": {\"nested\": true}}",
            "a lone brace { and %} and }} and #} in plain text",
        ] {
            assert_same_as_tera(source);
        }
    }

    #[test]
    fn bad_templates_fail_exactly_as_in_tera() {
        for source in [
            "plenty of text before {{ unterminated and more text",
            "plenty of text before {% if x %} and no endif here",
            "plenty of text before {# unterminated comment",
            "plenty of text {% raw %} and no endraw anywhere in sight",
            "plenty of text {{ oops oops }} and more text after",
            "line one of text\nline two of text\n{% endif %}\nline four",
            "plenty of text {{ \"unterminated string }} and more",
        ] {
            assert_same_as_tera(source);
        }
    }

    #[test]
    fn templates_using_private_use_characters_are_parsed_as_they_are() {
        let source = "text with \u{F0000} in it {{ name }} and more text";
        assert!(reduce(source).is_none());
        assert_same_as_tera(source);
    }

    #[test]
    fn short_runs_are_not_worth_a_placeholder() {
        assert!(!reduces("{{ a }} b {{ c }}"));
        assert!(reduces("{{ a }} a longer run of text {{ c }}"));
    }
}
