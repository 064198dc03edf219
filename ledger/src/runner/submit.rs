//! The submission stage: lines go to Segmind's queue with at most
//! `--concurrency` POSTs in flight, each admitted and recorded by the
//! ledger; an accepted job moves on to the waiting stage at once, freeing
//! its place for the next POST.

use std::sync::Arc;

use crate::outcome::stops_submissions;
use crate::{Hold, LedgerError, Submission};
use segmind_ideogram::{Error, Retry};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::Outcome;
use super::plan::{Follow, Kind};
use super::{Batch, Stop, follow};

/// Submits `lines` (indexes into the batch's lines) in order, each in a
/// task of `tasks` that then follows its job; returns when the last one
/// has started. Submissions that may have reached Segmind without an
/// answer are left to the request history (the ledger knows them).
pub async fn run(batch: &Arc<Batch>, tasks: &mut JoinSet<()>, lines: Vec<usize>) {
    let posts = Arc::new(Semaphore::new(batch.concurrency));
    for i in lines {
        let line = &batch.lines[i];
        // It leaves the lines the estimate is about, whatever comes of it.
        batch
            .progress
            .lines_left_less(batch.ledger.reservation(line.slug()));
        if batch.stopped().is_some() {
            batch.progress.ended(&line.id, Outcome::NotRun, "");
            continue;
        }
        let Some(Ok(permit)) = batch
            .unless_stopped(Arc::clone(&posts).acquire_owned())
            .await
        else {
            batch.progress.ended(&line.id, Outcome::NotRun, "");
            continue;
        };
        let begun = batch
            .unless_stopped(batch.ledger.begin_when_allowed(line.key(), &line.request))
            .await;
        let ticket = match begun {
            None => {
                batch.progress.ended(&line.id, Outcome::NotRun, "");
                continue;
            }
            Some(Ok(ticket)) => ticket,
            Some(Err(LedgerError::Hold {
                hold: Hold::OverBudget { need, .. },
                ..
            })) => {
                batch.progress.ended(
                    &line.id,
                    Outcome::OverBudget,
                    &format!("it would reserve {need}"),
                );
                continue;
            }
            Some(Err(e @ (LedgerError::Store(_) | LedgerError::Body { .. }))) => {
                batch.ledger_broke(&e, "nothing more is submitted");
                batch.progress.ended(&line.id, Outcome::NotRun, "");
                continue;
            }
            Some(Err(e)) => {
                batch
                    .progress
                    .ended(&line.id, Outcome::Failed, &e.to_string());
                continue;
            }
        };
        let batch_for_task = Arc::clone(batch);
        tasks.spawn(async move {
            let batch = batch_for_task;
            let line = &batch.lines[i];
            batch.progress.in_flight(1);
            let stopped = || batch.stopped().is_some();
            let submission = batch
                .ledger
                .submit_unless(&batch.client, ticket, &stopped)
                .await;
            batch.progress.in_flight(-1);
            drop(permit);
            let (outcome, detail) = match submission {
                Submission::Accepted(job) => {
                    let item = Follow {
                        key: line.key(),
                        job_id: job.request_id().to_owned(),
                        stem: line.id.clone(),
                        kind: Kind::Job,
                    };
                    follow::run(&batch, item).await;
                    return;
                }
                Submission::NotSent(error) => not_sent(&batch, &error),
                Submission::Uncertain(error) => {
                    batch.progress.note(&format!(
                        "{}: the submission may have reached Segmind ({error}); the request \
                         history decides",
                        line.id
                    ));
                    return;
                }
                Submission::Unrecorded { error, job_id } => {
                    let then = match &job_id {
                        Some(id) => format!(
                            "line {} is job {id} (`ideogram jobs wait {id}` fetches it)",
                            line.id
                        ),
                        None => "nothing more is submitted".to_owned(),
                    };
                    batch.ledger_broke(&error, &then);
                    let outcome = if job_id.is_some() {
                        Outcome::Pending
                    } else {
                        Outcome::NotRun
                    };
                    (outcome, then)
                }
            };
            batch.progress.ended(&line.id, outcome, &detail);
        });
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
