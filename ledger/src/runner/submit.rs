//! The submission stage: lines go to Segmind's queue with at most
//! `--concurrency` POSTs in flight, each admitted and recorded by the
//! ledger; an accepted job moves on to the waiting stage at once, freeing
//! its place for the next POST.

use std::sync::Arc;
use std::time::Duration;

use crate::key::Fingerprint;
use crate::outcome::stops_submissions;
use crate::{Hold, LedgerError, Submission};
use segmind_ideogram::{AnyRequest, Error, Retry};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::Outcome;
use super::plan::{Follow, Kind};
use super::{Batch, Entry, Stop, follow, uploads};

/// Submits `lines` (indexes into the run's entries) in file order, each in a
/// task of `tasks` that then follows its job; returns when the last one
/// has started. The requests are read from the run's source as they go.
/// Submissions that may have reached Segmind without an answer are left
/// to the request history (the ledger knows them).
pub async fn run(batch: &Arc<Batch>, tasks: &mut JoinSet<()>, mut lines: Vec<usize>) {
    // In file order, as `Source::requests` asks: the request history
    // hands lines back in the order it settled them.
    lines.sort_unstable();
    let posts = Arc::new(Semaphore::new(batch.concurrency));
    let mut requests = batch.source.requests(&lines);
    for &i in &lines {
        // Finished tasks are let go as the run goes: a million lines must
        // not leave a million finished tasks behind.
        while tasks.try_join_next().is_some() {}
        let entry = &batch.entries[i];
        let id = &entry.key.line;
        // It leaves the lines the estimate is about, whatever comes of it.
        batch
            .progress
            .lines_left_less(batch.ledger.reservation(&entry.endpoint));
        let request = match requests.find(|(at, _)| *at == i) {
            Some((_, Ok(request))) => request,
            Some((_, Err(why))) => {
                batch.progress.ended(id, Outcome::Failed, &why);
                continue;
            }
            None => {
                batch
                    .progress
                    .ended(id, Outcome::Failed, "its request could not be read again");
                continue;
            }
        };
        if batch.stopped().is_some() {
            batch.progress.ended(id, Outcome::NotRun, "");
            continue;
        }
        let Some(Ok(permit)) = batch
            .unless_stopped(Arc::clone(&posts).acquire_owned())
            .await
        else {
            batch.progress.ended(id, Outcome::NotRun, "");
            continue;
        };
        let batch = Arc::clone(batch);
        tasks.spawn(async move {
            let entry = &batch.entries[i];
            let (outcome, detail) = match submit(&batch, entry, request).await {
                Ok(job_id) => {
                    drop(permit);
                    let item = Follow {
                        key: entry.key.clone(),
                        job_id,
                        stem: entry.key.line.to_string(),
                        kind: Kind::Job,
                    };
                    follow::run(&batch, item).await;
                    return;
                }
                Err(None) => return,
                Err(Some(ended)) => ended,
            };
            drop(permit);
            batch.progress.ended(&entry.key.line, outcome, &detail);
        });
    }
}

/// Sends one request: checks it is still the one its key names, uploads
/// its local images, takes its reservation and submits it. The job's id;
/// or how the line ended (`None`: it is left to the request history).
async fn submit(
    batch: &Batch,
    entry: &Entry,
    request: AnyRequest,
) -> Result<String, Option<(Outcome, String)>> {
    match Fingerprint::of_request(&request) {
        Ok(fingerprint) if fingerprint == entry.key.fingerprint => {}
        Ok(_) => {
            return Err(Some((
                Outcome::Failed,
                "its request changed since the batch read it; rerun".into(),
            )));
        }
        Err(e) => {
            return Err(Some((
                Outcome::Failed,
                format!("its image cannot be read: {e}"),
            )));
        }
    }
    // Uploads are free: a failed one costs nothing and a rerun tries again.
    let request = match batch.unless_stopped(uploads::resolve(batch, request)).await {
        None => return Err(Some((Outcome::NotRun, String::new()))),
        Some(Ok(request)) => request,
        Some(Err(e)) => {
            return Err(Some((
                Outcome::NotRun,
                format!("its image could not be uploaded ({e}); a rerun tries again"),
            )));
        }
    };
    // A submission Segmind refused without billing that may be made again
    // (a 429 past the client's own retries) is made again, a few times.
    let mut delay = Duration::from_secs(1);
    for _ in 1..REFUSED_AGAIN {
        match send(batch, entry, &request).await {
            Err(Some((Outcome::NotRun, _, Some(error))))
                if error.outcome().retry() != Retry::Never && batch.stopped().is_none() =>
            {
                let wait = error.outcome().retry_after().unwrap_or(delay).min(MAX_WAIT);
                if batch
                    .unless_stopped(tokio::time::sleep(wait))
                    .await
                    .is_none()
                {
                    return Err(Some((Outcome::NotRun, String::new())));
                }
                delay = (delay * 2).min(MAX_WAIT);
            }
            other => return other.map_err(|e| e.map(|(outcome, detail, _)| (outcome, detail))),
        }
    }
    send(batch, entry, &request)
        .await
        .map_err(|e| e.map(|(outcome, detail, _)| (outcome, detail)))
}

/// Times a submission refused without billing is made in all.
const REFUSED_AGAIN: usize = 4;

/// The longest wait before making one again.
const MAX_WAIT: Duration = Duration::from_secs(60);

/// One submission: its reservation, then the POST. As [`submit`]; a line
/// not sent carries the client's error when there is one.
async fn send(
    batch: &Batch,
    entry: &Entry,
    request: &AnyRequest,
) -> Result<String, Option<(Outcome, String, Option<Error>)>> {
    let id = &entry.key.line;
    let begun = batch
        .unless_stopped(batch.ledger.begin_when_allowed(entry.key.clone(), request))
        .await;
    let ticket = match begun {
        None => return Err(Some((Outcome::NotRun, String::new(), None))),
        Some(Ok(ticket)) => ticket,
        Some(Err(LedgerError::Hold {
            hold: Hold::OverBudget { need, .. },
            ..
        })) => {
            return Err(Some((
                Outcome::OverBudget,
                format!("it would reserve {need}"),
                None,
            )));
        }
        Some(Err(e @ (LedgerError::Store(_) | LedgerError::Body { .. }))) => {
            batch.ledger_broke(&e, "nothing more is submitted");
            return Err(Some((Outcome::NotRun, String::new(), None)));
        }
        Some(Err(e)) => return Err(Some((Outcome::Failed, e.to_string(), None))),
    };
    batch.progress.in_flight(1);
    let stopped = || batch.stopped().is_some();
    let submission = batch
        .ledger
        .submit_unless(&batch.client, ticket, &stopped)
        .await;
    batch.progress.in_flight(-1);
    match submission {
        Submission::Accepted(job) => Ok(job.request_id().to_owned()),
        Submission::NotSent(error) => {
            let (outcome, detail) = not_sent(batch, &error);
            Err(Some((outcome, detail, Some(error))))
        }
        Submission::Uncertain(error) => {
            batch.progress.note(&format!(
                "{id}: the submission may have reached Segmind ({error}); the request \
                 history decides"
            ));
            Err(None)
        }
        Submission::Unrecorded { error, job_id } => {
            let then = match &job_id {
                Some(job) => {
                    format!("line {id} is job {job} (`ideogram jobs wait {job}` fetches it)")
                }
                None => "nothing more is submitted".to_owned(),
            };
            batch.ledger_broke(&error, &then);
            let outcome = if job_id.is_some() {
                Outcome::Pending
            } else {
                Outcome::NotRun
            };
            Err(Some((outcome, then, None)))
        }
    }
}

/// What a submission refused without billing means for its line, and for
/// the batch.
fn not_sent(batch: &Batch, error: &Error) -> (Outcome, String) {
    if stops_submissions(error) {
        batch.halt(Stop::Fatal(error.to_string()));
        return (Outcome::NotRun, error.to_string());
    }
    match (error, error.outcome().retry()) {
        (Error::Interrupted, _) => (Outcome::NotRun, String::new()),
        // Nothing was billed and it may be tried again (a 429 after every
        // attempt, a refused connection): a rerun submits it.
        (_, Retry::Later | Retry::AtOnce) => (
            Outcome::NotRun,
            format!("not sent ({error}); a rerun submits it"),
        ),
        _ => (Outcome::Failed, error.to_string()),
    }
}
