//! Inserting a part's text into a service's files, at the anchors its templates leave
//! (`svcgen:anchor NAME` comment lines), planned in memory over the files as they are.

use std::collections::BTreeMap;

use super::{Insert, Part};
use crate::apply::Change;
use crate::error::{Error, Location, Result};
use crate::service::files::FileView;
use crate::template;
use crate::tree::{FileEntry, RelPath};

/// Plans `insert` (when its `when` holds) on the files `pending` shows: its text just above the
/// line carrying the anchor, unless the file already has that text (a re-run).
pub fn apply_insert(
    part: &Part,
    insert: &Insert,
    context: &tera::Context,
    pending: &mut Pending<'_>,
) -> Result<()> {
    let location = Location {
        file: part.manifest_display(),
        line: insert.line,
    };
    let template_error = |what: &str, err: template::TemplateError| Error::Template {
        location: location.clone(),
        message: format!("[[inserts]] {what}: {}", err.message),
    };
    if let Some(when) = &insert.when
        && !template::eval_condition(when, context).map_err(|err| template_error("when", err))?
    {
        return Ok(());
    }
    let file =
        template::render_str(&insert.file, context).map_err(|e| template_error("file", e))?;
    let path = RelPath::new(&file).map_err(|reason| Error::UnsafePath {
        template: part.manifest_display(),
        path: file.clone(),
        reason,
    })?;
    let text =
        template::render_str(&insert.text, context).map_err(|e| template_error("text", e))?;

    let Some(entry) = pending.read(&path)? else {
        return Err(Error::MissingAnchor {
            file: file.clone(),
            anchor: insert.anchor.clone(),
            reason: "the file does not exist".into(),
        });
    };
    let Ok(current) = String::from_utf8(entry.contents.to_vec()) else {
        return Err(Error::MissingAnchor {
            file,
            anchor: insert.anchor.clone(),
            reason: "the file is not UTF-8 text".into(),
        });
    };
    let crlf = current.contains("\r\n");
    let text = if crlf {
        text.replace("\r\n", "\n").replace('\n', "\r\n")
    } else {
        text
    };
    if text.is_empty() || current.contains(&text) {
        return Ok(());
    }
    let Some(at) = anchor_offset(&current, &insert.anchor) else {
        return Err(Error::MissingAnchor {
            file,
            anchor: insert.anchor.clone(),
            reason: format!(
                "no line carries `svcgen:anchor {}`; restore that comment line where svcgen should add code",
                insert.anchor
            ),
        });
    };
    let mut updated = String::with_capacity(current.len() + text.len());
    updated.push_str(&current[..at]);
    updated.push_str(&text);
    updated.push_str(&current[at..]);
    pending.write(
        path,
        FileEntry {
            contents: updated.into_bytes().into(),
            mode: entry.mode,
        },
    );
    Ok(())
}

/// Byte offset of the start of the line carrying `svcgen:anchor <name>` (the whole word).
pub fn anchor_offset(text: &str, name: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some((_, rest)) = line.split_once("svcgen:anchor ")
            && rest.split_whitespace().next() == Some(name)
        {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

/// The service's files as this run has changed them so far, over what is on disk.
pub struct Pending<'a> {
    base: &'a dyn FileView,
    originals: BTreeMap<RelPath, Option<FileEntry>>,
    writes: BTreeMap<RelPath, FileEntry>,
}

impl<'a> Pending<'a> {
    pub fn new(base: &'a dyn FileView) -> Self {
        Pending {
            base,
            originals: BTreeMap::new(),
            writes: BTreeMap::new(),
        }
    }

    pub fn read(&mut self, path: &RelPath) -> Result<Option<FileEntry>> {
        if let Some(written) = self.writes.get(path) {
            return Ok(Some(written.clone()));
        }
        self.original(path)
    }

    fn original(&mut self, path: &RelPath) -> Result<Option<FileEntry>> {
        if let Some(original) = self.originals.get(path) {
            return Ok(original.clone());
        }
        let original = self.base.read(path)?;
        self.originals.insert(path.clone(), original.clone());
        Ok(original)
    }

    pub fn write(&mut self, path: RelPath, entry: FileEntry) {
        self.writes.insert(path, entry);
    }

    pub fn into_changes(mut self) -> Result<Vec<Change>> {
        let writes = std::mem::take(&mut self.writes);
        let mut changes = Vec::new();
        for (path, after) in writes {
            let before = self.original(&path)?;
            changes.extend(Change::between(path, before, Some(after)));
        }
        Ok(changes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_match_whole_names_on_any_comment_style() {
        let text = "a\n    // svcgen:anchor modules-extra\n# svcgen:anchor modules\nz\n";
        assert_eq!(
            anchor_offset(text, "modules"),
            Some(text.find("# svcgen").unwrap())
        );
        assert_eq!(anchor_offset(text, "module"), None);
    }
}
