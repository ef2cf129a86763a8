//! Parsing templates with Tera's own parser in a fraction of its time.
//!
//! Tera's pest grammar spends some 800 instructions on every byte of plain text (each byte is
//! tested against six tag openers) and far more on every tag, and a blueprint is mostly plain
//! text and a few tags used over and over: the service blueprint's 170 KB hold 5 KB of tags, 233
//! of them `{{ }}` tags of which 19 differ. So Tera parses a *reduced* source:
//!
//! - the core of each run of text between tags becomes one placeholder character; the run's
//!   leading and trailing whitespace stays, so `{%-`/`-%}` trimming does exactly what it would;
//! - each `{{ }}` and `{% set %}` tag, whose meaning does not depend on where it stands, becomes
//!   a placeholder too, and is parsed on its own, once per distinct tag.
//!
//! Afterwards the text goes back into the syntax tree, and text around a tag placeholder is split
//! into text, tag, text, trimmed as the tag's `-` marks say (as Tera does for a tag between two
//! texts). The result equals the tree Tera builds from the original: the tests compare the two
//! for every built-in template, for awkward inputs and for thousands of random ones.
//!
//! A text core becomes a placeholder only when that cannot change how Tera splits the source: it
//! holds no tag opener (`{{`, `{%`, `{#`), does not end with `{` and does not follow one. The
//! reduced parse is kept only if every placeholder comes back exactly once, inside text (or raw
//! text, for raw text). Anything else (a syntax error, a template that already uses the
//! placeholder characters, a lexing disagreement) parses the original source as is, so errors and
//! oddities are Tera's own.

use std::collections::HashMap;
use std::rc::Rc;

use tera::Template;
use tera::ast::{Node, WS};

/// Placeholders are characters of Unicode's Supplementary Private Use Area-A.
const FIRST_PLACEHOLDER: u32 = 0xF_0000;
const LAST_PLACEHOLDER: u32 = 0xF_FFFD;
/// Shorter text cores are left in place: a placeholder takes 4 bytes, and each costs a lookup.
const MIN_CORE_LEN: usize = 8;

/// Parses templates; remembers the tags it has parsed, so use one for a whole blueprint.
#[derive(Default)]
pub struct Parser {
    /// Tag source -> its node, or `None` if it is not a tag that stands on its own.
    tags: HashMap<String, Option<Rc<Node>>>,
}

impl Parser {
    /// Parses `source` as the template `name`, like [`Template::new`].
    pub fn parse(&mut self, name: &str, source: &str) -> tera::Result<Template> {
        match self.parse_reduced(name, source) {
            Some(template) => Ok(template),
            None => Template::new(name, None, source),
        }
    }

    fn parse_reduced(&mut self, name: &str, source: &str) -> Option<Template> {
        let reduced = self.reduce(source)?;
        let mut template = Template::new(name, None, &reduced.source).ok()?;
        reduced.restore(&mut template).then_some(template)
    }

    /// Returns `None` when reducing would not pay or cannot be done safely.
    fn reduce<'a>(&mut self, source: &'a str) -> Option<Reduced<'a>> {
        if uses_placeholder_characters(source) {
            return None;
        }
        let mut reduced = Reduced {
            source: String::with_capacity(source.len() / 4),
            pieces: Vec::new(),
        };
        let mut text_start = 0;
        loop {
            let opener = find_opener(source, text_start);
            reduced.push_text(source, text_start, opener.unwrap_or(source.len()), false);
            let Some(opener) = opener else { break };
            match self.push_construct(source, opener, &mut reduced) {
                Some(end) => text_start = end,
                None => {
                    // Unterminated: leave the rest for Tera to report.
                    reduced.source.push_str(&source[opener..]);
                    break;
                }
            }
        }
        if reduced.pieces.is_empty() {
            return None;
        }
        Some(reduced)
    }

    /// Pushes the tag, comment or raw block opening at `at`, and returns where it ends, as
    /// Tera's grammar has it. A raw block's contents are pushed as raw text.
    fn push_construct<'a>(
        &mut self,
        source: &'a str,
        at: usize,
        reduced: &mut Reduced<'a>,
    ) -> Option<usize> {
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
        let tag = &source[at..end];
        match self.standalone(tag) {
            Some(node) if reduced.has_room() => reduced.push_placeholder(Piece::Tag(node)),
            _ => reduced.source.push_str(tag),
        }
        Some(end)
    }

    /// The node for `tag` if it is a `{{ }}` or `{% set %}` tag, which Tera parses the same
    /// wherever it stands. (`{{ super() }}` is not: inside a block it is Tera's `super` call.)
    fn standalone(&mut self, tag: &str) -> Option<Rc<Node>> {
        if let Some(known) = self.tags.get(tag) {
            return known.clone();
        }
        let inner = tag_inner(tag);
        let candidate = if tag.starts_with("{{") {
            inner != "super()"
        } else {
            tag.starts_with("{%") && (inner.starts_with("set ") || inner.starts_with("set_global "))
        };
        let node = candidate
            .then(|| Template::new("tag", None, tag).ok())
            .flatten()
            .and_then(|template| match <[Node; 1]>::try_from(template.ast) {
                Ok([node @ (Node::VariableBlock(..) | Node::Set(..))]) => Some(Rc::new(node)),
                _ => None,
            });
        self.tags.insert(tag.to_owned(), node.clone());
        node
    }
}

/// A source with parts swapped for placeholders; `pieces[i]` is placeholder `i`.
struct Reduced<'a> {
    source: String,
    pieces: Vec<Piece<'a>>,
}

enum Piece<'a> {
    /// The core of a run of text. `raw` if inside `{% raw %}`, where tag openers are plain text
    /// but `{% endraw %}` is not.
    Text { text: &'a str, raw: bool },
    /// A tag parsed on its own.
    Tag(Rc<Node>),
}

/// Text or a tag, while a text node with tag placeholders is split up.
enum Part<'n> {
    Text(String),
    Tag(&'n Node),
}

impl<'a> Reduced<'a> {
    fn has_room(&self) -> bool {
        self.pieces.len() <= (LAST_PLACEHOLDER - FIRST_PLACEHOLDER) as usize
    }

    fn push_placeholder(&mut self, piece: Piece<'a>) {
        let placeholder = FIRST_PLACEHOLDER + self.pieces.len() as u32;
        self.pieces.push(piece);
        self.source
            .push(char::from_u32(placeholder).expect("private use characters are valid"));
    }

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
        if core.len() < MIN_CORE_LEN || could_change_tags || !self.has_room() {
            self.source.push_str(run);
            return;
        }
        self.source.push_str(&run[..lead]);
        self.push_placeholder(Piece::Text { text: core, raw });
        self.source.push_str(&run[lead + core.len()..]);
    }

    /// Puts the pieces back into `template`; false if the parse did not keep every placeholder,
    /// exactly once, where it belongs.
    fn restore(&self, template: &mut Template) -> bool {
        let mut seen = vec![0u32; self.pieces.len()];
        if !self.restore_nodes(&mut template.ast, &mut seen) || seen.iter().any(|&n| n != 1) {
            return false;
        }
        // Blocks and macros are also kept apart from the tree, as copies of its parts.
        let mut copies = vec![0u32; self.pieces.len()];
        let blocks = template.blocks.values_mut().map(|b| &mut b.body);
        let macros = template.macros.values_mut().map(|m| &mut m.body);
        for body in blocks.chain(macros) {
            if !self.restore_nodes(body, &mut copies) {
                return false;
            }
        }
        true
    }

    fn restore_nodes(&self, nodes: &mut Vec<Node>, seen: &mut [u32]) -> bool {
        let mut restored = Vec::with_capacity(nodes.len());
        for mut node in nodes.drain(..) {
            let ok = match &mut node {
                Node::Text(text) => {
                    if uses_placeholder_characters(text) {
                        match self.restore_text(text, seen) {
                            Some(parts) => restored.extend(parts),
                            None => return false,
                        }
                        continue;
                    }
                    true
                }
                Node::Raw(_, text, _) => self.restore_raw(text, seen),
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
            };
            if !ok {
                return false;
            }
            restored.push(node);
        }
        *nodes = restored;
        true
    }

    /// The nodes a text node with placeholders stands for.
    fn restore_text(&self, text: &str, seen: &mut [u32]) -> Option<Vec<Node>> {
        let mut parts = vec![Part::Text(String::with_capacity(text.len() + 256))];
        for c in text.chars() {
            let index = u32::from(c).wrapping_sub(FIRST_PLACEHOLDER) as usize;
            let piece = self.pieces.get(index);
            if let Some(Piece::Tag(node)) = piece {
                seen[index] += 1;
                parts.push(Part::Tag(node));
                parts.push(Part::Text(String::with_capacity(text.len())));
                continue;
            }
            let Some(Part::Text(current)) = parts.last_mut() else {
                unreachable!("a text part follows every tag part")
            };
            match piece {
                Some(Piece::Text { text, raw: false }) => {
                    seen[index] += 1;
                    current.push_str(text);
                }
                None if !is_placeholder(c) => current.push(c),
                _ => return None,
            }
        }
        // What Tera does to the text on either side of a tag with `-` marks.
        for at in 0..parts.len() {
            let Part::Tag(node) = &parts[at] else {
                continue;
            };
            let ws = tag_ws(node);
            if ws.left
                && let Part::Text(before) = &mut parts[at - 1]
            {
                before.truncate(before.trim_end().len());
            }
            if ws.right
                && let Part::Text(after) = &mut parts[at + 1]
            {
                after.drain(..after.len() - after.trim_start().len());
            }
        }
        Some(
            parts
                .into_iter()
                .filter_map(|part| match part {
                    Part::Text(text) if text.is_empty() => None,
                    Part::Text(text) => Some(Node::Text(text)),
                    Part::Tag(node) => Some(node.clone()),
                })
                .collect(),
        )
    }

    fn restore_raw(&self, text: &mut String, seen: &mut [u32]) -> bool {
        if !uses_placeholder_characters(text) {
            return true;
        }
        let mut restored = String::with_capacity(text.len() + 256);
        for c in text.chars() {
            let index = u32::from(c).wrapping_sub(FIRST_PLACEHOLDER) as usize;
            match self.pieces.get(index) {
                Some(Piece::Text { text, raw: true }) => {
                    seen[index] += 1;
                    restored.push_str(text);
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

fn tag_ws(node: &Node) -> WS {
    match node {
        Node::VariableBlock(ws, _) | Node::Set(ws, _) => *ws,
        _ => WS::default(),
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

/// What is between a tag's delimiters, without `-` trim marks and Tera's whitespace (space, tab,
/// CR, LF).
fn tag_inner(tag: &str) -> &str {
    let inner = &tag[2..tag.len() - 2];
    let inner = inner.strip_prefix('-').unwrap_or(inner);
    let inner = inner.strip_suffix('-').unwrap_or(inner);
    inner.trim_matches([' ', '\t', '\r', '\n'])
}

/// `{% name %}`, with optional `-` trims and whitespace around the name.
fn is_tag_named(tag: &str, name: &str) -> bool {
    tag_inner(tag) == name
}

/// The first `{% endraw %}` at or after `from`: (where it starts, where it ends).
fn find_endraw(source: &str, from: usize) -> Option<(usize, usize)> {
    let mut at = from;
    while let Some(offset) = source[at..].find("{%") {
        at += offset;
        if let Some(end) = source[at + 2..].find("%}").map(|i| at + 2 + i + 2)
            && is_tag_named(&source[at..end], "endraw")
        {
            return Some((at, end));
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
        assert_parser_agrees(&mut Parser::default(), source);
    }

    fn assert_parser_agrees(parser: &mut Parser, source: &str) {
        let expected = Template::new("t", None, source);
        let actual = parser.parse("t", source);
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
        Parser::default()
            .reduce(source)
            .is_some_and(|r| Template::new("t", None, &r.source).is_ok())
    }

    #[test]
    fn every_builtin_template_parses_as_tera_parses_it_and_fast() {
        let mut checked = 0;
        for name in crate::blueprint::builtin::names() {
            // One parser per blueprint, as `render` uses it: tags parsed once serve every file.
            let mut parser = Parser::default();
            let blueprint = crate::blueprint::builtin::load(name).unwrap();
            for file in &blueprint.templates {
                if let Ok(source) = std::str::from_utf8(&file.contents) {
                    assert_parser_agrees(&mut parser, source);
                    if parser.reduce(source).is_some() {
                        assert!(
                            parser.parse_reduced("t", source).is_some(),
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
            "{%- set w = name | upper -%}",
            "{{ super() }}",
            "{% block b %}",
            "{% endblock %}",
            "{{- w }}",
            "{{ xs | length -}}",
            "{% macro m() %}",
            "{% endmacro %}",
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |bound: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 33) as usize) % bound
        };
        let mut parser = Parser::default();
        let mut reduced = 0;
        for _ in 0..3000 {
            let pieces = 1 + next(14);
            let source: String = (0..pieces).map(|_| PIECES[next(PIECES.len())]).collect();
            assert_parser_agrees(&mut parser, &source);
            reduced += usize::from(parser.parse_reduced("t", &source).is_some());
        }
        assert!(reduced > 100, "only {reduced} of 3000 took the fast path");
    }

    #[test]
    fn plain_text_is_reduced_to_placeholders() {
        let source = "fn main() {\n    println!(\"{{ name }}\");\n    run();\n}\n";
        let reduced = Parser::default().reduce(source).unwrap();
        let cores: Vec<&str> = reduced
            .pieces
            .iter()
            .filter_map(|piece| match piece {
                Piece::Text { text, .. } => Some(*text),
                Piece::Tag(_) => None,
            })
            .collect();
        assert_eq!(
            cores,
            ["fn main() {\n    println!(\"", "\");\n    run();\n}"]
        );
        assert_eq!(reduced.source, "\u{F0000}\u{F0001}\u{F0002}\n");
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
        assert!(Parser::default().reduce(source).is_none());
        assert_same_as_tera(source);
    }

    #[test]
    fn short_runs_are_not_worth_a_placeholder() {
        assert!(!reduces("{% if a %} b {% endif %}"));
        assert!(reduces("{% if a %} a longer run of text {% endif %}"));
    }

    #[test]
    fn tags_that_stand_alone_are_parsed_once() {
        let mut parser = Parser::default();
        let source =
            "{{ name }} and {{ name }}\n{%- set x = name -%}\n{{ super() }}{% if a %}{% endif %}";
        let reduced = parser.reduce(source).unwrap();
        let tags = reduced
            .pieces
            .iter()
            .filter(|piece| matches!(piece, Piece::Tag(_)))
            .count();
        assert_eq!(tags, 3, "{:?}", reduced.source);
        // Two `{{ name }}`, the `set`, `super()` and `if`, `endif` each looked at once.
        assert_eq!(parser.tags.len(), 5, "{:?}", parser.tags.keys());
        assert!(parser.tags["{{ super() }}"].is_none());
        assert_same_as_tera(source);
    }
}
