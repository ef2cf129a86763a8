//! `render(blueprint, answers) -> Tree`: the one pure function every command is built on.
//!
//! No filesystem, no clock, no randomness: the same blueprint and answers give the same bytes.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::answers::Answers;
use crate::blueprint::manifest::SVCGEN_VARIABLE;
use crate::blueprint::{Blueprint, TemplateFile};
use crate::error::{Error, Location, Result};
use crate::template::{self, TemplateError};
use crate::template_text::{self, Prepared};
use crate::tree::{FileEntry, RelPath, Tree};

pub fn render(blueprint: &Blueprint, answers: &Answers) -> Result<Tree> {
    // A blueprint of nothing would make a "service" holding only svcgen's own files.
    if blueprint.templates.is_empty() {
        return Err(Error::NoTemplates {
            origin: blueprint.origin.clone(),
        });
    }
    let mut context = template::context(answers);
    context.insert(
        SVCGEN_VARIABLE,
        &serde_json::json!({
            "blueprint": blueprint.manifest.name,
            "blueprint_version": blueprint.manifest.version.to_string(),
            "version": env!("CARGO_PKG_VERSION"),
        }),
    );
    render_with_context(blueprint, &context)
}

/// [`render`] with a ready Tera context, for parts (such as `add-event`'s) whose templates see
/// more than the answers.
pub fn render_with_context(blueprint: &Blueprint, context: &tera::Context) -> Result<Tree> {
    let manifest_file = blueprint.manifest_path();

    // Rules are evaluated once, not once per file.
    let mut excluded_by = Vec::new();
    for rule in &blueprint.manifest.include_rules {
        let included =
            template::eval_condition(&rule.when, context).map_err(|err| Error::Manifest {
                location: Location {
                    file: manifest_file.clone(),
                    line: rule.line,
                },
                message: format!("[[files.include]] {:?}: {}", rule.patterns, err.message),
            })?;
        if !included {
            excluded_by.push(&rule.paths);
        }
    }

    let mut selected: Vec<(&TemplateFile, RelPath)> = Vec::new();
    let mut origins: BTreeMap<RelPath, &str> = BTreeMap::new();
    for file in &blueprint.templates {
        if excluded_by.iter().any(|globs| globs.is_match(&file.path)) {
            continue;
        }
        // Each segment is rendered on its own, so one that renders empty drops the file (or
        // the whole folder it names) while a `/` inside an answer still reaches the safety check.
        let mut segments = Vec::new();
        for segment in file.path.split('/') {
            let rendered = template::render_str(segment, context)
                .map_err(|err| template_error(blueprint, &file.path, err))?;
            segments.push(rendered);
        }
        if segments.iter().any(|segment| segment.trim().is_empty()) {
            continue;
        }
        let rendered_path = segments.join("/");
        let path = RelPath::new(&rendered_path)
            .and_then(|path| {
                if path.segments().next() == Some(crate::service::base::SVCGEN_DIR_NAME) {
                    Err("is inside `.svcgen/`, which holds svcgen's own state (record, base); rename the template")
                } else {
                    Ok(path)
                }
            })
            .map_err(|reason| Error::UnsafePath {
                template: blueprint.display_path(&file.path),
                path: rendered_path.clone(),
                reason,
            })?;
        if let Some(other) = origins.insert(path.clone(), &file.path) {
            return Err(Error::Template {
                location: Location {
                    file: blueprint.display_path(&file.path),
                    line: None,
                },
                message: format!("renders to `{path}`, the same path as `{other}`"),
            });
        }
        selected.push((file, path));
    }

    // A text without a tag opener renders to itself: it is copied rather than parsed, so a
    // large data file costs no syntax tree (and no second copy of its bytes in one).
    let verbatim = |file: &TemplateFile| {
        blueprint.manifest.copy_without_render.is_match(&file.path)
            || is_binary(&file.contents)
            || !has_tag_opener(&file.contents)
    };
    let templates =
        template_text::prepare(selected.iter().filter(|(file, _)| !verbatim(file)).map(
            |(file, _)| {
                let source =
                    std::str::from_utf8(&file.contents).expect("is_binary rejects non-UTF-8");
                (file.path.as_str(), source)
            },
        ));
    let sources: Vec<(&str, &str)> = templates
        .iter()
        .map(|template| (template.path, template.parsed()))
        .collect();
    let tera = blueprint
        .compiled
        .get_or_parse(&sources, || parse_templates(blueprint, &templates))?;
    let by_path: BTreeMap<&str, &Prepared<'_>> = templates
        .iter()
        .map(|template| (template.path, template))
        .collect();
    let mut context = Cow::Borrowed(context);
    for (variable, text) in template_text::lifted_texts(&templates) {
        context.to_mut().insert(variable, text);
    }

    let mut tree = Tree::new();
    for (file, path) in selected {
        let contents = if verbatim(file) {
            // The blueprint's own buffer, shared: a large copied file is held once.
            file.contents.clone()
        } else {
            let template = by_path[file.path.as_str()];
            // Most files render to about their template's size; the tree then holds every
            // file to the end, so it keeps no growth slack.
            let mut rendered = Vec::with_capacity(template.source.len());
            rendered.extend_from_slice(template.before().as_bytes());
            tera.render_to(&file.path, &context, &mut rendered)
                .map_err(|err| {
                    template_error(
                        blueprint,
                        &file.path,
                        template::describe(&err, template.source),
                    )
                })?;
            rendered.extend_from_slice(template.after().as_bytes());
            rendered.shrink_to_fit();
            rendered.into()
        };
        tree.insert(
            path,
            FileEntry {
                contents,
                mode: file.mode,
            },
        );
    }
    if let Some((file, nested)) = tree.find_file_dir_clash() {
        return Err(Error::Template {
            location: Location {
                file: blueprint.origin.clone(),
                line: None,
            },
            message: format!("`{file}` is rendered both as a file and as the folder of `{nested}`"),
        });
    }
    Ok(tree)
}

/// Parses every template of a render into one Tera, linked (`extends`, `import`) once all are in
/// so a template may build on one that sorts after it.
fn parse_templates(blueprint: &Blueprint, templates: &[Prepared<'_>]) -> Result<tera::Tera> {
    let parsed = match template_text::link_each_other(templates) {
        true => parse_all(templates),
        false => parse_in_two(templates),
    };
    let err = match parsed {
        Ok(tera) => {
            let sources: Vec<(&str, &str)> = templates
                .iter()
                .map(|template| (template.path, template.source))
                .collect();
            refuse_endless_macros(blueprint, &sources, &tera)?;
            return Ok(tera);
        }
        Err(err) => err,
    };
    // Tera stops at the first template that does not parse, and names it only inside its
    // message; parsing each alone again (only on this error path) finds it without reading
    // that message. A template that parses alone failed to link instead.
    // Each is parsed as the blueprint holds it, for the line numbers.
    for template in templates {
        let tagged = template.span.tagged(template.source);
        if let Err(err) = tera::Tera::default().add_raw_templates([(template.path, tagged)])
            && is_syntax_error(&err)
        {
            let mut described = template::describe(&err, tagged);
            if let Some(line) = &mut described.line {
                *line += template.span.lines_before(template.source);
            }
            return Err(template_error(blueprint, template.path, described));
        }
    }
    Err(Error::Template {
        location: Location {
            file: blueprint.origin.clone(),
            line: None,
        },
        message: template::describe(&err, "").message,
    })
}

/// Parses `templates` into one Tera.
fn parse_all(templates: &[Prepared<'_>]) -> tera::Result<tera::Tera> {
    let mut tera = template::new_tera();
    tera.add_raw_templates(
        templates
            .iter()
            .map(|template| (template.path, template.parsed())),
    )?;
    Ok(tera)
}

/// Parses templates that stand alone half on another thread, half on this one: parsing is most
/// of a render's time, and it leaves a second core idle.
fn parse_in_two(templates: &[Prepared<'_>]) -> tera::Result<tera::Tera> {
    let total: usize = templates
        .iter()
        .map(|template| template.parsed().len())
        .sum();
    let mut so_far = 0;
    let half = templates
        .iter()
        .position(|template| {
            so_far += template.parsed().len();
            so_far >= total / 2
        })
        .map_or(templates.len(), |index| index + 1);
    let (first, second) = templates.split_at(half);
    if first.is_empty() || second.is_empty() {
        return parse_all(templates);
    }
    let (tera, other) = std::thread::scope(|scope| {
        // The main thread's stack size, so a deeply nested template parses here as it would there.
        let other = std::thread::Builder::new()
            .stack_size(8 << 20)
            .spawn_scoped(scope, || parse_all(second));
        let tera = parse_all(first);
        let other = match other {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // No thread to be had: this one parses the rest.
            Err(_) => parse_all(second),
        };
        (tera, other)
    });
    let mut tera = tera?;
    tera.extend(&other?)?;
    Ok(tera)
}

/// A macro that always calls itself would overflow the stack while rendering, which aborts the
/// process: found first (see [`crate::macro_recursion`]), it is an error naming the macro.
fn refuse_endless_macros(
    blueprint: &Blueprint,
    sources: &[(&str, &str)],
    tera: &tera::Tera,
) -> Result<()> {
    let Some(endless) = crate::macro_recursion::find_endless(tera) else {
        return Ok(());
    };
    let source = sources
        .iter()
        .find(|(path, _)| *path == endless.template)
        .map_or("", |(_, source)| *source);
    let opening = format!("macro {}(", endless.name);
    Err(Error::Template {
        location: Location {
            file: blueprint.display_path(&endless.template),
            line: source
                .lines()
                .position(|line| line.contains(&opening))
                .map(|index| index + 1),
        },
        message: format!(
            "macro `{}` always calls itself ({}) and would recurse until svcgen runs out of stack; call it again only under an `{{% if %}}` that ends the recursion",
            endless.name,
            endless.cycle.join(" -> ")
        ),
    })
}

/// Whether Tera failed to parse a template, rather than to link it to the others: only a parse
/// failure carries the parser's report as its cause.
fn is_syntax_error(err: &tera::Error) -> bool {
    std::error::Error::source(err).is_some()
}

fn template_error(blueprint: &Blueprint, path: &str, err: TemplateError) -> Error {
    Error::Template {
        location: Location {
            file: blueprint.display_path(path),
            line: err.line,
        },
        message: err.message,
    }
}

/// Whether `contents` holds `{{`, `{%` or `{#`, where Tera syntax starts.
fn has_tag_opener(contents: &[u8]) -> bool {
    contents
        .windows(2)
        .any(|pair| pair[0] == b'{' && matches!(pair[1], b'{' | b'%' | b'#'))
}

/// Binary files are copied, never rendered: anything with a NUL byte or that is not UTF-8 (the
/// same test git and ripgrep use, plus the UTF-8 check that Tera needs).
pub fn is_binary(contents: &[u8]) -> bool {
    let head = &contents[..contents.len().min(8192)];
    head.contains(&0) || std::str::from_utf8(contents).is_err()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::{GivenAnswers, Value};
    use crate::blueprint::SourceFile;
    use crate::resolve::resolve_answers;
    use crate::tree::Mode;

    fn blueprint(manifest_body: &str, files: &[(&str, &[u8], Mode)]) -> Blueprint {
        let mut all = vec![SourceFile {
            path: "blueprint.toml".into(),
            contents: format!("[blueprint]\nname = \"t\"\nversion = \"1.0.0\"\n{manifest_body}")
                .into_bytes()
                .into(),
            mode: Mode::Regular,
        }];
        all.extend(files.iter().map(|(path, contents, mode)| SourceFile {
            path: format!("template/{path}"),
            contents: contents.to_vec().into(),
            mode: *mode,
        }));
        Blueprint::from_files("bp", all).unwrap()
    }

    fn answers(bp: &Blueprint, sets: &[&str]) -> Answers {
        let mut given = GivenAnswers::default();
        for s in sets {
            given.set(s).unwrap();
        }
        resolve_answers(&bp.manifest, "bp/blueprint.toml", "my-svc", &given, None).unwrap()
    }

    fn text(tree: &Tree, path: &str) -> String {
        String::from_utf8(tree.get(path).unwrap().contents.to_vec()).unwrap()
    }

    fn paths(tree: &Tree) -> Vec<&str> {
        tree.iter().map(|(p, _)| p.as_str()).collect()
    }

    #[test]
    fn templates_read_the_blueprint_and_svcgen_versions() {
        let bp = blueprint(
            "",
            &[(
                "catalog.yaml",
                b"made-by: {{ svcgen.blueprint }} {{ svcgen.blueprint_version }} (svcgen {{ svcgen.version }})\n",
                Mode::Regular,
            )],
        );
        let tree = render(&bp, &answers(&bp, &[])).unwrap();
        assert_eq!(
            text(&tree, "catalog.yaml"),
            format!("made-by: t 1.0.0 (svcgen {})\n", env!("CARGO_PKG_VERSION"))
        );
    }

    const VARS: &str = r#"
[variables.with_events]
type = "bool"
default = false
[variables.ci]
type = "choice"
choices = ["github", "none"]
default = "github"
[[files.include]]
paths = ["src/events/**"]
when = "with_events"
[[files.include]]
paths = [".github/**"]
when = "ci == 'github'"
[files]
copy_without_render = ["static/**"]
"#;

    fn sample() -> Blueprint {
        blueprint(
            VARS,
            &[
                (
                    "src/{{ name | snake_case }}.rs",
                    b"// {{ name }}\n",
                    Mode::Regular,
                ),
                ("src/events/mod.rs", b"pub mod x;\n", Mode::Regular),
                (
                    ".github/workflows/ci.yml",
                    b"{% raw %}${{ x }}{% endraw %}\n",
                    Mode::Regular,
                ),
                (
                    "{% if with_events %}relay{% endif %}/run.sh",
                    b"#!/bin/sh\n# {{ name }}\n",
                    Mode::Executable,
                ),
                (
                    "bin/start.sh",
                    b"#!/bin/sh\necho {{ name }}\n",
                    Mode::Executable,
                ),
                ("static/raw.txt", b"{{ not rendered }}", Mode::Regular),
                ("logo.png", b"\x89PNG\r\n\x1a\n\0\0{{", Mode::Regular),
                ("win.bat", b"echo {{ name }}\r\nexit\r\n", Mode::Regular),
            ],
        )
    }

    #[test]
    fn paths_are_templated() {
        let bp = sample();
        let tree = render(&bp, &answers(&bp, &[])).unwrap();
        assert_eq!(text(&tree, "src/my_svc.rs"), "// my-svc\n");
    }

    #[test]
    fn conditional_files_follow_their_rules() {
        let bp = sample();
        let off = render(&bp, &answers(&bp, &["ci=none"])).unwrap();
        assert!(!paths(&off).iter().any(|p| p.starts_with("src/events")));
        assert!(!paths(&off).iter().any(|p| p.starts_with(".github")));
        let on = render(&bp, &answers(&bp, &["with_events=true"])).unwrap();
        assert!(paths(&on).contains(&"src/events/mod.rs"));
        assert_eq!(text(&on, ".github/workflows/ci.yml"), "${{ x }}\n");
    }

    #[test]
    fn empty_path_segment_drops_the_file() {
        let bp = sample();
        let off = render(&bp, &answers(&bp, &[])).unwrap();
        assert!(!paths(&off).iter().any(|p| p.ends_with("run.sh")));
        let on = render(&bp, &answers(&bp, &["with_events=true"])).unwrap();
        assert_eq!(on.get("relay/run.sh").unwrap().mode, Mode::Executable);
    }

    #[test]
    fn binary_and_copy_without_render_are_verbatim() {
        let bp = sample();
        let tree = render(&bp, &answers(&bp, &[])).unwrap();
        assert_eq!(
            &tree.get("logo.png").unwrap().contents[..],
            b"\x89PNG\r\n\x1a\n\0\0{{"
        );
        assert_eq!(text(&tree, "static/raw.txt"), "{{ not rendered }}");
    }

    #[test]
    fn modes_and_line_endings_are_kept() {
        let bp = sample();
        let tree = render(&bp, &answers(&bp, &[])).unwrap();
        assert_eq!(tree.get("bin/start.sh").unwrap().mode, Mode::Executable);
        assert_eq!(tree.get("src/my_svc.rs").unwrap().mode, Mode::Regular);
        assert_eq!(text(&tree, "win.bat"), "echo my-svc\r\nexit\r\n");
    }

    #[test]
    fn text_without_tags_is_copied_as_it_is() {
        let bp = blueprint("", &[("data.csv", b"a,b\n{ not a tag }\n", Mode::Regular)]);
        let tree = render(&bp, &answers(&bp, &[])).unwrap();
        assert_eq!(text(&tree, "data.csv"), "a,b\n{ not a tag }\n");
        assert!(!has_tag_opener(b"{ x } %} }}"));
        assert!(has_tag_opener(b"a {# b"));
    }

    #[test]
    fn parsed_templates_are_reused_across_renders() {
        let bp = sample();
        let defaults = answers(&bp, &[]);
        let first = render(&bp, &defaults).unwrap();
        assert_eq!(format!("{:?}", bp.compiled), "CompiledTemplates(1 sets)");
        assert_eq!(render(&bp.clone(), &defaults).unwrap(), first);
        assert_eq!(format!("{:?}", bp.compiled), "CompiledTemplates(1 sets)");
        // Other answers that select other files parse their own set.
        render(&bp, &answers(&bp, &["with_events=true"])).unwrap();
        assert_eq!(format!("{:?}", bp.compiled), "CompiledTemplates(2 sets)");
    }

    #[test]
    fn same_input_gives_same_bytes() {
        let bp = sample();
        let a = answers(&bp, &["with_events=true"]);
        assert_eq!(render(&bp, &a).unwrap(), render(&bp, &a).unwrap());
    }

    #[test]
    fn traversal_and_absolute_paths_are_rejected() {
        for evil in ["{{ name }}/../../etc/x", "a/{{ \"..\" }}/b"] {
            let bp = blueprint("", &[(evil, b"x", Mode::Regular)]);
            let err = render(&bp, &answers(&bp, &[])).unwrap_err();
            assert!(matches!(err, Error::UnsafePath { .. }), "{evil}: {err}");
        }
        let bp = blueprint(
            "[variables.dir]\ntype = \"string\"\ndefault = \"ok\"\n",
            &[("{{ dir }}/f", b"x", Mode::Regular)],
        );
        let err = render(&bp, &answers(&bp, &["dir=../../outside"])).unwrap_err();
        assert!(
            err.to_string()
                .contains("could escape the output directory"),
            "{err}"
        );
        let err = render(&bp, &answers(&bp, &["dir=/etc"])).unwrap_err();
        assert!(err.to_string().contains("is absolute"), "{err}");
    }

    #[test]
    fn render_error_names_file_and_line() {
        let bp = blueprint(
            "",
            &[
                ("a.txt", b"fine\n", Mode::Regular),
                ("z.txt", b"one\ntwo {{ undefined_thing }}\n", Mode::Regular),
            ],
        );
        let err = render(&bp, &answers(&bp, &[])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "bp/template/z.txt:2: Variable `undefined_thing` not found in context"
        );
    }

    #[test]
    fn syntax_error_names_file_and_line() {
        let bp = blueprint(
            "",
            &[
                ("a.txt", b"fine {{ name }}\n", Mode::Regular),
                ("m.txt", b"one\ntwo\n{{ name oops }}\n", Mode::Regular),
                ("z.txt", b"{% if %}\n", Mode::Regular),
            ],
        );
        let err = render(&bp, &answers(&bp, &[])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "bp/template/m.txt:3: template syntax error: expected `or`, `and`, `not`, `<=`, `>=`, `<`, `>`, `==`, `!=`, `+`, `-`, `*`, `/`, `%`, a filter, or a variable end (`}}`)"
        );
    }

    #[test]
    fn text_taken_out_of_templates_renders_as_tera_renders_the_whole_files() {
        let long =
            "a line of plain text, long enough to be lifted out of the template that holds it";
        let single: Vec<String> = vec![
            "[[package]]\nname = \"{{ name }}\"\nversion = \"0.1.0\"\n".into(),
            "lead  \n\t{{- name }} trail".into(),
            "lead {{ name -}}  \n\n  trail\n".into(),
            "{% if name %}x{% endif %}\nfn f() { g(|| { h() }} }\n".into(),
            "a }} b {{ name }} c {# note #}\r\nd\r\n".into(),
            "{%- if true -%}\n  yes\n{%- endif %}  ".into(),
            format!(
                "{{{{ name }}}}\n{long}  \n  {{%- for i in [1, 2] %}}\n{long} {{{{ i }}}}\n{{% endfor -%}}\n\n {long}{{{{ name }}}}"
            ),
            format!(
                "{{{{ name }}}}{{% raw %}}{long} {{{{ kept }}}}{{% endraw %}}{long}{{{{ name }}}}"
            ),
            format!("{{% filter upper %}}{long}{{% endfilter %}}{{{{ name }}}}"),
        ];
        // Templates that build on each other: text in a parent, a child, an included file, a macro.
        let linked: Vec<(&str, String)> = vec![
            (
                "base.txt",
                format!(
                    "{long}\n{{% block body %}}{long}{{% endblock body %}}\n{long}{{{{ name }}}}\n"
                ),
            ),
            (
                "child.txt",
                format!(
                    "{{% extends \"base.txt\" %}}{long}{{% block body %}}{{{{ super() }}}} {long}{{% endblock body %}}\n"
                ),
            ),
            (
                "macros.txt",
                format!("{{% macro shout(w) %}}{long} {{{{ w | upper }}}}{{% endmacro shout %}}"),
            ),
            (
                "main.txt",
                format!(
                    "{{% import \"macros.txt\" as m %}}{{{{ name }}}} {long}\n{{% include \"part.txt\" %}}\n{long} {{{{ m::shout(w=name) }}}}"
                ),
            ),
            ("part.txt", format!("{long} {{{{ name }}}} {long}")),
        ];
        let mut cases: Vec<Vec<(&str, String)>> = single
            .into_iter()
            .map(|source| vec![("f.txt", source)])
            .collect();
        cases.push(linked);
        for files in cases {
            let listed: Vec<(&str, &[u8], Mode)> = files
                .iter()
                .map(|(path, source)| (*path, source.as_bytes(), Mode::Regular))
                .collect();
            let bp = blueprint("", &listed);
            let answers = answers(&bp, &[]);
            let mut whole = template::new_tera();
            whole
                .add_raw_templates(files.iter().map(|(path, source)| (*path, source.as_str())))
                .unwrap();
            let mut context = template::context(&answers);
            context.insert(
                SVCGEN_VARIABLE,
                &serde_json::json!({"blueprint": "t", "blueprint_version": "1.0.0", "version": env!("CARGO_PKG_VERSION")}),
            );
            let tree = render(&bp, &answers).unwrap();
            for (path, source) in &files {
                let expected = whole.render(path, &context).unwrap();
                assert_eq!(text(&tree, path), expected, "{path}: {source:?}");
            }
        }
    }

    #[test]
    fn a_template_extends_and_imports_templates_that_sort_after_it() {
        let bp = blueprint(
            "",
            &[
                (
                    "a.txt",
                    b"{% extends \"z-base.txt\" %}{% import \"z-macros.txt\" as m %}{% block body %}child of {{ m::who() }}{% endblock %}",
                    Mode::Regular,
                ),
                (
                    "z-base.txt",
                    b"[{% block body %}base{% endblock %}]",
                    Mode::Regular,
                ),
                (
                    "z-macros.txt",
                    b"{% macro who() %}{{ name }}{% endmacro %}",
                    Mode::Regular,
                ),
            ],
        );
        let tree = render(&bp, &answers(&bp, &[])).unwrap();
        assert_eq!(text(&tree, "a.txt"), "[child of my-svc]");
        assert_eq!(text(&tree, "z-base.txt"), "[base]");
    }

    #[test]
    fn a_missing_parent_template_is_an_error_of_the_blueprint() {
        let bp = blueprint(
            "",
            &[(
                "a.txt",
                b"{% extends \"gone.txt\" %}{% block b %}{% endblock %}",
                Mode::Regular,
            )],
        );
        let err = render(&bp, &answers(&bp, &[])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "bp: Template 'a.txt' is inheriting from 'gone.txt', which doesn't exist or isn't loaded."
        );
    }

    #[test]
    fn two_templates_rendering_to_one_path_is_an_error() {
        let bp = blueprint(
            "",
            &[
                ("{{ name }}.txt", b"", Mode::Regular),
                ("my-svc.txt", b"", Mode::Regular),
            ],
        );
        let err = render(&bp, &answers(&bp, &[])).unwrap_err();
        assert!(err.to_string().contains("the same path"), "{err}");
    }

    #[test]
    fn when_and_defaults_reach_templates() {
        let bp = blueprint(
            "[variables.db]\ntype = \"string\"\ndefault = \"{{ name | snake_case }}\"\n",
            &[("db.txt", b"{{ db }}", Mode::Regular)],
        );
        let tree = render(&bp, &answers(&bp, &[])).unwrap();
        assert_eq!(text(&tree, "db.txt"), "my_svc");
        let a = answers(&bp, &["db=orders"]);
        assert_eq!(a["db"], Value::String("orders".into()));
    }
}
