//! Turning Segmind's HTTP answers into values or errors: error statuses,
//! image bodies (bytes or the JSON form), headers and job documents. Server
//! text is read only through [`Answer`], which redacts the key first.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose};
use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::api_key::ApiKey;
use crate::body;
use crate::error::{ApiErrorKind, Error};
use crate::generated::{
    API, ErrorBody, ImageJsonResponse, JobResult, JobStatus, JobStatusResponse, JobSubmitted,
    OperationKind,
};
use crate::image::{ImageFormat, ImageMetadata};
use crate::protocol::check_job_id;
use crate::retry;

/// A whole HTTP answer, body read (up to its cap).
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    /// The operation answered: what the answer means.
    pub operation: OperationKind,
    pub headers: HeaderMap,
    /// The body as received: binary images are never redacted (nor shown).
    pub body: Bytes,
    /// Whether the body was cut at its cap.
    pub truncated: bool,
    /// For redacting server text.
    pub key: ApiKey,
}

impl Answer {
    pub fn content_type(&self) -> Option<&str> {
        self.headers.get(CONTENT_TYPE)?.to_str().ok()
    }

    /// The body with the key redacted: every piece of server text the
    /// client keeps or parses comes from here.
    pub fn text(&self) -> Cow<'_, [u8]> {
        body::redact(&self.key, &self.body, self.truncated)
    }

    /// This answer if its status is a success, else its [`Error::Api`].
    pub fn success(self) -> Result<Self, Error> {
        if self.status.is_success() {
            Ok(self)
        } else {
            Err(self.into_api_error())
        }
    }

    /// This answer as an [`Error::Api`], with the server's message.
    pub fn into_api_error(self) -> Error {
        let status = self.status.as_u16();
        let mut kind = ApiErrorKind::from_status(status);
        if let ApiErrorKind::RateLimited { reset_at } = &mut kind {
            *reset_at = retry::reset_at(&self.headers);
        }
        let text = self.text();
        let body = body::prefix(&text);
        let message = match serde_json::from_slice::<ErrorBody>(&text) {
            Ok(parsed) => body::redact_text(&self.key, parsed.error),
            Err(_) if body.trim().is_empty() => self
                .status
                .canonical_reason()
                .unwrap_or("no message")
                .to_owned(),
            Err(_) => body.trim().to_owned(),
        };
        Error::Api {
            kind,
            status,
            operation: self.operation,
            message,
            body,
            retry_after: retry::server_delay(&self.headers, SystemTime::now()),
        }
    }

    /// A [`Error::Decode`] about this answer.
    pub fn decode_error(&self, path: Option<String>, reason: impl Into<String>) -> Error {
        Error::Decode {
            status: self.status.as_u16(),
            operation: self.operation,
            path: path.map(|p| body::redact_text(&self.key, p)),
            reason: body::redact_text(&self.key, reason.into()),
            body_prefix: body::prefix(&self.text()),
        }
    }

    /// The body as JSON of type `T`, naming the member that failed.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        // Only the whole key: what is parsed may be an image's base64.
        let text = body::redact_whole(&self.key, &self.body, self.truncated);
        let mut deserializer = serde_json::Deserializer::from_slice(&text);
        serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
            let path = e.path().to_string();
            let path = (path != ".").then_some(path);
            self.decode_error(path, e.into_inner().to_string())
        })
    }
}

/// A status or result document of a job, whatever the HTTP code when it
/// says `FAILED` (Segmind serves those as 422); 404 is expiry; other error
/// statuses are API errors.
pub(crate) fn job_document<T: DeserializeOwned + HasStatus>(
    answer: Answer,
    request_id: &str,
) -> Result<T, Error> {
    if answer.status == StatusCode::NOT_FOUND {
        return Err(Error::JobExpired {
            request_id: request_id.to_owned(),
        });
    }
    if answer.status.is_success() {
        return leniently(&answer);
    }
    match leniently::<T>(&answer) {
        Ok(doc) if doc.status() == &JobStatus::Failed => Ok(doc),
        _ => Err(answer.into_api_error()),
    }
}

/// `T` from the answer; when a member `T` cannot take spoils the whole (a
/// cost given as a string, a retry count of 1.0, a number out of range,
/// metrics as a list), that member is left out and the rest read again.
/// A job's status and output must not be lost to what is only
/// information: a paid image would never be fetched. What is left out is
/// logged; a document whose own `status` does not read stays an error.
fn leniently<T: DeserializeOwned>(answer: &Answer) -> Result<T, Error> {
    let whole = match answer.json::<T>() {
        Ok(doc) => return Ok(doc),
        Err(e) => e,
    };
    let text = body::redact_whole(&answer.key, &answer.body, answer.truncated);
    let Ok(raw) = serde_json::from_slice::<Box<RawValue>>(&text) else {
        return Err(whole);
    };
    let Some(mut value) = readable(&raw) else {
        return Err(whole);
    };
    // Each pass leaves out the member serde named; a document has few.
    for _ in 0..32 {
        let path = match serde_path_to_error::deserialize::<_, T>(&value) {
            Ok(doc) => {
                tracing::warn!("a job document read without the members it could not take");
                return Ok(doc);
            }
            Err(e) => e.path().to_string(),
        };
        let top = path.split(['.', '[']).next().unwrap_or_default();
        if top == "status" || top.is_empty() || !leave_out(&mut value, &path) {
            return Err(whole);
        }
        tracing::warn!(member = %path, "a job document's member left out: it does not read");
    }
    Err(whole)
}

/// The JSON of `raw`, without the values that cannot be read at all (a
/// number out of range): those members and items are left out.
fn readable(raw: &RawValue) -> Option<serde_json::Value> {
    if let Ok(value) = serde_json::from_str(raw.get()) {
        return Some(value);
    }
    if let Ok(members) = serde_json::from_str::<BTreeMap<String, Box<RawValue>>>(raw.get()) {
        let members = members
            .into_iter()
            .filter_map(|(name, raw)| Some((name, readable(&raw)?)));
        return Some(serde_json::Value::Object(members.collect()));
    }
    let items = serde_json::from_str::<Vec<Box<RawValue>>>(raw.get()).ok()?;
    Some(serde_json::Value::Array(
        items.iter().filter_map(|raw| readable(raw)).collect(),
    ))
}

/// Removes the member at serde's `path` (`metrics.cost`, `request_id`; an
/// index removes the member holding the list); whether one was removed.
fn leave_out(value: &mut serde_json::Value, path: &str) -> bool {
    let mut names: Vec<&str> = path.split('.').collect();
    if let Some(at) = names.iter().position(|n| n.contains('[')) {
        names.truncate(at + 1);
        let last = names[at];
        names[at] = &last[..last.find('[').unwrap_or(last.len())];
    }
    let Some((last, parents)) = names.split_last() else {
        return false;
    };
    let mut at = value;
    for name in parents {
        match at.get_mut(*name) {
            Some(inner) => at = inner,
            None => return false,
        }
    }
    at.as_object_mut()
        .is_some_and(|o| o.remove(*last).is_some())
}

/// A submission's answer ([`JobSubmitted`]). The job is paid for once
/// Segmind answers, so its id must not be lost to the rest of the answer:
/// when the document as a whole does not read (a `status_url` that is no
/// string, say), its `request_id` alone is taken. The id is checked only
/// for what a URL needs (it is opaque: hex, a UUID, anything).
pub(crate) fn job_submitted(answer: &Answer) -> Result<JobSubmitted, Error> {
    let submitted = answer.json::<JobSubmitted>().or_else(|whole| {
        let value: serde_json::Value = answer.json().map_err(|_| whole)?;
        match value.get("request_id").and_then(|id| id.as_str()) {
            Some(id) => {
                tracing::warn!(
                    request_id = id,
                    "a submission's answer read for its id alone"
                );
                Ok(JobSubmitted::new(id))
            }
            None => Err(answer.decode_error(
                Some("request_id".into()),
                "the submission's answer has no `request_id`",
            )),
        }
    })?;
    check_job_id(&submitted.request_id)
        .map_err(|e| answer.decode_error(Some("request_id".into()), e.to_string()))?;
    Ok(submitted)
}

/// Documents with a job status.
pub(crate) trait HasStatus {
    fn status(&self) -> &JobStatus;
}

impl HasStatus for JobStatusResponse {
    fn status(&self) -> &JobStatus {
        &self.status
    }
}

impl HasStatus for JobResult {
    fn status(&self) -> &JobStatus {
        &self.status
    }
}

/// What a successful sync answer holds.
#[derive(Debug)]
pub(crate) enum ImageBody {
    /// The image itself.
    Image(Bytes, ImageFormat),
    /// A URL to download it from.
    Url(String),
}

/// Reads a 200 answer of a sync call: raw image bytes, or the JSON form
/// (`image`, `output` or `images`: base64, a `data:` URI or a URL, as a
/// string or an object's `url`, or a list of either; see `media`).
pub(crate) fn image_body(answer: &Answer) -> Result<ImageBody, Error> {
    if let Some(format) = ImageFormat::sniff(&answer.body) {
        format
            .check_complete(&answer.body)
            .map_err(|reason| answer.decode_error(None, reason))?;
        if let Some(declared) = answer.content_type()
            && ImageFormat::from_mime_type(declared).is_some_and(|d| d != format)
        {
            tracing::warn!(declared, actual = %format, "Content-Type disagrees with the image bytes; trusting the bytes");
        }
        return Ok(ImageBody::Image(answer.body.clone(), format));
    }
    if !looks_like_json(answer) {
        return Err(answer.decode_error(None, "neither a JPEG, PNG or WebP image nor JSON"));
    }
    let json: ImageJsonResponse = answer.json()?;
    if let Some((path, value)) = json.located().into_iter().next() {
        return image_value(value).map_err(|reason| answer.decode_error(Some(path), reason));
    }
    let present = [
        ("image", json.image.is_some()),
        ("output", json.output.is_some()),
        ("images", json.images.is_some()),
    ]
    .into_iter()
    .find_map(|(name, present)| present.then_some(name));
    Err(match present {
        Some(name) => answer.decode_error(
            Some(name.to_owned()),
            "holds no image: expected a string, an object with `url`, or a list of either",
        ),
        None => answer.decode_error(None, "the JSON answer has no `image`, `output` or `images`"),
    })
}

fn looks_like_json(answer: &Answer) -> bool {
    let declared = answer
        .content_type()
        .is_some_and(|ct| ct.to_ascii_lowercase().contains("json"));
    let starts = answer
        .body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{');
    declared || starts
}

/// One image value of a JSON answer: a URL, a `data:` URI or bare base64.
pub(crate) fn image_value(value: &str) -> Result<ImageBody, String> {
    let trimmed = value.trim();
    if starts_with_ignore_case(trimmed, "http://") || starts_with_ignore_case(trimmed, "https://") {
        return Ok(ImageBody::Url(trimmed.to_owned()));
    }
    let bytes = match data_uri_payload(trimmed) {
        Some(payload) => decode_base64(payload?)?,
        None => decode_base64(trimmed)?,
    };
    let format =
        ImageFormat::sniff(&bytes).ok_or("the decoded bytes are not a JPEG, PNG or WebP image")?;
    format.check_complete(&bytes)?;
    Ok(ImageBody::Image(bytes, format))
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.as_bytes()
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// The base64 payload of a `data:` URI; `None` if `value` is not one.
fn data_uri_payload(value: &str) -> Option<Result<&str, String>> {
    if !starts_with_ignore_case(value, "data:") {
        return None;
    }
    // The prefix is ASCII, so byte 5 is a character boundary.
    let rest = &value[5..];
    Some(match rest.split_once(',') {
        Some((meta, payload)) if meta.to_ascii_lowercase().ends_with(";base64") => Ok(payload),
        Some(_) => Err("the data: URI is not base64".to_owned()),
        None => Err("the data: URI has no payload".to_owned()),
    })
}

/// Standard base64, padded or not, line breaks ignored.
fn decode_base64(text: &str) -> Result<Bytes, String> {
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let decoded = if text.contains(['\n', '\r', ' ']) {
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        LENIENT.decode(compact)
    } else {
        LENIENT.decode(text)
    };
    decoded
        .or_else(|_| general_purpose::URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')))
        .map(Bytes::from)
        .map_err(|e| format!("invalid base64: {e}"))
}

/// The image of a download's answer: its bytes, checked whole, and format.
pub(crate) fn downloaded_image(answer: &Answer) -> Result<(Bytes, ImageFormat), Error> {
    let format = ImageFormat::sniff(&answer.body)
        .ok_or_else(|| answer.decode_error(None, "the output is not a JPEG, PNG or WebP image"))?;
    format
        .check_complete(&answer.body)
        .map_err(|reason| answer.decode_error(None, reason))?;
    Ok((answer.body.clone(), format))
}

/// The generation metadata in a sync answer's headers (named by the spec:
/// [`API.headers`](crate::ApiInfo::headers)).
pub(crate) fn metadata(headers: &HeaderMap) -> ImageMetadata {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    // Lenient: `12.3s` and `$0.04` read as numbers too.
    let number = |name: &str| {
        text(name).and_then(|v| {
            v.trim_start_matches('$')
                .trim_end_matches('s')
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
        })
    };
    let names = &API.headers;
    ImageMetadata {
        content_type: text(CONTENT_TYPE.as_str()).map(str::to_owned),
        remaining_credits: number(names.remaining_credits),
        seed: text(names.seed).and_then(|v| v.parse().ok()),
        cost: number(names.cost),
        generation_time: number(names.generation_time),
        request_id: text(names.request_id).map(str::to_owned),
        output_metadata: text(names.output_metadata).map(str::to_owned),
        gpu_info: text(names.gpu_info).map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, headers: &[(&'static str, &str)], body: &[u8]) -> Answer {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, v.parse().unwrap());
        }
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            operation: OperationKind::Sync,
            headers: map,
            body: Bytes::copy_from_slice(body),
            truncated: false,
            key: ApiKey::new("sk-CANARY-123"),
        }
    }

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\0IEND\xaeB`\x82";

    #[test]
    fn raw_and_json_images() {
        let raw = image_body(&answer(200, &[], PNG)).unwrap();
        assert!(matches!(raw, ImageBody::Image(_, ImageFormat::Png)));

        let b64 = base64::engine::general_purpose::STANDARD.encode(PNG);
        for body in [
            format!(r#"{{"image":"{b64}"}}"#),
            format!(r#"{{"output":"data:image/png;base64,{b64}"}}"#),
            format!(r#"{{"images":["{}"]}}"#, b64.trim_end_matches('=')),
        ] {
            let decoded = image_body(&answer(200, &[], body.as_bytes())).unwrap();
            assert!(
                matches!(decoded, ImageBody::Image(_, ImageFormat::Png)),
                "{body}"
            );
        }
        let url = image_body(&answer(
            200,
            &[],
            br#"{"output":"https://cdn.example/x.png"}"#,
        ))
        .unwrap();
        assert!(matches!(url, ImageBody::Url(u) if u == "https://cdn.example/x.png"));
    }

    #[test]
    fn bad_bodies_keep_status_prefix_and_path() {
        let err = image_body(&answer(200, &[], b"<html>oops</html>")).unwrap_err();
        assert!(
            matches!(&err, Error::Decode { status: 200, path: None, body_prefix, .. } if body_prefix == "<html>oops</html>")
        );

        let err = image_body(&answer(200, &[], br#"{"image": 5}"#)).unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path: Some(p), .. } if p == "image"),
            "{err}"
        );

        let err =
            image_body(&answer(200, &[], br#"{"images": ["bm90IGFuIGltYWdl"]}"#)).unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path: Some(p), .. } if p == "images[0]"),
            "{err}"
        );

        let err = image_body(&answer(200, &[], br#"{"other": 1}"#)).unwrap_err();
        assert!(matches!(err, Error::Decode { path: None, .. }));

        let long = vec![b'x'; 5000];
        let err = image_body(&answer(200, &[], &long)).unwrap_err();
        assert!(matches!(err, Error::Decode { body_prefix, .. } if body_prefix.len() == 512));
    }

    #[test]
    fn api_errors_carry_the_message() {
        let err = answer(401, &[], br#"{"error":"bad key sk-CANARY-123"}"#).into_api_error();
        assert_eq!(err.to_string(), "unauthorized (HTTP 401): bad key ***");
        let err = answer(405, &[], b"<html>Method Not Allowed</html>").into_api_error();
        assert!(
            matches!(err, Error::Api { kind: ApiErrorKind::MethodNotAllowed, ref message, .. } if message.contains("Method Not Allowed"))
        );
        let err = answer(502, &[], b"").into_api_error();
        assert!(matches!(err, Error::Api { ref message, .. } if message == "Bad Gateway"));
    }

    #[test]
    fn headers_become_metadata() {
        let a = answer(
            200,
            &[
                ("content-type", "image/jpeg"),
                ("x-remaining-credits", "12.5"),
                ("x-seed-value", "4242"),
                ("x-cost", "0.04"),
                ("x-generation-time", "9.8s"),
                ("x-request-id", "req-1"),
            ],
            PNG,
        );
        let m = metadata(&a.headers);
        assert_eq!(m.content_type.as_deref(), Some("image/jpeg"));
        assert_eq!(m.remaining_credits, Some(12.5));
        assert_eq!(m.seed, Some(4242));
        assert_eq!(m.cost, Some(0.04));
        assert_eq!(m.generation_time, Some(9.8));
        assert_eq!(m.request_id.as_deref(), Some("req-1"));
        assert_eq!(metadata(&HeaderMap::new()), ImageMetadata::default());
    }
}
