//! The shapes the mock answers in: as Segmind's docs show them (the
//! default, [`Answers::documented`]), as Segmind is seen to answer in the
//! wild ([`Answers::realistic`]; `spec/sources/api-facts.md`, last
//! section), or any mix, one setting per shape.

use segmind_ideogram::JobMetrics;
use serde_json::{Value, json};

/// How job and request ids look. Clients must take any: they are opaque.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdStyle {
    /// `9f1c2d3e-0000-4000-8000-000000000001`, as the docs suggest.
    Uuid,
    /// 32 hexadecimal digits (`47411f110c6fa4fe05dcb9ffed2c1962`), as captures show.
    Hex,
}

/// Where, and how, a completed result puts its image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaStyle {
    /// `"output": "<url>"`, as the docs show.
    OutputUrl,
    /// `"output": ["<url>", ...]`.
    OutputList,
    /// `"output": {"url": ..., "content_type": ..., "file_name": ..., "file_size": ...}`.
    OutputObject,
    /// `"images": ["<url>", ...]`.
    ImagesUrls,
    /// `"images": [{"url": ..., "content_type": ..., "file_name": ..., "file_size": ...}, ...]`,
    /// as captures and the docs' data model show.
    ImagesObjects,
    /// `"image": {"url": ..., ...}`.
    ImageObject,
}

/// Which member of a storage upload's answer lists the URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UploadUrls {
    /// `file_urls`, which the official SDK reads.
    FileUrls,
    /// `urls`, as Segmind's docs name it.
    Urls,
}

/// The shape of every answer whose shape Segmind's docs and its live
/// answers disagree on. Start from [`documented`](Self::documented) or
/// [`realistic`](Self::realistic) and change single settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Answers {
    /// How job ids look.
    pub ids: IdStyle,
    /// Where a completed result puts its image.
    pub media: MediaStyle,
    /// How many images a completed job has (at least 1), each with its own
    /// URL. (Segmind's history lists such a request once per image, each
    /// row with the full cost: `MockBuilder::history_rows_per_request`.)
    pub images_per_job: u32,
    /// Whether a FAILED job's answers carry its `request_id` (captures
    /// show them without).
    pub failed_request_id: bool,
    /// The status a queued submission gets when the credits run out: 406
    /// as documented, or 402 as a live probe saw (with the message
    /// `Insufficient credits. You have 0.0 credits.`).
    pub no_credits_status_v2: u16,
    /// Whether a submission's answer carries `status` and `poll_url` beside
    /// `request_id`, `status_url` and `response_url` (the three the
    /// official SDK requires).
    pub submit_status: bool,
    /// Which member of a storage upload's answer lists the URLs.
    pub upload_urls: UploadUrls,
    /// Whether answers carry what only captures show: `remaining_credits`
    /// and `retry_count` in a job's metrics, `x-output-metadata` and
    /// `x-gpu-info` on a sync call's image, `x-rate-limit-remaining` on a
    /// 429.
    pub extras: bool,
}

impl Default for Answers {
    fn default() -> Self {
        Self::documented()
    }
}

impl Answers {
    /// The shapes Segmind's docs show.
    pub fn documented() -> Self {
        Self {
            ids: IdStyle::Uuid,
            media: MediaStyle::OutputUrl,
            images_per_job: 1,
            failed_request_id: true,
            no_credits_status_v2: 406,
            submit_status: true,
            upload_urls: UploadUrls::FileUrls,
            extras: false,
        }
    }

    /// The shapes Segmind is seen to answer in: hexadecimal ids, images as
    /// objects, FAILED answers without `request_id`, 402 when a queued
    /// submission finds no credits, and the extra metrics and headers.
    pub fn realistic() -> Self {
        Self {
            ids: IdStyle::Hex,
            media: MediaStyle::ImagesObjects,
            images_per_job: 1,
            failed_request_id: false,
            no_credits_status_v2: 402,
            submit_status: true,
            upload_urls: UploadUrls::FileUrls,
            extras: true,
        }
    }

    /// The member (`output`, `images` or `image`) a completed result puts
    /// its `urls` under in this style, and its JSON; objects state `size`
    /// (the first image's) as their `file_size`.
    pub(crate) fn media_members(&self, urls: &[String], size: usize) -> Vec<(&'static str, Value)> {
        let object = |url: &String| {
            let name = url.rsplit('/').next().unwrap_or_default();
            json!({"url": url, "content_type": "image/png", "file_name": name, "file_size": size})
        };
        let first = urls.first().cloned().unwrap_or_default();
        match self.media {
            MediaStyle::OutputUrl => vec![("output", Value::String(first))],
            MediaStyle::OutputList => vec![("output", json!(urls))],
            MediaStyle::OutputObject => vec![("output", object(&first))],
            MediaStyle::ImagesUrls => vec![("images", json!(urls))],
            MediaStyle::ImagesObjects => vec![("images", urls.iter().map(object).collect())],
            MediaStyle::ImageObject => vec![("image", object(&first))],
        }
    }

    /// The message of a refusal for lack of credits.
    pub(crate) fn no_credits_message(&self, credits: f64) -> String {
        if self.no_credits_status_v2 == 402 {
            format!("Insufficient credits. You have {credits:.1} credits.")
        } else {
            crate::reply::INSUFFICIENT_CREDITS.to_owned()
        }
    }

    /// A job's metrics, with the extra members when they are on.
    pub(crate) fn metrics(&self, mut metrics: JobMetrics, remaining: f64) -> JobMetrics {
        if self.extras {
            metrics.remaining_credits = Some(remaining);
            metrics.retry_count = Some(0);
        }
        metrics
    }
}
