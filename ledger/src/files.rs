//! Paid images on disk: written whole and synced before the ledger says
//! `done`, never over another file by accident.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use segmind_ideogram::GeneratedImage;

/// Writes `image` at `path` (its extension replaced by the real format's,
/// as [`GeneratedImage::save`] does) and syncs it to disk: written to a
/// scratch file in the same folder, synced, renamed into place, and the
/// folder synced. A crash leaves the old file or the new one, never half
/// of one. Returns the path written.
pub fn save_durably(image: &GeneratedImage, path: &Path) -> io::Result<PathBuf> {
    let path = image.path_for(path);
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let scratch = dir.join(format!(".{name}.{}.partial", std::process::id()));
    let written = (|| {
        let mut file = File::create(&scratch)?;
        file.write_all(image.bytes())?;
        file.sync_all()?;
        fs::rename(&scratch, &path)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&scratch);
        return Err(e);
    }
    sync_dir(&dir);
    Ok(path)
}

/// Moves `from` to `to` unless `to` exists, and syncs the folder.
pub fn move_aside(from: &Path, to: &Path) -> io::Result<()> {
    if to.exists() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} exists", to.display()),
        ));
    }
    fs::rename(from, to)?;
    if let Some(dir) = to.parent() {
        sync_dir(dir);
    }
    Ok(())
}

/// Makes a rename in `dir` durable (where the platform can).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}
