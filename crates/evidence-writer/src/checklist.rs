//! `check` / `uncheck`: mark items of the OPS-302 checklist in `README.md` by stable id.
//!
//! Only the character between the brackets of each named item changes; every other byte of
//! the README stays as it was. Marking an item that is already in the asked state is a no-op.

use std::path::Path;

use bundle_core::fsio::{self, WriteOptions};
use bundle_core::ops::evidence::checklist_items;

use crate::Error;
use crate::files::{self, Paths};

/// Sets the items `ids` to `checked`. Returns, for each id in order, whether it changed.
/// All ids are checked to exist before anything is written.
pub fn set_checked(
    dir: &Path,
    ids: &[String],
    checked: bool,
) -> Result<Vec<(String, bool)>, Error> {
    let paths = Paths::new(dir);
    paths.require_dir()?;
    let _lock = files::DirLock::acquire(dir)?;
    let Some(mut text) = files::read_optional(&paths.readme)? else {
        return Err(Error::NoReadme { path: paths.readme });
    };
    let items = checklist_items(&text).map_err(|error| Error::Markdown {
        path: paths.readme.clone(),
        error,
    })?;
    let mut outcome = Vec::new();
    let mut marks = Vec::new();
    for id in ids {
        let Some(item) = items.iter().find(|item| &item.id == id) else {
            let known = items
                .iter()
                .map(|i| i.id.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            return Err(Error::UnknownItem {
                id: id.clone(),
                path: paths.readme,
                known: if known.is_empty() {
                    "(the README has no checklist block)".to_owned()
                } else {
                    known
                },
            });
        };
        let changes = item.checked != checked && !marks.contains(&item.mark);
        if changes {
            marks.push(item.mark);
        }
        outcome.push((id.clone(), changes));
    }
    if !marks.is_empty() {
        let mark = if checked { "x" } else { " " };
        for offset in marks {
            text.replace_range(offset..=offset, mark);
        }
        fsio::write_atomic(&paths.readme, text.as_bytes(), WriteOptions::PUBLIC)?;
    }
    Ok(outcome)
}
