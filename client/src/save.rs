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
