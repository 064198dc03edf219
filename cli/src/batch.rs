//! `ideogram batch`: many requests from a JSONL file through the queue,
//! spending the user's money at most once per line.
//!
//! - A write-ahead journal (`journal.rs`) records the intent to submit
//!   before each POST, the job id as soon as Segmind answers, then the
//!   outcome and the cost. A line whose job id is known is followed, never
//!   submitted again, whatever fails afterwards.
//! - A line whose intent has no answer (a kill, or an answer that may hide
//!   a queued job) is looked up in Segmind's request history
//!   (`reconcile.rs`) before anything is decided.
//! - One batch per output folder: an exclusive lock for the whole run.
//! - Money (`money.rs`): the estimate is checked against the credits, each
//!   submission reserves its price against `--max-spend`.
//! - Pace: the client's pacer keeps `--rate-limit`, or learns the limit
//!   from the first 429; stopping it ends every wait at once.
//! - One retry policy: the client's. The batch only decides what a line
//!   does next from what the client says happened to it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use segmind_ideogram::{
    ApiErrorKind, Client, Delivery, Error, Job, JobResult, JobStatus, Pacer, RetryPolicy,
    WaitOptions,
};
use tokio::sync::{Semaphore, watch};

use crate::args::BatchArgs;
use crate::connect::connect_with;
use crate::failure::{Exit, Failure};
use crate::lines::{self, Line};
use crate::money::{Money, reservation};
use crate::paths;
use crate::progress::{BatchProgress, Outcome, money_text};
use crate::reconcile::{Dangling, Verdict, reconcile};
use ideogram_cli::journal::{Journal, LineState, Record, unix_now};

/// Attempts the client makes of one call (connection failures, 429s, GETs).
const ATTEMPTS: u32 = 6;

/// How long in-flight submissions may take to be answered and recorded
/// after an interruption, before the batch exits anyway (their intents are
/// reconciled next time).
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Rounds of reconciling the submissions of this run whose answers were lost.
const ROUNDS: usize = 2;

/// Why the batch stopped early.
#[derive(Debug, Clone, PartialEq)]
enum Stop {
    Interrupted,
    /// An answer that will be the same for every line (a wrong key, a
    /// forbidden or retired model, no credits), or a journal that cannot
    /// be written.
    Fatal(String),
}

/// What every line task shares.
struct Batch {
    client: Client,
    pacer: Pacer,
    journal: Journal,
    money: Arc<Money>,
    progress: BatchProgress,
    out_dir: PathBuf,
    wait: WaitOptions,
    stop: watch::Sender<Option<Stop>>,
    /// Lines of this run whose submission may have reached Segmind, and
    /// when their intent was recorded.
    uncertain: Mutex<Vec<(usize, SystemTime)>>,
}

pub async fn run(args: BatchArgs) -> Result<(), Failure> {
    let (lines, invalid) = lines::read(&args.file)?;
    paths::prepare_out_dir(&args.out_dir)?;
    let _lock = paths::lock_out_dir(&args.out_dir)?;
    let journal = Journal::open(&args.out_dir).map_err(|e| {
        Failure::input(format!(
            "cannot open the journal in {}: {e}",
            args.out_dir.display()
        ))
    })?;
    let pacer = match args.rate_limit {
        Some(limit) => Pacer::per_window(limit, args.rate_window),
        None => Pacer::new().learning_over(args.rate_window),
    };
    let connection = connect_with(&args.connection, |builder| {
        builder
            .pacer(pacer.clone())
            .retry_policy(RetryPolicy::new().max_attempts(ATTEMPTS))
    })
    .await?;
    let client = connection.client.clone();
    let wait = crate::generate::wait_options(&client, &args.wait);

    let fingerprints: HashMap<String, String> = lines
        .iter()
        .map(|l| (l.id.clone(), l.fingerprint.clone()))
        .collect();
    let states = journal.states(&fingerprints);
    let money = Arc::new(Money::new(args.max_spend, journal.spent_usd()));
    let mut plan = Plan::default();
    for (index, line) in lines.iter().enumerate() {
        match states.get(&line.id).cloned().unwrap_or(LineState::Fresh) {
            LineState::Done { .. } => plan.done.push(index),
            LineState::Submitted {
                request_id,
                reserved_usd,
            } => {
                money.hold(reserved_usd);
                plan.follow.push((index, request_id, reserved_usd));
            }
            LineState::Dangling { at, reserved_usd } => {
                money.hold(reserved_usd);
                plan.dangling.push((index, at, reserved_usd));
            }
            LineState::Fresh => plan.fresh.push(index),
        }
    }

    let (stop, _) = watch::channel(None);
    let progress = BatchProgress::new(
        (lines.len() + invalid.len()) as u64,
        Arc::clone(&money),
        pacer.clone(),
    );
    let (skipped, torn) = journal.damage();
    if torn > 0 {
        progress.note(&format!(
            "journal: cut off a torn last record ({torn} bytes): a write interrupted by a kill"
        ));
    }
    if skipped > 0 {
        progress.note(&format!(
            "journal: skipped {skipped} line(s) that are not records"
        ));
    }
    let batch = Arc::new(Batch {
        client,
        pacer: pacer.clone(),
        journal,
        money: Arc::clone(&money),
        progress,
        out_dir: args.out_dir.clone(),
        wait,
        stop,
        uncertain: Mutex::new(Vec::new()),
    });
    for (id, error) in &invalid {
        batch.progress.ended(id, Outcome::Failed, error);
    }
    for &index in &plan.done {
        batch
            .progress
            .ended(&lines[index].id, Outcome::AlreadyDone, "");
    }
    let lines = Arc::new(lines);

    // Earlier runs' submissions whose answers were never recorded.
    let dangling: Vec<(usize, SystemTime, f64)> = std::mem::take(&mut plan.dangling);
    let verdicts = settle_dangling(&batch, &lines, &dangling, &args).await;
    for ((index, _, reserved), verdict) in dangling.into_iter().zip(verdicts) {
        match verdict {
            Settled::Follow(request_id) => plan.follow.push((index, request_id, reserved)),
            Settled::Submit => {
                batch.money.release(reserved);
                plan.fresh.push(index);
            }
            Settled::Unresolved(reason) => {
                batch.progress.ended(
                    &lines[index].id,
                    Outcome::Unresolved,
                    &unresolved_advice(&reason),
                );
            }
        }
    }

    // The credit check, before anything is submitted.
    let estimate: f64 = plan.fresh.iter().map(|i| reservation(lines[*i].info)).sum();
    batch.money.set_estimate(estimate);
    if !args.no_credit_check {
        check_credits(&batch, estimate).await?;
    }

    let interrupt = {
        let batch = Arc::clone(&batch);
        tokio::spawn(async move {
            interrupted().await;
            batch.halt(Stop::Interrupted);
        })
    };
    let work: Vec<Work> = plan
        .follow
        .into_iter()
        .map(|(i, id, reserved)| Work::Follow(i, id, reserved))
        .chain(plan.fresh.into_iter().map(Work::Submit))
        .collect();
    run_all(&batch, &lines, work, args.concurrency as usize).await;

    // This run's submissions whose answers were lost: the history decides.
    for _ in 0..ROUNDS {
        let uncertain = std::mem::take(&mut *batch.lock_uncertain());
        if uncertain.is_empty() || batch.stopped().is_some() {
            batch.lock_uncertain().extend(uncertain);
            break;
        }
        let grace = args.history_grace;
        if let Err(()) = batch.sleep(grace).await {
            batch.lock_uncertain().extend(uncertain);
            break;
        }
        let dangling: Vec<(usize, SystemTime, f64)> = uncertain
            .iter()
            .map(|(i, at)| (*i, *at, reservation(lines[*i].info)))
            .collect();
        let verdicts = settle_dangling(&batch, &lines, &dangling, &args).await;
        let mut work = Vec::new();
        for ((index, _, reserved), verdict) in dangling.into_iter().zip(verdicts) {
            match verdict {
                Settled::Follow(id) => work.push(Work::Follow(index, id, reserved)),
                Settled::Submit => {
                    batch.money.release(reserved);
                    work.push(Work::Submit(index));
                }
                Settled::Unresolved(reason) => batch.progress.ended(
                    &lines[index].id,
                    Outcome::Unresolved,
                    &unresolved_advice(&reason),
                ),
            }
        }
        run_all(&batch, &lines, work, args.concurrency as usize).await;
    }
    for (index, _) in std::mem::take(&mut *batch.lock_uncertain()) {
        batch.progress.ended(
            &lines[index].id,
            Outcome::Unresolved,
            "its submission may have reached Segmind; a rerun looks it up in the request history",
        );
    }
    interrupt.abort();
    batch.progress.finish();
    batch.summary()
}

/// What the journal says to do with each line.
#[derive(Default)]
struct Plan {
    done: Vec<usize>,
    follow: Vec<(usize, String, f64)>,
    dangling: Vec<(usize, SystemTime, f64)>,
    fresh: Vec<usize>,
}

enum Work {
    Submit(usize),
    Follow(usize, String, f64),
}

/// Runs `work` with at most `concurrency` lines at once; after a stop,
/// gives in-flight submissions [`STOP_GRACE`] to be answered and recorded.
async fn run_all(batch: &Arc<Batch>, lines: &Arc<Vec<Line>>, work: Vec<Work>, concurrency: usize) {
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for item in work {
        let (batch, lines, permits) = (Arc::clone(batch), Arc::clone(lines), Arc::clone(&permits));
        tasks.spawn(async move {
            let index = match &item {
                Work::Submit(i) | Work::Follow(i, _, _) => *i,
            };
            let line = &lines[index];
            let Ok(_permit) = permits.acquire().await else {
                return;
            };
            if batch.stopped().is_some() {
                batch.progress.ended(&line.id, Outcome::NotRun, "");
                return;
            }
            let (outcome, detail) = match item {
                Work::Submit(i) => submit_line(&batch, line, i).await,
                Work::Follow(_, id, reserved) => match batch.client.job(id.clone()) {
                    Ok(job) => follow(&batch, line, &job, reserved).await,
                    Err(e) => (Some(Outcome::Failed), e.to_string()),
                },
            };
            if let Some(outcome) = outcome {
                batch.progress.ended(&line.id, outcome, &detail);
            }
        });
    }
    let mut stopped = batch.stop.subscribe();
    loop {
        tokio::select! {
            next = tasks.join_next() => if next.is_none() { return },
            _ = stopped.wait_for(Option::is_some) => break,
        }
    }
    // Stopping: what is in flight gets a moment to be answered and recorded.
    let deadline = tokio::time::Instant::now() + STOP_GRACE;
    while tokio::time::timeout_at(deadline, tasks.join_next())
        .await
        .is_ok_and(|next| next.is_some())
    {}
    tasks.abort_all();
}

/// Submits one line: reserve, record the intent, POST, record the job id,
/// then follow the job. `None` when the line is left for a later round.
async fn submit_line(batch: &Batch, line: &Line, index: usize) -> (Option<Outcome>, String) {
    let reserved = reservation(line.info);
    if !batch.money.try_reserve(reserved) {
        return (
            Some(Outcome::OverBudget),
            format!("it would reserve ${reserved:.3}"),
        );
    }
    let at = SystemTime::now();
    let intent = Record::Intent {
        line: line.id.clone(),
        fingerprint: line.fingerprint.clone(),
        endpoint: line.info.slug.to_owned(),
        at: unix_now(),
        reserved_usd: reserved,
    };
    if let Err(e) = batch.journal.append(&intent) {
        batch.money.release(reserved);
        batch.halt(Stop::Fatal(format!(
            "cannot write the journal {}: {e}; nothing more is submitted",
            batch.journal.path().display()
        )));
        return (Some(Outcome::NotRun), String::new());
    }
    batch.progress.in_flight(1);
    let submitted = batch.client.submit_any(&line.request).await;
    batch.progress.in_flight(-1);
    let job = match submitted {
        Ok(job) => job,
        Err(error) => return submission_failed(batch, line, (index, at), reserved, &error),
    };
    let record = Record::Submitted {
        line: line.id.clone(),
        fingerprint: line.fingerprint.clone(),
        request_id: job.request_id().to_owned(),
        reconciled: false,
    };
    if let Err(e) = batch.journal.append(&record) {
        // The job is paid for: its id must reach the user one way or another.
        batch.halt(Stop::Fatal(format!(
            "cannot write the journal {}: {e}; line {} is job {} (`ideogram jobs wait {}` fetches it)",
            batch.journal.path().display(),
            line.id,
            job.request_id(),
            job.request_id()
        )));
        return (Some(Outcome::Pending), format!("job {}", job.request_id()));
    }
    follow(batch, line, &job, reserved).await
}

/// What a failed submission means for its line.
fn submission_failed(
    batch: &Batch,
    line: &Line,
    intent: (usize, SystemTime),
    reserved: f64,
    error: &Error,
) -> (Option<Outcome>, String) {
    let not_sent = |reason: String| {
        let record = Record::NotSent {
            line: line.id.clone(),
            fingerprint: line.fingerprint.clone(),
            reason,
        };
        batch.money.release(reserved);
        // Without the record the next run reconciles the line instead.
        let _ = batch.journal.append(&record);
    };
    match (error.delivery(), error.api_kind()) {
        (Delivery::NotSent, _) => {
            not_sent(error.to_string());
            let outcome = if matches!(error, Error::Interrupted) {
                Outcome::NotRun
            } else {
                Outcome::Failed
            };
            (Some(outcome), error.to_string())
        }
        (_, Some(ApiErrorKind::RateLimited { .. })) => {
            not_sent(error.to_string());
            (Some(Outcome::NotRun), format!("rate limited: {error}"))
        }
        (_, Some(kind)) if fatal(kind) => {
            not_sent(error.to_string());
            batch.halt(Stop::Fatal(error.to_string()));
            (Some(Outcome::NotRun), error.to_string())
        }
        (_, Some(kind)) if refused(kind) => {
            not_sent(error.to_string());
            (Some(Outcome::Failed), error.to_string())
        }
        // A 5xx, a timeout, a lost connection, an answer that made no
        // sense: Segmind may have queued (and billed) the job.
        _ => {
            batch.lock_uncertain().push(intent);
            batch.progress.note(&format!(
                "{}: the submission may have reached Segmind ({error}); the request history decides",
                line.id
            ));
            (None, String::new())
        }
    }
}

/// Follows a job to its end and saves its image. Whatever fails, the job
/// id stays in the journal: the next run resumes the job.
async fn follow(batch: &Batch, line: &Line, job: &Job, reserved: f64) -> (Option<Outcome>, String) {
    let trouble = |error: &Error| {
        let record = Record::Trouble {
            line: line.id.clone(),
            fingerprint: line.fingerprint.clone(),
            request_id: job.request_id().to_owned(),
            error: error.to_string(),
        };
        let _ = batch.journal.append(&record);
        if error.api_kind().is_some_and(fatal) {
            batch.halt(Stop::Fatal(error.to_string()));
        }
        (
            Some(Outcome::Pending),
            format!("job {}: {error}", job.request_id()),
        )
    };
    batch.progress.in_flight(1);
    let waited = {
        let mut stop = batch.stop.subscribe();
        tokio::select! {
            waited = job.wait_with(batch.wait.clone()) => Some(waited),
            _ = stop.wait_for(Option::is_some) => None,
        }
    };
    batch.progress.in_flight(-1);
    let result = match waited {
        None => {
            return (
                Some(Outcome::Pending),
                format!("job {} (interrupted)", job.request_id()),
            );
        }
        Some(Ok(result)) => result,
        Some(Err(Error::JobFailed { message, .. })) => {
            batch.money.release(reserved);
            let record = Record::JobFailed {
                line: line.id.clone(),
                fingerprint: line.fingerprint.clone(),
                request_id: job.request_id().to_owned(),
                error: message.clone(),
            };
            let _ = batch.journal.append(&record);
            return (
                Some(Outcome::Failed),
                format!("job failed (not billed): {message}"),
            );
        }
        Some(Err(Error::JobExpired { .. })) => match expired_result(batch, job).await {
            Some(result) => result,
            None => {
                return trouble(&Error::JobExpired {
                    request_id: job.request_id().to_owned(),
                });
            }
        },
        Some(Err(e)) => return trouble(&e),
    };
    let image = match job.output_image(&result).await {
        Ok(image) => image,
        Err(e) => return trouble(&e),
    };
    let written = match image.save(batch.out_dir.join(format!("{}.png", line.id))) {
        Ok(path) => path,
        Err(e) => return trouble(&e),
    };
    let cost = result
        .metrics
        .as_ref()
        .and_then(|m| m.cost)
        .or(image.metadata().cost);
    batch.money.settle(reserved, cost);
    let record = Record::Done {
        line: line.id.clone(),
        fingerprint: line.fingerprint.clone(),
        request_id: job.request_id().to_owned(),
        file: written
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default(),
        cost_usd: cost,
    };
    if let Err(e) = batch.journal.append(&record) {
        batch.halt(Stop::Fatal(format!(
            "cannot write the journal {}: {e}",
            batch.journal.path().display()
        )));
    }
    (Some(Outcome::Done), written.display().to_string())
}

/// A completed job whose result expired: its output, from the history.
async fn expired_result(batch: &Batch, job: &Job) -> Option<JobResult> {
    let record = batch.client.request(job.request_id()).await.ok()?;
    let url = record.output_url()?;
    Some(JobResult::new(JobStatus::Completed).output(serde_json::json!(url)))
}

/// What became of dangling submissions, as decided from the history.
enum Settled {
    Follow(String),
    Submit,
    Unresolved(String),
}

async fn settle_dangling(
    batch: &Batch,
    lines: &[Line],
    dangling: &[(usize, SystemTime, f64)],
    args: &BatchArgs,
) -> Vec<Settled> {
    if dangling.is_empty() {
        return Vec::new();
    }
    let queries: Vec<Dangling> = dangling
        .iter()
        .map(|(i, at, _)| Dangling {
            slug: lines[*i].info.slug,
            payload: lines[*i].payload.clone(),
            at: *at,
        })
        .collect();
    let verdicts = reconcile(&batch.client, &queries, args.history_grace).await;
    dangling
        .iter()
        .zip(verdicts)
        .map(|((i, _, _), verdict)| {
            let line = &lines[*i];
            match verdict {
                Verdict::Found { request_id } => {
                    let record = Record::Submitted {
                        line: line.id.clone(),
                        fingerprint: line.fingerprint.clone(),
                        request_id: request_id.clone(),
                        reconciled: true,
                    };
                    let _ = batch.journal.append(&record);
                    batch
                        .progress
                        .counts
                        .reconciled
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    batch.progress.note(&format!(
                        "{}: found in Segmind's request history as job {request_id}; resuming it",
                        line.id
                    ));
                    Settled::Follow(request_id)
                }
                Verdict::Absent => {
                    let record = Record::NotSent {
                        line: line.id.clone(),
                        fingerprint: line.fingerprint.clone(),
                        reason: "not in Segmind's request history".into(),
                    };
                    let _ = batch.journal.append(&record);
                    Settled::Submit
                }
                Verdict::Unknown { reason } if args.resubmit_unresolved => {
                    let record = Record::NotSent {
                        line: line.id.clone(),
                        fingerprint: line.fingerprint.clone(),
                        reason: format!("resubmitted on request: {reason}"),
                    };
                    let _ = batch.journal.append(&record);
                    Settled::Submit
                }
                Verdict::Unknown { reason } => Settled::Unresolved(reason),
            }
        })
        .collect()
}

fn unresolved_advice(reason: &str) -> String {
    format!(
        "{reason}; not submitted again. To submit it anyway (this may pay twice), rerun with --resubmit-unresolved"
    )
}

/// Refuses to start when the batch's estimate is more than the credits.
async fn check_credits(batch: &Batch, estimate: f64) -> Result<(), Failure> {
    match batch.client.credits().await {
        Ok(credits) => {
            let available = credits.credits.unwrap_or(0.0) + credits.free_credits.unwrap_or(0.0);
            batch.money.set_credits(available);
            if estimate > available + 1e-9 {
                return Err(Failure::new(
                    Exit::Budget,
                    format!(
                        "the batch's estimated cost ${estimate:.3} is more than the account's \
                         ${available:.3} of credits; nothing was submitted (--no-credit-check skips this check)"
                    ),
                ));
            }
            Ok(())
        }
        Err(e) if e.api_kind().is_some_and(fatal) => Err(e.into()),
        Err(e) => {
            batch.progress.note(&format!(
                "could not read the account's credits ({e}); going on without the credit check"
            ));
            Ok(())
        }
    }
}

/// Statuses that will be the same for every line: stop the batch.
fn fatal(kind: ApiErrorKind) -> bool {
    matches!(
        kind,
        ApiErrorKind::Unauthorized
            | ApiErrorKind::Forbidden
            | ApiErrorKind::InsufficientCredits
            | ApiErrorKind::Gone
    )
}

/// Statuses that refuse this request without billing it.
fn refused(kind: ApiErrorKind) -> bool {
    matches!(
        kind,
        ApiErrorKind::BadRequest
            | ApiErrorKind::NotFound
            | ApiErrorKind::MethodNotAllowed
            | ApiErrorKind::Unprocessable
    )
}

impl Batch {
    fn stopped(&self) -> Option<Stop> {
        self.stop.borrow().clone()
    }

    /// Stops the batch: nothing new is submitted, and every wait ends.
    fn halt(&self, why: Stop) {
        self.stop.send_if_modified(|stop| {
            if stop.is_none() {
                *stop = Some(why);
                true
            } else {
                false
            }
        });
        self.pacer.stop();
    }

    fn lock_uncertain(&self) -> std::sync::MutexGuard<'_, Vec<(usize, SystemTime)>> {
        self.uncertain.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sleeps unless stopped first.
    async fn sleep(&self, span: Duration) -> Result<(), ()> {
        let mut stop = self.stop.subscribe();
        tokio::select! {
            () = tokio::time::sleep(span) => Ok(()),
            _ = stop.wait_for(Option::is_some) => Err(()),
        }
    }

    fn summary(&self) -> Result<(), Failure> {
        use std::sync::atomic::Ordering::Relaxed;
        let c = &self.progress.counts;
        let get = |a: &std::sync::atomic::AtomicU64| a.load(Relaxed);
        let (done, skipped, failed, pending, unresolved, over, not_run) = (
            get(&c.done),
            get(&c.skipped),
            get(&c.failed),
            get(&c.pending),
            get(&c.unresolved),
            get(&c.over_budget),
            get(&c.not_run),
        );
        let money = self.money.snapshot();
        println!(
            "batch: {} done ({skipped} from an earlier run), {failed} failed, {pending} pending, \
             {unresolved} unresolved, {over} over the budget, {not_run} not submitted; \
             {} reconciled from Segmind's request history; {}",
            done + skipped,
            get(&c.reconciled),
            money_text(&money)
        );
        match self.stopped() {
            Some(Stop::Interrupted) => {
                return Err(Failure::new(
                    Exit::Interrupted,
                    "interrupted: rerun the same command to resume",
                ));
            }
            Some(Stop::Fatal(reason)) => {
                return Err(Failure::new(Exit::Api, format!("batch stopped: {reason}")));
            }
            None => {}
        }
        if over > 0 {
            let max = money.max.unwrap_or_default();
            return Err(Failure::new(
                Exit::Budget,
                format!("{over} line(s) left unsubmitted by the ${max:.2} budget (listed above)"),
            ));
        }
        let open = failed + pending + unresolved + not_run;
        if open > 0 {
            return Err(Failure::new(
                Exit::BatchFailures,
                format!("{open} line(s) not done (listed above); rerun to resume or retry them"),
            ));
        }
        Ok(())
    }
}

/// Ctrl-C, or SIGTERM where there is one.
async fn interrupted() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
