//! Plain text taken out of a template before Tera parses it.
//!
//! Tera's parser (pest) walks plain text a character at a time, trying every tag opener at each:
//! over a thousand instructions a byte. A blueprint is mostly plain text (the built-in service
//! blueprint: 196 KB in its templated files, a few KB of it tags), so parsing was most of what
//! `svcgen new` did. Text renders to itself, so Tera is given less of it:
//!
//! - [`TagSpan`]: the text before a template's first tag and after its last is copied around
//!   Tera's output (the service blueprint's `Cargo.lock` is 75 KB around one `{{ name }}`);
//! - [`lift`]: each longer run of text between tags becomes a variable, `{{ __svcgen_text_N }}`,
//!   that the render's context holds.
//!
//! Whitespace a `{{-` or `-}}` would trim stays in the template, so trimming works as before;
//! text inside `{% raw %}` and inside macros (which do not see the render's context) stays too.
//! A template the scanner does not understand (an unclosed tag) is parsed as it is, so Tera
//! reports it.

use std::borrow::Cow;

/// Where a template's tags lie, as byte offsets into its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagSpan {
    pub start: usize,
    pub end: usize,
}

impl TagSpan {
    /// The span of `source` that holds every tag, widened over the whitespace a `{{-` at its
    /// start or a `-}}` at its end would trim. `None` for a source without a tag opener.
    pub fn of(source: &str) -> Option<TagSpan> {
        let bytes = source.as_bytes();
        let start = bytes
            .windows(2)
            .position(|pair| pair[0] == b'{' && matches!(pair[1], b'{' | b'%' | b'#'))?;
        let last_opener = bytes
            .windows(2)
            .rposition(|pair| pair[0] == b'{' && matches!(pair[1], b'{' | b'%' | b'#'))
            .unwrap_or(start);
        // The last closer of the file, if it follows the last opener, ends every tag; any text
        // between the last tag's own closer and it is parsed as the text it is. Without one the
        // last tag is unclosed: Tera parses to the end and reports it.
        let end = bytes
            .windows(2)
            .rposition(|pair| matches!(pair[0], b'}' | b'%' | b'#') && pair[1] == b'}')
            .map(|at| at + 2)
            .filter(|&end| end >= last_opener + 2)
            .unwrap_or(bytes.len());

        let start = if bytes.get(start + 2) == Some(&b'-') {
            source[..start].trim_end().len()
        } else {
            start
        };
        let end = if end >= 3 && end < bytes.len() && bytes[end - 3] == b'-' {
            bytes.len() - source[end..].trim_start().len()
        } else {
            end
        };
        Some(TagSpan { start, end })
    }

    /// The whole of `source`, for templates that must be parsed as they are.
    pub fn whole(source: &str) -> TagSpan {
        TagSpan {
            start: 0,
            end: source.len(),
        }
    }

    /// The text Tera parses.
    pub fn tagged<'a>(&self, source: &'a str) -> &'a str {
        &source[self.start..self.end]
    }

    /// The text before the span, copied as it is.
    pub fn before<'a>(&self, source: &'a str) -> &'a str {
        &source[..self.start]
    }

    /// The text after the span, copied as it is.
    pub fn after<'a>(&self, source: &'a str) -> &'a str {
        &source[self.end..]
    }

    /// How many lines of `source` come before the span: a line Tera reports within the span is
    /// this many lines further down the file.
    pub fn lines_before(&self, source: &str) -> usize {
        self.before(source).bytes().filter(|&b| b == b'\n').count()
    }
}

/// Whether a template refers to other templates (`extends`, `include`, `import`).
fn refers_to_templates(source: &str) -> bool {
    let mut rest = source;
    while let Some(at) = rest.find("{%") {
        let tag = rest[at + 2..].trim_start_matches('-').trim_start();
        if ["extends", "include", "import"]
            .iter()
            .any(|keyword| tag.starts_with(keyword))
        {
            return true;
        }
        rest = &rest[at + 2..];
    }
    false
}

/// A template as a render gives it to Tera.
#[derive(Debug, Clone)]
pub struct Prepared<'a> {
    pub path: &'a str,
    /// The whole template, as the blueprint holds it.
    pub source: &'a str,
    /// The part of `source` Tera renders; the text around it is copied around the output.
    pub span: TagSpan,
    /// That part as Tera parses it.
    pub lifted: Lifted<'a>,
}

impl<'a> Prepared<'a> {
    /// What Tera parses.
    pub fn parsed(&self) -> &str {
        &self.lifted.parsed
    }

    /// The text before the rendered part.
    pub fn before(&self) -> &'a str {
        self.span.before(self.source)
    }

    /// The text after the rendered part.
    pub fn after(&self) -> &'a str {
        self.span.after(self.source)
    }
}

/// The templates (path, source) of one render, prepared for Tera; the lifted texts of all of
/// them are numbered in one sequence, so one context serves every template (an included or
/// parent template finds its own texts there too).
pub fn prepare<'a>(templates: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<Prepared<'a>> {
    let templates: Vec<(&str, &str)> = templates.into_iter().collect();
    // A child template's text outside its blocks is not rendered, and an included template is
    // rendered from its own syntax tree: the text around their tags must then stay in them.
    let cut_around_tags = !templates
        .iter()
        .any(|(_, source)| refers_to_templates(source));
    let mut lifted_so_far = 0;
    templates
        .into_iter()
        .map(|(path, source)| {
            let span = match cut_around_tags {
                true => TagSpan::of(source).unwrap_or(TagSpan::whole(source)),
                false => TagSpan::whole(source),
            };
            let lifted = lift(span.tagged(source), lifted_so_far);
            lifted_so_far += lifted.texts.len();
            Prepared {
                path,
                source,
                span,
                lifted,
            }
        })
        .collect()
}

/// Whether any of the templates builds on another (`extends`, `include`, `import`), so they
/// can be parsed only together.
pub fn link_each_other(prepared: &[Prepared<'_>]) -> bool {
    prepared
        .iter()
        .any(|template| refers_to_templates(template.source))
}

/// Every text lifted out of `prepared`, with the variable that holds it.
pub fn lifted_texts<'a>(prepared: &'a [Prepared<'a>]) -> impl Iterator<Item = (String, &'a str)> {
    prepared
        .iter()
        .flat_map(|template| template.lifted.texts.iter().copied())
        .enumerate()
        .map(|(index, text)| (text_variable(index), text))
}

/// The name of the variable that holds lifted text number `index`.
pub fn text_variable(index: usize) -> String {
    format!("__svcgen_text_{index}")
}

/// A template as Tera parses it, and the texts lifted out of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifted<'a> {
    /// The template with each lifted text replaced by its variable.
    pub parsed: Cow<'a, str>,
    /// The lifted texts: the `i`th is held by variable `text_variable(first + i)`.
    pub texts: Vec<&'a str>,
}

/// Texts shorter than this stay in the template: Tera parses a variable tag in about the time
/// it parses 50 bytes of text.
const SHORTEST_LIFTED: usize = 64;

/// `source` with its longer texts between tags lifted into variables numbered from `first`.
/// `source` itself, nothing lifted, if it holds a tag, comment or raw block that is not closed.
pub fn lift(source: &str, first: usize) -> Lifted<'_> {
    scan(source, first).unwrap_or(Lifted {
        parsed: Cow::Borrowed(source),
        texts: Vec::new(),
    })
}

fn scan(source: &str, first: usize) -> Option<Lifted<'_>> {
    let bytes = source.as_bytes();
    let mut parsed = String::with_capacity(source.len().min(4096));
    let mut texts = Vec::new();
    let mut macro_depth = 0usize;
    let mut at = 0;
    while at < bytes.len() {
        let Some(open) = find_opener(bytes, at) else {
            lift_text(&source[at..], macro_depth, first, &mut parsed, &mut texts);
            break;
        };
        lift_text(
            &source[at..open],
            macro_depth,
            first,
            &mut parsed,
            &mut texts,
        );
        let end = match bytes[open + 1] {
            b'#' => find(bytes, open + 2, b"#}")? + 2,
            b'{' => tag_end(bytes, open + 2, b'}')?,
            _ => tag_end(bytes, open + 2, b'%')?,
        };
        parsed.push_str(&source[open..end]);
        at = end;
        if bytes[open + 1] == b'%' {
            match tag_name(&source[open..end]) {
                "raw" => {
                    let raw_end = endraw_end(source, at)?;
                    parsed.push_str(&source[at..raw_end]);
                    at = raw_end;
                }
                "macro" => macro_depth += 1,
                "endmacro" => macro_depth = macro_depth.saturating_sub(1),
                _ => {}
            }
        }
    }
    Some(Lifted {
        parsed: Cow::Owned(parsed),
        texts,
    })
}

/// Appends `text` to `parsed`, its middle lifted into a variable if it is long enough; the
/// whitespace at either end stays for `{{-` and `-}}` to trim. Inside a macro it stays whole.
fn lift_text<'a>(
    text: &'a str,
    macro_depth: usize,
    first: usize,
    parsed: &mut String,
    texts: &mut Vec<&'a str>,
) {
    let lead = text.len() - text.trim_start().len();
    let middle = text.trim();
    if macro_depth > 0 || middle.len() < SHORTEST_LIFTED {
        parsed.push_str(text);
        return;
    }
    parsed.push_str(&text[..lead]);
    parsed.push_str("{{ ");
    parsed.push_str(&text_variable(first + texts.len()));
    parsed.push_str(" }}");
    parsed.push_str(&text[lead + middle.len()..]);
    texts.push(middle);
}

fn find_opener(bytes: &[u8], from: usize) -> Option<usize> {
    bytes[from..]
        .windows(2)
        .position(|pair| pair[0] == b'{' && matches!(pair[1], b'{' | b'%' | b'#'))
        .map(|at| from + at)
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|window| window == needle)
        .map(|at| from + at)
}

/// Where a `{{ }}` or `{% %}` tag whose inside starts at `from` ends (after `}}` or `%}`):
/// a closer inside one of Tera's string literals (which have no escapes) does not count.
fn tag_end(bytes: &[u8], from: usize, closer: u8) -> Option<usize> {
    let mut at = from;
    while at + 1 < bytes.len() {
        match bytes[at] {
            quote @ (b'"' | b'\'' | b'`') => at = find(bytes, at + 1, &[quote])? + 1,
            byte if byte == closer && bytes[at + 1] == b'}' => return Some(at + 2),
            _ => at += 1,
        }
    }
    None
}

/// The first word of a `{% %}` tag: `if`, `raw`, `macro`.
fn tag_name(tag: &str) -> &str {
    let inside = tag[2..].trim_start_matches('-').trim_start();
    let len = inside
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(inside.len());
    &inside[..len]
}

/// Where the `{% endraw %}` that closes a raw block whose text starts at `from` ends.
fn endraw_end(source: &str, from: usize) -> Option<usize> {
    let bytes = source.as_bytes();
    let mut at = from;
    loop {
        let open = find(bytes, at, b"{%")?;
        let end = tag_end(bytes, open + 2, b'%')?;
        if tag_name(&source[open..end]) == "endraw" {
            return Some(end);
        }
        at = open + 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(source: &str) -> (&str, &str, &str) {
        let span = TagSpan::of(source).unwrap();
        (span.before(source), span.tagged(source), span.after(source))
    }

    #[test]
    fn text_around_the_tags_is_left_out() {
        assert_eq!(
            parts("[package]\nname = \"{{ name }}\"\nversion = 1\n"),
            ("[package]\nname = \"", "{{ name }}", "\"\nversion = 1\n")
        );
        assert_eq!(
            parts("a {% if x %}b{% endif %} c {# note #} d"),
            ("a ", "{% if x %}b{% endif %} c {# note #}", " d")
        );
        assert_eq!(TagSpan::of("fn main() {}\n"), None);
    }

    #[test]
    fn closers_in_the_text_after_the_last_tag_stay_inside_the_span() {
        let source = "{{ x }}\nfn f() { g(|| { h() }} }\n";
        let (before, tagged, after) = parts(source);
        assert_eq!(before, "");
        assert!(tagged.starts_with("{{ x }}") && tagged.ends_with("h() }}"));
        assert_eq!(after, " }\n");
        // A closer before the last opener does not end the span.
        assert_eq!(parts("x }} {{ y }}"), ("x }} ", "{{ y }}", ""));
    }

    #[test]
    fn whitespace_a_tag_trims_is_part_of_the_span() {
        assert_eq!(parts("a  \n{{- x }}b"), ("a", "  \n{{- x }}", "b"));
        assert_eq!(parts("a{{ x -}}\n\t b"), ("a", "{{ x -}}\n\t ", "b"));
        assert_eq!(
            parts("a{%- if x -%} {%- endif -%}\n"),
            ("a", "{%- if x -%} {%- endif -%}\n", "")
        );
    }

    #[test]
    fn an_unclosed_tag_runs_to_the_end() {
        assert_eq!(parts("a {{ x }} b {{ y"), ("a ", "{{ x }} b {{ y", ""));
    }

    #[test]
    fn lines_before_the_span_are_counted() {
        let source = "one\ntwo\nthree {{ x }}\n";
        assert_eq!(TagSpan::of(source).unwrap().lines_before(source), 2);
        assert_eq!(TagSpan::whole(source).lines_before(source), 0);
    }

    const LONG: &str =
        "a text long enough to be lifted out of its template, sixty-four bytes or more";

    #[test]
    fn long_texts_between_tags_become_variables() {
        let source = format!("{{{{ x }}}} {LONG} \n{{% if y %}}\n  {LONG}\n{{% endif %}}short");
        let lifted = lift(&source, 3);
        assert_eq!(
            lifted.parsed,
            "{{ x }} {{ __svcgen_text_3 }} \n{% if y %}\n  {{ __svcgen_text_4 }}\n{% endif %}short"
        );
        assert_eq!(lifted.texts, [LONG, LONG]);
    }

    #[test]
    fn raw_blocks_macros_comments_and_strings_are_kept_as_they_are() {
        for source in [
            format!("{{% raw %}}{LONG} {{{{ not a tag }}}}{{%- endraw -%}}"),
            format!("{{% macro m() %}}{LONG}{{% endmacro m %}}"),
            format!("{{# {LONG} }}}} #}}"),
            format!("{{{{ \"}}}}{LONG}\" }}}}{{% set s = '%}}{LONG}' %}}"),
        ] {
            let lifted = lift(&source, 0);
            assert_eq!(lifted.parsed, source);
            assert!(lifted.texts.is_empty(), "{source}");
        }
        // After the macro, texts are lifted again.
        let source = format!("{{% macro m() %}}x{{% endmacro %}}{LONG}");
        assert_eq!(lift(&source, 0).texts, [LONG]);
    }

    #[test]
    fn a_template_with_an_unclosed_tag_is_parsed_as_it_is() {
        for source in [
            format!("{{{{ x }}}}{LONG}{{{{ y"),
            format!("{{# {LONG}"),
            format!("{{% raw %}}{LONG}"),
            format!("{{{{ \"{LONG} }}}}"),
        ] {
            let lifted = lift(&source, 0);
            assert_eq!(lifted.parsed, source);
            assert!(lifted.texts.is_empty());
        }
    }

    #[test]
    fn texts_are_numbered_across_the_templates_of_a_render() {
        let a = format!("{LONG}{{{{ x }}}}");
        let b = format!("{{{{ x }}}}{LONG}{{{{ x }}}}{LONG}{{{{ x }}}}");
        let prepared = prepare([("a", a.as_str()), ("b", b.as_str())]);
        let texts: Vec<(String, &str)> = lifted_texts(&prepared).collect();
        assert_eq!(
            texts,
            [
                ("__svcgen_text_0".to_owned(), LONG),
                ("__svcgen_text_1".to_owned(), LONG),
            ]
        );
        assert_eq!(prepared[0].before(), LONG, "cut, not lifted");
        assert_eq!(
            prepared[1].parsed(),
            "{{ x }}{{ __svcgen_text_0 }}{{ x }}{{ __svcgen_text_1 }}{{ x }}"
        );
    }

    #[test]
    fn references_to_other_templates_are_found() {
        assert!(refers_to_templates("{% extends \"base.html\" %}"));
        assert!(refers_to_templates("x {%- include 'a' %}"));
        assert!(refers_to_templates("{%   import \"macros\" as m %}"));
        assert!(!refers_to_templates(
            "include_str!(\"a\") {% if imported %}{% endif %}"
        ));
        assert!(!refers_to_templates("no tags, extends nothing"));
    }
}
