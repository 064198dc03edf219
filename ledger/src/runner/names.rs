//! Where each paid image goes in the output folder. A line's current
//! request saves as `<id>.<ext>`; a request it no longer has (the line was
//! edited, or deleted) as `<id>-<fingerprint>.<ext>`; a second job of one
//! request (a damaged ledger) as `<id>-<job>.<ext>`. An image is never
//! written over a file the ledger does not know, nor over another
//! request's image: that one is moved aside first, and the move recorded.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::{Book, Key, Ledger, Phase, files};
use segmind_ideogram::GeneratedImage;

use super::Batch;

/// The file stem of a request of `line` that is not its current one.
pub fn earlier_stem(key: &Key) -> String {
    format!("{}-{}", key.line, key.fingerprint.short(8))
}

/// The file stem of a job that is not its key's own.
pub fn stray_stem(key: &Key, job_id: &str) -> String {
    format!("{}-{}", key.line, job_id.get(..8).unwrap_or(job_id))
}

/// The stem of `name` (`a.png` → `a`).
pub fn stem(name: &str) -> &str {
    Path::new(name)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(name)
}

/// Every image file the ledger knows, and whose it is.
pub fn owners(book: &Book) -> HashMap<String, Key> {
    book.iter()
        .filter_map(|(key, state)| match &state.phase {
            Phase::Done { file, .. } if !file.is_empty() => Some((file.to_string(), key.clone())),
            _ => None,
        })
        .collect()
}

/// The files in `dir` whose stem is `stem` (any image extension).
pub fn files_with_stem(dir: &Path, stem: &str) -> Vec<PathBuf> {
    ["png", "jpg", "jpeg", "webp"]
        .iter()
        .map(|ext| dir.join(format!("{stem}.{ext}")))
        .filter(|path| path.exists())
        .collect()
}

/// `name`'s file name, as the ledger records it.
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Saves `image` as `<stem>.<ext>` in the output folder, synced to disk.
/// Images of other requests with that stem are moved aside first (and the
/// moves recorded). A file at that name the ledger gives to no request is
/// replaced only when it holds this very image (saved by a run killed
/// before it could record it); any other is the user's, and the image
/// takes a free name instead (`<stem>-1`, `-2`, ...).
pub fn place(
    batch: &Batch,
    key: &Key,
    stem: &str,
    image: &GeneratedImage,
) -> Result<PathBuf, String> {
    let dir = &batch.out_dir;
    let wanted: &[u8] = image.bytes();
    let ours = |path: &Path| {
        std::fs::metadata(path).is_ok_and(|m| m.len() == wanted.len() as u64)
            && std::fs::read(path).is_ok_and(|bytes| bytes == wanted)
    };
    let mut chosen = stem.to_owned();
    for n in 1..=FREE_NAMES {
        match clear(&batch.ledger, dir, key, &chosen, &ours) {
            Ok(()) => {
                return files::save_durably(image, &dir.join(&chosen))
                    .map_err(|e| format!("cannot save the image in {}: {e}", dir.display()));
            }
            Err(InTheWay::Unknown(_)) => chosen = format!("{stem}-{n}"),
            Err(InTheWay::CannotMove(path)) => {
                return Err(format!(
                    "cannot move {} out of the image's way",
                    path.display()
                ));
            }
        }
    }
    Err(format!(
        "{stem} and {FREE_NAMES} free names after it are taken by files this batch does not know"
    ))
}

/// How many names `place` tries after a line's own.
const FREE_NAMES: u32 = 100;

/// What stops an image from taking a name.
enum InTheWay {
    /// A file the ledger gives to no request.
    Unknown(PathBuf),
    /// Another request's image that could not be moved aside.
    CannotMove(PathBuf),
}

/// Moves the images of other keys named `<stem>.*` out of the way, each to
/// its own request's name, recording the move. A file the ledger gives to
/// no request is left when `is_ours` says so, else refused.
fn clear(
    ledger: &Ledger,
    dir: &Path,
    key: &Key,
    stem: &str,
    is_ours: &dyn Fn(&Path) -> bool,
) -> Result<(), InTheWay> {
    let found = files_with_stem(dir, stem);
    if found.is_empty() {
        return Ok(());
    }
    let owners = ledger.with_book(owners);
    for path in found {
        match owners.get(&file_name(&path)) {
            Some(owner) if owner == key => {}
            Some(owner) => {
                let mut aside = dir.join(earlier_stem(owner));
                if let Some(ext) = path.extension() {
                    aside.set_extension(ext);
                }
                files::move_aside(&path, &aside).map_err(|_| InTheWay::CannotMove(path.clone()))?;
                // Without the record the next run would look for it by
                // its old name and fetch it again: harmless.
                let _ = ledger.moved(owner, &file_name(&aside));
            }
            None if is_ours(&path) => {}
            None => return Err(InTheWay::Unknown(path)),
        }
    }
    Ok(())
}

/// Moves the image of `key` (line `id`'s current request, done by an
/// earlier run) from `file` back to `<id>.<ext>`: its line was edited and
/// then edited back. Returns what was done, or why it was not.
pub fn restore(
    ledger: &Ledger,
    dir: &Path,
    key: &Key,
    id: &str,
    file: &str,
) -> Result<String, String> {
    let from = dir.join(file);
    let mut to = dir.join(id);
    if let Some(ext) = from.extension() {
        to.set_extension(ext);
    }
    clear(ledger, dir, key, id, &|_| false).map_err(|in_the_way| {
        let (InTheWay::Unknown(path) | InTheWay::CannotMove(path)) = in_the_way;
        format!(
            "its image stays {} ({} is in the way)",
            from.display(),
            path.display()
        )
    })?;
    files::move_aside(&from, &to)
        .map_err(|e| format!("its image stays {} ({e})", from.display()))?;
    let _ = ledger.moved(key, &file_name(&to));
    Ok(format!(
        "{id}: its request is the one of an earlier run again; its image is {} again",
        to.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Fingerprint;

    #[test]
    fn stems_tell_requests_and_jobs_apart() {
        let key = Key::new("a", Fingerprint::from_recorded("0123456789abcdef"));
        assert_eq!(earlier_stem(&key), "a-01234567");
        assert_eq!(
            stray_stem(&key, "47411f110c6fa4fe05dcb9ffed2c1962"),
            "a-47411f11"
        );
        assert_eq!(stray_stem(&key, "j1"), "a-j1");
        assert_eq!(stem("a-1.png"), "a-1");
    }
}
