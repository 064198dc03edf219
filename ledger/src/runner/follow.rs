//! The waiting and download stages: a job Segmind has is followed to its
//! end, its image fetched and synced to disk, and only then recorded done.
//! Whatever fails, the job id stays in the ledger: a rerun follows it
//! again, never submits it again. A fatal stop does not end a follow; an
//! interruption does.

use std::sync::Arc;

use crate::outcome::stops_submissions;

use segmind_ideogram::{Error, GeneratedImage, Job, JobResult, JobStatus};
use serde_json::Value;
use tokio::task::JoinSet;

use super::Outcome;
use super::plan::{Follow, Kind};
use super::{Batch, Stop, label, lost_advice, names};

/// Follows `item` in a task of `tasks`.
pub fn spawn(batch: &Arc<Batch>, tasks: &mut JoinSet<()>, item: Follow) {
    let batch = Arc::clone(batch);
    tasks.spawn(async move { run(&batch, item).await });
}

/// Follows `item` to its end, and reports its line.
pub async fn run(batch: &Batch, item: Follow) {
    let Ok(_waiting) = batch.waiting.acquire().await else {
        return;
    };
    batch.progress.in_flight(1);
    let (outcome, detail) = follow(batch, &item).await;
    batch.progress.in_flight(-1);
    batch.progress.ended(&label(&item), outcome, &detail);
}

async fn follow(batch: &Batch, item: &Follow) -> (Outcome, String) {
    let job = match batch.client.job(item.job_id.clone()) {
        Ok(job) => job,
        // An id the client refuses to put in a URL cannot be followed.
        Err(e) => return (Outcome::Failed, e.to_string()),
    };
    let waited = batch
        .unless_interrupted(job.wait_with(batch.wait.clone()))
        .await;
    let result = match waited {
        None => {
            return (
                Outcome::Pending,
                format!("job {} (interrupted)", item.job_id),
            );
        }
        Some(Ok(result)) => result,
        Some(Err(Error::JobFailed { message, .. })) => {
            if item.kind != Kind::Stray
                && let Err(e) = batch.ledger.job_failed(&item.key, &item.job_id, &message)
            {
                batch.ledger_broke(&e, "the batch stops");
            }
            return (
                Outcome::Failed,
                format!("job failed (not billed): {message}"),
            );
        }
        Some(Err(expired @ Error::JobExpired { .. })) => {
            let record = tokio::time::timeout(batch.deadline(), batch.client.request(&item.job_id));
            match batch.unless_interrupted(record).await {
                None => {
                    return (
                        Outcome::Pending,
                        format!("job {} (interrupted)", item.job_id),
                    );
                }
                Some(Err(_)) => {
                    return trouble(batch, item, &"the request history did not answer in time");
                }
                Some(Ok(Ok(record))) => match record.output_url() {
                    Some(url) => {
                        JobResult::new(JobStatus::Completed).output(Value::String(url.to_owned()))
                    }
                    None => return lost(batch, item, &expired.to_string(), record.cost()),
                },
                Some(Ok(Err(e))) => return trouble_error(batch, item, &e),
            }
        }
        Some(Err(e)) => return trouble_error(batch, item, &e),
    };
    match fetch_and_save(batch, item, &job, &result).await {
        Some(saved) => saved,
        None => (
            Outcome::Pending,
            format!("job {} (interrupted)", item.job_id),
        ),
    }
}

/// Downloads the image of `result`, syncs it to disk and records it done;
/// `None` when the batch was interrupted first.
async fn fetch_and_save(
    batch: &Batch,
    item: &Follow,
    job: &Job,
    result: &JobResult,
) -> Option<(Outcome, String)> {
    let Ok(_download) = batch.downloads.acquire().await else {
        return None;
    };
    let image = match batch
        .unless_interrupted(download(batch, job, result))
        .await?
    {
        Ok(image) => image,
        Err(Ok(e)) => return Some(trouble_error(batch, item, &e)),
        Err(Err(why)) => return Some(trouble(batch, item, &why)),
    };
    let written = match names::place(batch, &item.key, &item.stem, &image) {
        Ok(path) => path,
        Err(e) => return Some(trouble(batch, item, &e)),
    };
    if item.kind == Kind::Stray {
        return Some((Outcome::Done, written.display().to_string()));
    }
    let reported = result
        .metrics
        .as_ref()
        .and_then(|m| m.cost)
        .or(image.metadata().cost);
    let recorded = batch.ledger.done(
        &item.key,
        &item.job_id,
        reported,
        &names::file_name(&written),
        output_url(result),
    );
    if let Err(e) = recorded {
        batch.ledger_broke(&e, "the batch stops");
    }
    Some((Outcome::Done, written.display().to_string()))
}

/// The image of `result`, patient with storage within the run's deadline
/// for one operation ([`Job::output_image_within`]); `Err(Err(why))` when
/// that ran out mid-download.
async fn download(
    batch: &Batch,
    job: &Job,
    result: &JobResult,
) -> Result<GeneratedImage, Result<Error, String>> {
    let limit = batch.deadline();
    match job.output_image_within(result, limit).await {
        Ok(image) => Ok(image),
        Err(e) if e.is_timeout() => Err(Err(format!(
            "the image was not downloaded within {}",
            humantime::format_duration(limit)
        ))),
        Err(e) => Err(Ok(e)),
    }
}

/// The output's URL, to fetch the image again while it lives.
fn output_url(result: &JobResult) -> Option<&str> {
    match result.output.as_ref()? {
        Value::String(url) => Some(url.as_str()),
        Value::Array(items) => items.iter().find_map(Value::as_str),
        _ => None,
    }
    .filter(|url| url.starts_with("http://") || url.starts_with("https://"))
}

/// Something failed after the job id was known: noted, followed again by
/// a rerun. An answer that will be the same for every line stops new
/// submissions.
fn trouble(batch: &Batch, item: &Follow, error: &dyn std::fmt::Display) -> (Outcome, String) {
    if item.kind != Kind::Stray {
        let _ = batch
            .ledger
            .trouble(&item.key, &item.job_id, &error.to_string());
    }
    (Outcome::Pending, format!("job {}: {error}", item.job_id))
}

/// [`trouble`] for a client error, which may stop new submissions.
fn trouble_error(batch: &Batch, item: &Follow, error: &Error) -> (Outcome, String) {
    if stops_submissions(error) {
        batch.halt(Stop::Fatal(error.to_string()));
    }
    trouble(batch, item, error)
}

/// The job was billed and its image is gone.
fn lost(batch: &Batch, item: &Follow, error: &str, cost: Option<f64>) -> (Outcome, String) {
    if item.kind != Kind::Stray
        && let Err(e) = batch.ledger.lost(&item.key, &item.job_id, error, cost)
    {
        batch.ledger_broke(&e, "the batch stops");
    }
    (Outcome::Failed, lost_advice(&item.job_id, error))
}
