//! Where an answer puts its images. Segmind's docs show a result's
//! `output` as a URL; captures and its docs' data model show `images` as
//! objects (`{url, content_type, file_name, file_size}`); other answers
//! use `image`. Each of the three may hold a string (a URL, a `data:` URI
//! or base64), an object with `url`, or a list of either: every shape is
//! read, so a paid image is never lost to the shape of its answer.

use serde_json::Value;

use crate::generated::{ImageJsonResponse, JobResult};

/// Every image value in the members `output`, `images` and `image` (in
/// that order), each with its JSON path; a value repeated under another
/// member (the same URL in `output` and `images`) once.
pub(crate) fn found<'a>(
    output: Option<&'a Value>,
    images: Option<&'a Value>,
    image: Option<&'a Value>,
) -> Vec<(String, &'a str)> {
    let mut out: Vec<(String, &'a str)> = Vec::new();
    for (name, value) in [("output", output), ("images", images), ("image", image)] {
        let Some(value) = value else { continue };
        match value {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    one(&format!("{name}[{i}]"), item, &mut out);
                }
            }
            other => one(name, other, &mut out),
        }
    }
    out
}

/// A string, or an object's `url`.
fn one<'a>(path: &str, value: &'a Value, out: &mut Vec<(String, &'a str)>) {
    let (path, text) = match value {
        Value::String(s) => (path.to_owned(), s.as_str()),
        Value::Object(object) => match object.get("url") {
            Some(Value::String(s)) => (format!("{path}.url"), s.as_str()),
            _ => return,
        },
        _ => return,
    };
    let text = text.trim();
    if !text.is_empty() && !out.iter().any(|(_, seen)| *seen == text) {
        out.push((path, text));
    }
}

impl JobResult {
    /// Every image of a completed result, in order: URLs (or `data:` URIs,
    /// or base64), wherever and however the answer puts them (`output`,
    /// `images` or `image`; a string, an object with `url`, or a list of
    /// either).
    ///
    /// ```
    /// use segmind_ideogram::{JobResult, JobStatus};
    ///
    /// let result: JobResult = serde_json::from_str(r#"{
    ///     "status": "COMPLETED",
    ///     "images": [{"url": "https://cdn.example/a.png", "content_type": "image/png"}]
    /// }"#)?;
    /// assert_eq!(result.image_refs(), ["https://cdn.example/a.png"]);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn image_refs(&self) -> Vec<&str> {
        self.located().into_iter().map(|(_, value)| value).collect()
    }

    /// [`image_refs`](Self::image_refs), each with its JSON path.
    pub(crate) fn located(&self) -> Vec<(String, &str)> {
        found(
            self.output.as_ref(),
            self.images.as_ref(),
            self.image.as_ref(),
        )
    }
}

impl ImageJsonResponse {
    /// Every image of the answer, each with its JSON path: as
    /// [`JobResult::image_refs`], `image` read first (base64 is its usual
    /// form here).
    pub(crate) fn located(&self) -> Vec<(String, &str)> {
        let mut out = found(None, None, self.image.as_ref());
        for (path, value) in found(self.output.as_ref(), self.images.as_ref(), None) {
            if !out.iter().any(|(_, seen)| *seen == value) {
                out.push((path, value));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_shape_under_every_name() {
        let url = "https://cdn.example/x.png";
        let object =
            json!({"url": url, "content_type": "image/png", "file_name": "x.png", "file_size": 3});
        let cases = [
            (json!({"output": url}), "output"),
            (json!({"output": [url]}), "output[0]"),
            (json!({"output": object}), "output.url"),
            (json!({"images": [url]}), "images[0]"),
            (json!({"images": [object]}), "images[0].url"),
            (json!({"images": object}), "images.url"),
            (json!({"image": url}), "image"),
            (json!({"image": object}), "image.url"),
            (json!({"image": [object]}), "image[0].url"),
        ];
        for (doc, path) in cases {
            let get = |k: &str| doc.get(k);
            let found = found(get("output"), get("images"), get("image"));
            assert_eq!(found, vec![(path.to_owned(), url)], "{doc}");
        }
    }

    #[test]
    fn repeats_and_nonsense_are_left_out() {
        let (a, b) = ("https://x/a.png", "https://x/b.png");
        let output = json!(a);
        let images = json!([{"url": a}, {"url": b}, {"name": "no url"}, 5, null, "  "]);
        let image = json!({"url": 7});
        let found = found(Some(&output), Some(&images), Some(&image));
        assert_eq!(
            found,
            vec![("output".to_owned(), a), ("images[1].url".to_owned(), b)]
        );
        assert!(super::found(None, Some(&json!([[a]])), None).is_empty());
    }
}
