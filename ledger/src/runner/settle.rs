//! Attempts that may have reached Segmind without a recorded answer: the
//! ledger asks the request history and records what it proves. A job
//! found is followed; a line proven absent is submitted again; a line sent
//! too recently waits for a later round; a line whose fate cannot be told
//! is left alone (reported with the reason) unless the user says
//! `--resubmit-unresolved`.

use std::sync::Arc;

use crate::{Attempt, Verdict};
use tokio::task::JoinSet;

use super::Outcome;
use super::names::earlier_stem;
use super::plan::{Follow, Kind};
use super::{Batch, follow};

/// Asks about `pending` once. Found jobs are followed in `tasks`; what is
/// too soon to tell stays in `pending`; returns the lines to submit.
pub async fn round(
    batch: &Arc<Batch>,
    tasks: &mut JoinSet<()>,
    pending: &mut Vec<Attempt>,
) -> Vec<usize> {
    let attempts = std::mem::take(pending);
    if attempts.is_empty() {
        return Vec::new();
    }
    let asked = batch
        .unless_interrupted(
            batch
                .ledger
                .reconcile(&batch.client, &attempts, batch.grace),
        )
        .await;
    let verdicts = match asked {
        Some(Ok(verdicts)) => verdicts,
        Some(Err(e)) => {
            batch.ledger_broke(&e, "nothing more is submitted");
            for attempt in &attempts {
                batch
                    .progress
                    .ended(&attempt.key.line, Outcome::Unresolved, &e.to_string());
            }
            return Vec::new();
        }
        None => {
            for attempt in &attempts {
                batch.progress.ended(
                    &attempt.key.line,
                    Outcome::Unresolved,
                    "the batch stopped before the request history was read; a rerun looks it up",
                );
            }
            return Vec::new();
        }
    };
    let mut resubmit = Vec::new();
    for (attempt, (key, verdict)) in attempts.into_iter().zip(verdicts) {
        let line = batch.index.get(&batch.entries, &key);
        let label = line.map_or_else(|| earlier_stem(&key), |_| key.line.to_string());
        match verdict {
            Verdict::Found { job_id } => {
                batch.progress.reconciled();
                batch.progress.note(&format!(
                    "{label}: found in Segmind's request history as job {job_id}; resuming it"
                ));
                let item = Follow {
                    key,
                    job_id,
                    stem: label,
                    kind: Kind::Job,
                };
                follow::spawn(batch, tasks, item);
            }
            Verdict::Absent => match line {
                Some(i) => resubmit.push(i),
                None => batch.progress.ended(
                    &label,
                    Outcome::NotRun,
                    "a request no longer in the input; Segmind's request history shows it never arrived",
                ),
            },
            Verdict::TooSoon => pending.push(attempt),
            Verdict::Unknown { reason } => match line {
                Some(i) if batch.resubmit_unresolved => {
                    // It may have been billed: its reservation counts as
                    // spent, and the new submission reserves its own.
                    let why = format!("resubmitted on request: {reason}");
                    match batch.ledger.abandon(&key, &why) {
                        Ok(()) => resubmit.push(i),
                        Err(e) => batch.progress.ended(&label, Outcome::Unresolved, &e.to_string()),
                    }
                }
                _ => batch
                    .progress
                    .ended(&label, Outcome::Unresolved, &unresolved_advice(&reason)),
            },
        }
    }
    resubmit
}

fn unresolved_advice(reason: &str) -> String {
    format!(
        "{reason}; not submitted again. To submit it anyway (this may pay twice), rerun with \
         --resubmit-unresolved"
    )
}
