//! Where output goes, checked before anything is paid for: a paid image
//! that cannot be saved is money thrown away. (One batch per folder: the
//! ledger's journal is locked while a batch runs.)

use std::fs::File;
use std::path::{Path, PathBuf};

use segmind_ideogram::ImageFormat;

use crate::failure::Failure;

/// `Ok` when an image can be written at `path` without replacing a file:
/// not a folder, in a folder that exists and can be written, and no file
/// where the image would land whatever its real format (`out.jpg` asked,
/// `out.png` written for a PNG) — unless `overwrite`, which allows
/// replacing the file at `path` (the image never replaces a file at
/// another path: [`crate::generate::save`] gives it a free name).
pub fn check_output_file(path: &Path, overwrite: bool) -> Result<(), Failure> {
    check_output_folder(path)?;
    if overwrite {
        return Ok(());
    }
    let taken = ImageFormat::ALL
        .iter()
        .map(|format| (format, format.path_for(path)))
        .find(|(_, candidate)| candidate.exists());
    match taken {
        None => Ok(()),
        Some((_, taken)) if taken == path => Err(Failure::input(format!(
            "{} exists; pass --overwrite to replace it, or choose another --out (nothing was sent)",
            taken.display()
        ))),
        // Another file, where the real format would put the image:
        // --overwrite does not replace it (it names only --out).
        Some((format, taken)) => Err(Failure::input(format!(
            "{} exists, where the image goes if it comes back as {format}; choose another \
             --out, or pass --overwrite, which replaces {} only (the image would then get a \
             free name) (nothing was sent)",
            taken.display(),
            path.display()
        ))),
    }
}

/// The folder part of [`check_output_file`].
pub fn check_output_folder(path: &Path) -> Result<(), Failure> {
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

/// The text `reader` holds, at most `limit` bytes of it, without a
/// byte-order mark: a file that is not what
/// it should be (`/dev/zero`, a disk image) is refused, not read into
/// memory whole.
pub fn read_text(reader: impl std::io::Read, limit: u64) -> std::io::Result<String> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {} bytes", limit),
        ));
    }
    strip_byte_order_mark(&mut bytes);
    String::from_utf8(bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"))
}

/// Drops the UTF-8 byte-order mark that starts `bytes`, if one does
/// (editors on Windows write one at the start of a file).
pub fn strip_byte_order_mark(bytes: &mut Vec<u8>) {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
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

/// Whether `name` can be used as a file name as it is: ASCII letters,
/// digits, `-`, `_` and `.`, not starting with `.`, at most 128 bytes. Ids
/// a server sends or a user writes name files only when they pass.
pub fn is_safe_file_stem(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with('.')
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
    fn text_is_read_within_its_limit_without_a_byte_order_mark() {
        assert_eq!(read_text(&b"\xEF\xBB\xBF{}"[..], 16).unwrap(), "{}");
        assert_eq!(read_text(&b"{}"[..], 2).unwrap(), "{}");
        let long = read_text(&b"{ }"[..], 2).unwrap_err();
        assert!(long.to_string().contains("larger than 2 bytes"), "{long}");
        // An endless source stops at the limit.
        let endless = read_text(std::io::repeat(0), 1 << 20).unwrap_err();
        assert_eq!(endless.kind(), std::io::ErrorKind::InvalidData);
        assert!(read_text(&b"\xFF"[..], 16).is_err());
    }

    #[test]
    fn outputs_are_checked_before_anything_is_sent() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_output_file(&dir.path().join("x.png"), false).is_ok());
        assert!(check_output_file(Path::new("relative-missing.png"), false).is_ok());
        let missing = check_output_file(&dir.path().join("missing/dir/x.png"), true).unwrap_err();
        assert!(
            missing.message.contains("does not exist"),
            "{}",
            missing.message
        );
        let folder = check_output_file(dir.path(), true).unwrap_err();
        assert!(folder.message.contains("is a folder"), "{}", folder.message);
    }

    #[test]
    fn a_file_where_the_image_may_land_is_refused_unless_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("keep.png"), b"precious").unwrap();
        for asked in ["keep.png", "keep.jpg", "keep.webp", "keep"] {
            let refused = check_output_file(&dir.path().join(asked), false).unwrap_err();
            assert!(
                refused.message.contains("keep.png exists")
                    && refused.message.contains("--overwrite"),
                "{asked}: {}",
                refused.message
            );
            assert!(check_output_file(&dir.path().join(asked), true).is_ok());
        }
        // `keep.png.jpg` would be saved as `keep.png.png`: nothing there.
        assert!(check_output_file(&dir.path().join("keep.png.jpg"), false).is_ok());
    }

    #[test]
    fn only_plain_names_are_safe_file_stems() {
        for good in ["a", "txt-2-img-3fa2c1d9e0b4", "x_1.v2"] {
            assert!(is_safe_file_stem(good), "{good}");
        }
        let long = "a".repeat(129);
        for bad in ["", ".hidden", "../x", "a/b", "a b", "é", long.as_str()] {
            assert!(!is_safe_file_stem(bad), "{bad}");
        }
    }
}
