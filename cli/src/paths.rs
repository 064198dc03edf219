//! Where output goes, checked before anything is paid for: a paid image
//! that cannot be saved is money thrown away. (One batch per folder: the
//! ledger's journal is locked while a batch runs.)

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::failure::Failure;

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
}
