//! Where output goes, checked before anything is paid for: a paid image
//! that cannot be saved is money thrown away. And the lock that keeps two
//! batches out of one folder.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use crate::failure::Failure;

/// The lock file a batch holds in its output folder.
pub const LOCK: &str = ".ideogram-batch.lock";

/// `Ok` when an image can be written at `path`: not a folder, in a folder
/// that exists and can be written.
pub fn check_output_file(path: &Path) -> Result<(), Failure> {
    if path.is_dir() {
        return Err(Failure::input(format!(
            "--out {} is a folder; give a file path (nothing was sent)",
            path.display()
        )));
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(Failure::input(format!(
            "cannot save to {}: the folder {} does not exist (nothing was sent)",
            path.display(),
            parent.display()
        )));
    }
    check_writable(&parent).map_err(|e| {
        Failure::input(format!(
            "cannot save to {}: the folder {} is not writable: {e} (nothing was sent)",
            path.display(),
            parent.display()
        ))
    })
}

/// Creates `dir` if needed and checks it can be written.
pub fn prepare_out_dir(dir: &Path) -> Result<(), Failure> {
    if dir.exists() && !dir.is_dir() {
        return Err(Failure::input(format!(
            "--out-dir {} is a file, not a folder",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir)
        .and_then(|()| check_writable(dir))
        .map_err(|e| Failure::input(format!("cannot write to {}: {e}", dir.display())))
}

/// Writes and removes a scratch file in `dir`.
fn check_writable(dir: &Path) -> std::io::Result<()> {
    let probe = dir.join(format!(".ideogram-write-check-{}", std::process::id()));
    File::create(&probe)?;
    std::fs::remove_file(&probe)
}

/// Takes the batch lock of `dir` for as long as the returned file lives;
/// another batch holding it is an input error naming the folder.
pub fn lock_out_dir(dir: &Path) -> Result<File, Failure> {
    let path = dir.join(LOCK);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Failure::input(format!("cannot open {}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(Failure::input(format!(
            "another `ideogram batch` is running in {}; wait for it to finish or use another --out-dir",
            dir.display()
        ))),
        Err(TryLockError::Error(e)) => Err(Failure::input(format!(
            "cannot lock {}: {e}",
            path.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_are_checked_before_anything_is_sent() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_output_file(&dir.path().join("x.png")).is_ok());
        assert!(check_output_file(Path::new("relative.png")).is_ok());
        let missing = check_output_file(&dir.path().join("missing/dir/x.png")).unwrap_err();
        assert!(
            missing.message.contains("does not exist"),
            "{}",
            missing.message
        );
        let folder = check_output_file(dir.path()).unwrap_err();
        assert!(folder.message.contains("is a folder"), "{}", folder.message);
    }

    #[test]
    fn one_batch_per_folder() {
        let dir = tempfile::tempdir().unwrap();
        let held = lock_out_dir(dir.path()).unwrap();
        let second = lock_out_dir(dir.path()).unwrap_err();
        assert!(second.message.contains("another `ideogram batch`"));
        drop(held);
        assert!(lock_out_dir(dir.path()).is_ok());
    }
}
