//! Saving a paid image without writing over anything: the file is created
//! exclusively, so not even a file that appears while the image downloads
//! is replaced.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::image::GeneratedImage;

/// The most numbered names tried before giving up.
const MAX_SUFFIX: u32 = 9_999;

impl GeneratedImage {
    /// Writes the image to `path` and returns the path written.
    ///
    /// The extension follows the real format, so that the file opens as what
    /// it is: a known image extension that names another format is replaced
    /// (`out.jpg` holding a PNG is written as `out.png`), and any other
    /// extension gets the right one appended (`out` → `out.png`,
    /// `out.v1` → `out.v1.png`). `jpg`, `jpeg` and `jpe` all fit a JPEG, in
    /// any case. An existing file is replaced, at once and only by the
    /// whole image (written beside it, synced, then renamed over it: a
    /// failed write leaves it as it was; a symbolic link is written
    /// through); [`save_new`](Self::save_new) never replaces one.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<PathBuf, Error> {
        let path = self.path_for(path.as_ref());
        replace_synced(&path, self.bytes()).map_err(|e| Error::io(path.clone(), e))?;
        Ok(path)
    }

    /// Writes the image where [`save`](Self::save) would (the extension
    /// follows the real format), unless a file is there: then at the first
    /// free numbered name (`out-1.png`, `out-2.png`, …). An existing file is
    /// never replaced, even one created meanwhile. The file is synced to
    /// disk before this returns the path written; compare it with
    /// [`path_for`](Self::path_for) to know whether the name changed.
    ///
    /// ```no_run
    /// # async fn demo(client: segmind_ideogram::Client) -> Result<(), segmind_ideogram::Error> {
    /// use segmind_ideogram::IdeogramTxt2ImgRequest;
    ///
    /// let image = client.run(&IdeogramTxt2ImgRequest::new("a fox")).await?;
    /// let written = image.save_new("fox.png")?; // fox.png, or fox-1.png if fox.png exists
    /// # Ok(()) }
    /// ```
    pub fn save_new(&self, path: impl AsRef<Path>) -> Result<PathBuf, Error> {
        let wanted = self.path_for(path.as_ref());
        for suffix in 0..=MAX_SUFFIX {
            let candidate = numbered(&wanted, suffix);
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&candidate)
            {
                Ok(file) => {
                    return write_synced(file, self.bytes())
                        .map(|()| candidate.clone())
                        .map_err(|e| {
                            // Ours, and incomplete: no half image is left.
                            let _ = std::fs::remove_file(&candidate);
                            Error::io(candidate, e)
                        });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(Error::io(candidate, e)),
            }
        }
        Err(Error::io(
            wanted,
            io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("it and {MAX_SUFFIX} numbered names beside it exist"),
            ),
        ))
    }
}

/// Writes `bytes` to a scratch file beside `path`, syncs it and renames it
/// over `path`: whatever was at `path` stays until the whole image is on
/// disk.
fn replace_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let regular = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file());
    if !regular {
        // Nothing to keep (or a link, a device: written as they are).
        return std::fs::write(path, bytes);
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let scratch = path.with_file_name(format!(".{name}.{}.partial", std::process::id()));
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&scratch)?;
    let written = write_synced(file, bytes).and_then(|()| std::fs::rename(&scratch, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&scratch);
    }
    written
}

fn write_synced(mut file: File, bytes: &[u8]) -> io::Result<()> {
    file.write_all(bytes)?;
    file.sync_all()
}

/// `path` for 0, else `stem-N.ext`.
fn numbered(path: &Path, suffix: u32) -> PathBuf {
    if suffix == 0 {
        return path.to_path_buf();
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match path.extension() {
        Some(ext) => format!("{stem}-{suffix}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{suffix}"),
    };
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::{ImageFormat, ImageMetadata};

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn save_replaces_a_file_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.png");
        std::fs::write(&out, b"the user's").unwrap();
        assert_eq!(png().save(&out).unwrap(), out);
        assert_eq!(std::fs::read(&out).unwrap(), PNG);
        assert_eq!(names(dir.path()), ["out.png"], "no scratch file is left");
        // A write that cannot finish (here the name is a folder) leaves
        // what was there, and no scratch file.
        let folder = dir.path().join("taken.png");
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(folder.join("inside"), b"kept").unwrap();
        assert!(png().save(&folder).is_err());
        assert_eq!(std::fs::read(folder.join("inside")).unwrap(), b"kept");
        assert_eq!(names(dir.path()), ["out.png", "taken.png"]);
    }

    fn png() -> GeneratedImage {
        GeneratedImage::new(
            bytes::Bytes::from_static(PNG),
            ImageFormat::Png,
            ImageMetadata::default(),
        )
    }

    #[test]
    fn nothing_is_written_over() {
        let dir = tempfile::tempdir().unwrap();
        let asked = dir.path().join("out.jpg");
        std::fs::write(dir.path().join("out.png"), b"precious").unwrap();
        std::fs::write(dir.path().join("out-1.png"), b"precious too").unwrap();
        let written = png().save_new(&asked).unwrap();
        assert_eq!(written, dir.path().join("out-2.png"));
        assert_eq!(std::fs::read(&written).unwrap(), PNG);
        assert_eq!(
            std::fs::read(dir.path().join("out.png")).unwrap(),
            b"precious"
        );
        assert_eq!(
            std::fs::read(dir.path().join("out-1.png")).unwrap(),
            b"precious too"
        );
        // A free name is used as is.
        let fresh = png().save_new(dir.path().join("new")).unwrap();
        assert_eq!(fresh, dir.path().join("new.png"));
    }

    #[test]
    fn numbered_names_keep_the_extension() {
        assert_eq!(
            numbered(Path::new("a/b.v1.png"), 3),
            Path::new("a/b.v1-3.png")
        );
        assert_eq!(numbered(Path::new("b"), 1), Path::new("b-1"));
        assert_eq!(numbered(Path::new("b.png"), 0), Path::new("b.png"));
    }

    #[test]
    fn a_folder_that_cannot_be_written_is_an_error_not_a_loop() {
        let error = png().save_new("/no/such/folder/x.png").unwrap_err();
        assert!(matches!(error, Error::Io { .. }), "{error}");
    }
}
