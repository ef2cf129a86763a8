//! `check --all --format html`: the fleet as one self-contained page (inline CSS, no scripts,
//! nothing fetched), a row per service: its blueprint version, how far behind, the open update
//! branch, conflicts and drift. Every piece of text is escaped: service names, paths and error
//! messages come from repositories svcgen does not control.

use std::fmt::Write;

use svcgen::ops::check::{DriftKind, Standing};
use svcgen::ops::fleet::{Checked, FleetEntry};

const STYLE: &str = "
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem; color: #1d232a; background: #fff; }
h1 { font-size: 1.4rem; margin: 0 0 .3rem; }
p.summary { margin: 0 0 1.2rem; color: #4a5561; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .45rem .7rem; border-bottom: 1px solid #e3e7eb; vertical-align: top; }
th { background: #f3f5f7; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font: 12px ui-monospace, monospace; }
.state { display: inline-block; padding: .05rem .5rem; border-radius: .7rem; font-size: 12px; font-weight: 600; }
.up-to-date { background: #dff3e4; color: #1e6b34; }
.behind { background: #fff1d6; color: #8a5a00; }
.changed { background: #fff1d6; color: #8a5a00; }
.error { background: #fde2e1; color: #9b1c1c; }
.conflict { color: #9b1c1c; }
small { color: #6b7682; }
";

/// The page, from `check --all`'s entries.
pub fn render(entries: &[FleetEntry<Checked>]) -> String {
    let behind = entries
        .iter()
        .filter(|e| e.result.as_ref().is_ok_and(|c| c.report.is_behind()))
        .count();
    let errors = entries.iter().filter(|e| e.result.is_err()).count();
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>svcgen fleet report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>Fleet: {} services</h1>\n\
         <p class=\"summary\">{} up to date, {behind} behind or changed, {errors} could not be checked. \
         Made by svcgen {} (<code>svcgen check --all --format html</code>).</p>\n\
         <table>\n<thead><tr><th>Service</th><th>Blueprint</th><th>Version</th><th>Available</th>\
         <th>Behind</th><th>Update branch</th><th>Conflicts</th><th>Drift</th></tr></thead>\n<tbody>\n",
        entries.len(),
        entries.len() - behind - errors,
        env!("CARGO_PKG_VERSION"),
    );
    for entry in entries {
        row(&mut page, entry);
    }
    page.push_str("</tbody>\n</table>\n</body>\n</html>\n");
    page
}

fn row(page: &mut String, entry: &FleetEntry<Checked>) {
    let place = entry
        .repo
        .clone()
        .unwrap_or_else(|| entry.path.display().to_string());
    let _ = write!(
        page,
        "<tr class=\"service\"><td><strong>{}</strong><br><small>{}</small></td>",
        escape(&entry.service),
        escape(&place)
    );
    let checked = match &entry.result {
        Ok(checked) => checked,
        Err(err) => {
            let _ = writeln!(
                page,
                "<td colspan=\"7\"><span class=\"state error\">error</span> {}</td></tr>",
                escape(&err.to_string())
            );
            return;
        }
    };
    let report = &checked.report;
    let (state, label) = match report.standing {
        Standing::UpToDate => ("up-to-date", "up to date".to_owned()),
        Standing::Behind => ("behind", how_far(&report.current, &report.available)),
        Standing::ChangedWithoutVersionBump => (
            "changed",
            format!(
                "changed without a version bump ({} files)",
                report.changes.len()
            ),
        ),
    };
    let branch = match &checked.open_branch {
        Some(branch) => format!(
            "<code>{}</code>{}",
            escape(&branch.name),
            branch
                .commit
                .as_deref()
                .map(|c| format!(" <small>{}</small>", escape(&c[..c.len().min(12)])))
                .unwrap_or_default()
        ),
        None => "&ndash;".to_owned(),
    };
    let mut conflicts: Vec<&String> = report.unresolved.iter().collect();
    if let Some(branch) = &checked.open_branch {
        conflicts.extend(&branch.conflicts);
    }
    let conflicts = if conflicts.is_empty() {
        "&ndash;".to_owned()
    } else {
        format!(
            "<span class=\"conflict\">{}</span>",
            conflicts
                .iter()
                .map(|path| format!("<code>{}</code>", escape(path)))
                .collect::<Vec<_>>()
                .join("<br>")
        )
    };
    let drifted = |kind| {
        report
            .drift
            .iter()
            .filter(|d| !d.intended && d.kind == kind)
            .count()
    };
    let (changed, deleted) = (drifted(DriftKind::Changed), drifted(DriftKind::Deleted));
    let intended = report.drift.iter().filter(|d| d.intended).count();
    let mut drift_note = Vec::new();
    if deleted > 0 {
        drift_note.push(format!("{deleted} deleted"));
    }
    if intended > 0 {
        drift_note.push(format!("{intended} intended"));
    }
    let drift_note = if drift_note.is_empty() {
        String::new()
    } else {
        format!("<br><small>{}</small>", drift_note.join(", "))
    };
    let _ = writeln!(
        page,
        "<td>{}</td><td>{}</td><td>{}</td><td><span class=\"state {state}\">{}</span></td>\
         <td>{branch}</td><td>{conflicts}</td><td class=\"num\">{}{drift_note}</td></tr>",
        escape(&report.blueprint),
        escape(&report.current.to_string()),
        escape(&report.available.to_string()),
        escape(&label),
        changed + deleted,
    );
}

/// `1 minor version behind`: the largest part of the version that differs, and by how much.
fn how_far(current: &semver::Version, available: &semver::Version) -> String {
    let (count, part) = if available.major > current.major {
        (available.major - current.major, "major")
    } else if available.minor > current.minor {
        (available.minor - current.minor, "minor")
    } else if available.patch > current.patch {
        (available.patch - current.patch, "patch")
    } else {
        return "behind (pre-release)".to_owned();
    };
    format!(
        "{count} {part} version{} behind",
        if count == 1 { "" } else { "s" }
    )
}

/// Text as HTML: `&`, `<`, `>`, `"` and `'` as entities.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
    }

    #[test]
    fn how_far_names_the_largest_part_that_moved() {
        let v = |s: &str| semver::Version::parse(s).unwrap();
        assert_eq!(how_far(&v("1.0.0"), &v("1.1.0")), "1 minor version behind");
        assert_eq!(how_far(&v("1.4.2"), &v("3.0.0")), "2 major versions behind");
        assert_eq!(how_far(&v("1.0.0"), &v("1.0.3")), "3 patch versions behind");
    }
}
