//! `ideogram batch`: many requests from a JSONL file through the queue,
//! spending the user's money at most once per line.
//!
//! - A write-ahead journal (`journal.rs`) records the intent to submit,
//!   then each attempt right before it is sent, the job id as soon as
//!   Segmind answers, then the outcome and the cost. A line whose job id is known is followed, never
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

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use segmind_ideogram::{
    Billing, Client, Delivery, Error, Job, JobResult, JobStatus, Pacer, Retry, RetryPolicy,
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
use ideogram_cli::journal::{Journal, LineState, Record, unix_now, unix_seconds};

/// Attempts the client makes of one call (connection failures, 429s, GETs).
const ATTEMPTS: u32 = 6;

/// How long in-flight submissions may take to be answered and recorded
/// after an interruption, before the batch exits anyway (their intents are
/// reconciled next time).
const STOP_GRACE: Duration = Duration::from_millis(800);

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
    /// Lines of this run whose submission may have reached Segmind.
    uncertain: Mutex<Vec<Pending>>,
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

    let money = Arc::new(Money::new(args.max_spend, journal.spent_usd()));
    let plan = Plan::new(&journal, &lines, &money, SystemTime::now());
    let (stop, _) = watch::channel(None);
    let progress = BatchProgress::new(
        (lines.len() + invalid.len() + plan.orphans) as u64,
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
    // From here on a stop ends every wait, the history's included.
    let interrupt = {
        let batch = Arc::clone(&batch);
        tokio::spawn(async move {
            interrupted().await;
            batch.halt(Stop::Interrupted);
        })
    };
    for (id, error) in &invalid {
        batch.progress.ended(id, Outcome::Failed, error);
    }
    for &index in &plan.done {
        batch
            .progress
            .ended(&lines[index].id, Outcome::AlreadyDone, "");
    }
    for (index, request_id, error) in &plan.lost {
        batch.progress.ended(
            &lines[*index].id,
            Outcome::Failed,
            &lost_advice(request_id, error),
        );
    }
    for note in &plan.notes {
        batch.progress.note(note);
    }
    let done: HashSet<&str> = plan.done.iter().map(|i| lines[*i].id.as_str()).collect();
    for (line, fingerprint, file) in &plan.earlier {
        if !done.contains(line.as_str()) {
            keep_earlier_image(&batch, line, fingerprint, file)?;
        }
    }
    let lines = Arc::new(lines);

    // Earlier runs' submissions whose answers were never recorded.
    let mut work = settle(&batch, &lines, &plan.dangling, &args).await;
    work.splice(0..0, plan.follow);

    // The credit check, before anything is submitted: what the fresh lines
    // may cost, as far as the budget lets them.
    let fresh: Vec<usize> = plan
        .fresh
        .into_iter()
        .chain(work.iter().filter_map(|w| match w {
            Work::Submit(i) => Some(*i),
            Work::Follow(..) => None,
        }))
        .collect();
    work.retain(|w| matches!(w, Work::Follow(..)));
    let estimate: f64 = fresh.iter().map(|i| reservation(lines[*i].info)).sum();
    batch.money.set_estimate(estimate);
    let committed = batch
        .money
        .room()
        .map_or(estimate, |room| estimate.min(room));
    if !args.no_credit_check
        && let Some(Err(refused)) = batch.unless_stopped(check_credits(&batch, committed)).await
    {
        // Nothing new is submitted, but jobs already paid for are fetched.
        run_all(&batch, &lines, work, args.concurrency as usize).await;
        batch.progress.finish();
        return Err(refused);
    }
    work.extend(fresh.into_iter().map(Work::Submit));
    run_all(&batch, &lines, work, args.concurrency as usize).await;

    // This run's submissions whose answers were lost: the history decides.
    for _ in 0..ROUNDS {
        let uncertain = std::mem::take(&mut *batch.lock_uncertain());
        if uncertain.is_empty() || batch.stopped().is_some() {
            batch.lock_uncertain().extend(uncertain);
            break;
        }
        if batch
            .unless_stopped(tokio::time::sleep(args.history_grace))
            .await
            .is_none()
        {
            batch.lock_uncertain().extend(uncertain);
            break;
        }
        let work = settle(&batch, &lines, &uncertain, &args).await;
        run_all(&batch, &lines, work, args.concurrency as usize).await;
    }
    for pending in std::mem::take(&mut *batch.lock_uncertain()) {
        batch.progress.ended(
            &lines[pending.index].id,
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
    /// Billed, with the image lost: the job id and why.
    lost: Vec<(usize, String, String)>,
    follow: Vec<Work>,
    dangling: Vec<Pending>,
    fresh: Vec<usize>,
    /// Jobs followed for requests no longer in the input.
    orphans: usize,
    /// Finished earlier requests of a line id the input still uses, with
    /// their image's file name.
    earlier: Vec<(String, String, String)>,
    notes: Vec<String>,
}

impl Plan {
    /// Reads the journal's states; holds the money of jobs not yet ended.
    /// `start` is when this run started: an earlier run's attempt cannot
    /// reach Segmind after it (that run is gone), nor after its timeout.
    fn new(journal: &Journal, lines: &[Line], money: &Money, start: SystemTime) -> Self {
        let mut states = journal.states();
        let mut plan = Plan::default();
        for (index, line) in lines.iter().enumerate() {
            let key = (line.id.clone(), line.fingerprint.clone());
            match states.remove(&key).unwrap_or(LineState::Fresh) {
                LineState::Done { .. } => plan.done.push(index),
                LineState::Lost { request_id, error } => {
                    plan.lost.push((index, request_id, error));
                }
                LineState::Submitted {
                    request_id,
                    reserved_usd,
                } => {
                    money.hold(reserved_usd);
                    plan.follow
                        .push(Work::Follow(Owner::of(line), request_id, reserved_usd));
                }
                LineState::Dangling {
                    since,
                    reach_by,
                    reserved_usd,
                    ..
                } => {
                    money.hold(reserved_usd);
                    plan.dangling.push(Pending {
                        index,
                        since,
                        reach_by: reach_by.map_or(start, |by| by.min(start)),
                        reserved: reserved_usd,
                    });
                }
                LineState::Fresh | LineState::Intended { .. } => plan.fresh.push(index),
            }
        }
        // What is left belongs to requests no longer in the input (a line
        // edited or deleted). Their jobs are paid for: fetch them anyway.
        let mut rest: Vec<_> = states.into_iter().collect();
        rest.sort_by(|a, b| a.0.cmp(&b.0));
        let ids: HashSet<&str> = lines.iter().map(|l| l.id.as_str()).collect();
        for ((line, fingerprint), state) in rest {
            match state {
                LineState::Submitted {
                    request_id,
                    reserved_usd,
                } => {
                    money.hold(reserved_usd);
                    plan.orphans += 1;
                    // Never `{line}.png`: an image of another request of
                    // the same id may be there.
                    let stem = earlier_stem(&line, &fingerprint);
                    plan.notes.push(format!(
                        "{line}: job {request_id} was submitted for a request no longer in the \
                         input; fetching it as {stem}.png"
                    ));
                    let owner = Owner {
                        line,
                        fingerprint,
                        stem,
                    };
                    plan.follow
                        .push(Work::Follow(owner, request_id, reserved_usd));
                }
                // Its image is `{line}.png`, which the current request of
                // the same id would overwrite: it is moved aside first.
                LineState::Done { file, .. } if ids.contains(line.as_str()) => {
                    plan.earlier.push((line, fingerprint, file));
                }
                LineState::Dangling {
                    since,
                    reserved_usd,
                    ..
                } => {
                    // It may have been billed: the budget counts it.
                    money.hold(reserved_usd);
                    plan.notes.push(format!(
                        "{line}: a request no longer in the input was sent {:.0} s ago with no \
                     answer recorded; if Segmind ran it, its job is in the request history",
                        SystemTime::now()
                            .duration_since(since)
                            .unwrap_or_default()
                            .as_secs_f64()
                    ));
                }
                _ => {}
            }
        }
        plan
    }
}

/// Whose job is followed: the journal's key for it, and the image's name.
#[derive(Debug, Clone)]
struct Owner {
    line: String,
    fingerprint: String,
    /// The file stem of its image.
    stem: String,
}

impl Owner {
    fn of(line: &Line) -> Self {
        Self {
            line: line.id.clone(),
            fingerprint: line.fingerprint.clone(),
            stem: line.id.clone(),
        }
    }
}

enum Work {
    Submit(usize),
    Follow(Owner, String, f64),
}

/// A submission that may have reached Segmind, with no job id recorded.
#[derive(Debug, Clone, Copy)]
struct Pending {
    index: usize,
    /// When its first attempt was sent.
    since: SystemTime,
    /// The latest its last attempt may have reached Segmind: the history's
    /// grace counts from here.
    reach_by: SystemTime,
    /// The money held for it.
    reserved: f64,
}

/// Runs `work` with at most `concurrency` lines at once; after a stop,
/// gives in-flight submissions [`STOP_GRACE`] to be answered and recorded.
async fn run_all(batch: &Arc<Batch>, lines: &Arc<Vec<Line>>, work: Vec<Work>, concurrency: usize) {
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for item in work {
        let (batch, lines, permits) = (Arc::clone(batch), Arc::clone(lines), Arc::clone(&permits));
        tasks.spawn(async move {
            let label = match &item {
                Work::Submit(i) => lines[*i].id.clone(),
                Work::Follow(owner, _, _) => owner.stem.clone(),
            };
            let Ok(_permit) = permits.acquire().await else {
                return;
            };
            if batch.stopped().is_some() {
                batch.progress.ended(&label, Outcome::NotRun, "");
                return;
            }
            let (outcome, detail) = match item {
                Work::Submit(i) => submit_line(&batch, &lines[i], i).await,
                Work::Follow(owner, id, reserved) => match batch.client.job(id.clone()) {
                    Ok(job) => follow(&batch, &owner, &job, reserved).await,
                    Err(e) => (Some(Outcome::Failed), e.to_string()),
                },
            };
            if let Some(outcome) = outcome {
                batch.progress.ended(&label, outcome, &detail);
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

/// Submits one line: reserve, record the intent, record each attempt right
/// before it is sent, record the job id, then follow the job. `None` when
/// the line is left for a later round.
async fn submit_line(batch: &Batch, line: &Line, index: usize) -> (Option<Outcome>, String) {
    let reserved = reservation(line.info);
    if !batch.money.try_reserve(reserved) {
        return (
            Some(Outcome::OverBudget),
            format!("it would reserve ${reserved:.3}"),
        );
    }
    let intent = Record::Intent {
        line: line.id.clone(),
        fingerprint: line.fingerprint.clone(),
        endpoint: line.info.slug.to_owned(),
        at: unix_now(),
        reserved_usd: reserved,
    };
    if let Err(e) = batch.journal.append(&intent) {
        batch.money.release(reserved);
        batch.journal_broke(&e, "nothing more is submitted");
        return (Some(Outcome::NotRun), String::new());
    }
    // The time of sending, not of queueing for a turn: the history's grace
    // and window count from it.
    let first_sent = Mutex::new(None::<SystemTime>);
    let timeout = batch.client.request_timeout();
    let sending = || {
        let now = SystemTime::now();
        first_sent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert(now);
        batch.journal.append(&Record::Sending {
            line: line.id.clone(),
            fingerprint: line.fingerprint.clone(),
            at: unix_seconds(now),
            until: timeout.map(|t| unix_seconds(now) + t.as_secs_f64()),
        })
    };
    batch.progress.in_flight(1);
    let submitted = batch
        .client
        .submit_any_with_hook(&line.request, &sending)
        .await;
    batch.progress.in_flight(-1);
    let job = match submitted {
        Ok(job) => job,
        Err(error) => {
            let now = SystemTime::now();
            let since = first_sent.lock().unwrap_or_else(|e| e.into_inner());
            // The attempt has ended: it cannot reach Segmind after now.
            let pending = Pending {
                index,
                since: since.unwrap_or(now),
                reach_by: now,
                reserved,
            };
            return submission_failed(batch, line, pending, &error);
        }
    };
    let record = Record::Submitted {
        line: line.id.clone(),
        fingerprint: line.fingerprint.clone(),
        request_id: job.request_id().to_owned(),
        reconciled: false,
    };
    if let Err(e) = batch.journal.append(&record) {
        // The job is paid for: its id must reach the user one way or another.
        batch.journal_lost_job(&e, &line.id, job.request_id());
        return (Some(Outcome::Pending), format!("job {}", job.request_id()));
    }
    follow(batch, &Owner::of(line), &job, reserved).await
}

/// What a failed submission means for its line.
fn submission_failed(
    batch: &Batch,
    line: &Line,
    pending: Pending,
    error: &Error,
) -> (Option<Outcome>, String) {
    let not_sent = |reason: String| {
        let record = Record::NotSent {
            line: line.id.clone(),
            fingerprint: line.fingerprint.clone(),
            reason,
        };
        batch.money.release(pending.reserved);
        // Without the record the next run reconciles the line instead.
        let _ = batch.journal.append(&record);
    };
    if let Error::BeforeSend(_) = error {
        not_sent(error.to_string());
        batch.journal_broke(error, "nothing more is submitted");
        return (Some(Outcome::NotRun), error.to_string());
    }
    // What the answer means is the client's one classification (the
    // spec's classes of answers); the batch only acts on it.
    let meaning = error.outcome();
    let not_billed = meaning.billing() == Billing::NotBilled;
    match meaning.delivery() {
        Delivery::NotSent => {
            not_sent(error.to_string());
            let outcome = if matches!(error, Error::Interrupted) {
                Outcome::NotRun
            } else {
                Outcome::Failed
            };
            (Some(outcome), error.to_string())
        }
        _ if not_billed && meaning.retry() == Retry::Later => {
            not_sent(error.to_string());
            (Some(Outcome::NotRun), format!("rate limited: {error}"))
        }
        _ if not_billed && meaning.is_fatal_for_batch() => {
            not_sent(error.to_string());
            batch.halt(Stop::Fatal(error.to_string()));
            (Some(Outcome::NotRun), error.to_string())
        }
        _ if not_billed => {
            not_sent(error.to_string());
            (Some(Outcome::Failed), error.to_string())
        }
        // A 5xx, a timeout, a lost connection, an answer that made no
        // sense: Segmind may have queued (and billed) the job.
        _ => {
            batch.lock_uncertain().push(pending);
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
async fn follow(
    batch: &Batch,
    owner: &Owner,
    job: &Job,
    reserved: f64,
) -> (Option<Outcome>, String) {
    let trouble = |error: &Error| {
        let record = Record::Trouble {
            line: owner.line.clone(),
            fingerprint: owner.fingerprint.clone(),
            request_id: job.request_id().to_owned(),
            error: error.to_string(),
        };
        let _ = batch.journal.append(&record);
        if error.outcome().is_fatal_for_batch() {
            batch.halt(Stop::Fatal(error.to_string()));
        }
        (
            Some(Outcome::Pending),
            format!("job {}: {error}", job.request_id()),
        )
    };
    batch.progress.in_flight(1);
    let waited = batch
        .unless_stopped(job.wait_with(batch.wait.clone()))
        .await;
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
                line: owner.line.clone(),
                fingerprint: owner.fingerprint.clone(),
                request_id: job.request_id().to_owned(),
                error: message.clone(),
            };
            let _ = batch.journal.append(&record);
            return (
                Some(Outcome::Failed),
                format!("job failed (not billed): {message}"),
            );
        }
        Some(Err(expired @ Error::JobExpired { .. })) => match expired_result(batch, job).await {
            Ok(Expired::Found(result)) => *result,
            Ok(Expired::Gone { cost }) => {
                let cost_usd = batch.money.settle(reserved, cost);
                let error = expired.to_string();
                let record = Record::Lost {
                    line: owner.line.clone(),
                    fingerprint: owner.fingerprint.clone(),
                    request_id: job.request_id().to_owned(),
                    error: error.clone(),
                    cost_usd,
                };
                if let Err(e) = batch.journal.append(&record) {
                    batch.journal_broke(&e, "the batch stops");
                }
                return (Some(Outcome::Failed), lost_advice(job.request_id(), &error));
            }
            Err(e) => return trouble(&e),
        },
        Some(Err(e)) => return trouble(&e),
    };
    let image = match job.output_image(&result).await {
        Ok(image) => image,
        Err(e) => return trouble(&e),
    };
    let written = match image.save(batch.out_dir.join(format!("{}.png", owner.stem))) {
        Ok(path) => path,
        Err(e) => return trouble(&e),
    };
    let reported = result
        .metrics
        .as_ref()
        .and_then(|m| m.cost)
        .or(image.metadata().cost)
        .filter(|c| c.is_finite() && *c >= 0.0);
    let record = Record::Done {
        line: owner.line.clone(),
        fingerprint: owner.fingerprint.clone(),
        request_id: job.request_id().to_owned(),
        file: written
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default(),
        cost_usd: batch.money.settle(reserved, reported),
        reported: reported.is_some(),
    };
    if let Err(e) = batch.journal.append(&record) {
        batch.journal_broke(&e, "the batch stops");
    }
    (Some(Outcome::Done), written.display().to_string())
}

/// What the history says of a completed job whose result expired.
enum Expired {
    /// Its output, still there.
    Found(Box<JobResult>),
    /// No output any more; what the job cost, when the history says.
    Gone { cost: Option<f64> },
}

async fn expired_result(batch: &Batch, job: &Job) -> Result<Expired, Error> {
    let record = batch.client.request(job.request_id()).await?;
    Ok(match record.output_url() {
        Some(url) => Expired::Found(Box::new(
            JobResult::new(JobStatus::Completed).output(serde_json::json!(url)),
        )),
        None => Expired::Gone {
            cost: record.cost(),
        },
    })
}

/// Decides each of `pending` from the request history, records the
/// verdict, and returns the work that follows: the jobs found, and the
/// lines to submit (certainly absent, or forced). Lines sent too recently
/// to tell wait for a later round; unresolved lines are reported here.
async fn settle(batch: &Batch, lines: &[Line], pending: &[Pending], args: &BatchArgs) -> Vec<Work> {
    if pending.is_empty() {
        return Vec::new();
    }
    let queries: Vec<Dangling> = pending
        .iter()
        .map(|p| Dangling {
            slug: lines[p.index].info.slug,
            payload: lines[p.index].payload.clone(),
            since: p.since,
            reach_by: p.reach_by,
        })
        .collect();
    let known = batch.journal.known_jobs();
    let reconciled = reconcile(&batch.client, &queries, args.history_grace, &known);
    let Some(verdicts) = batch.unless_stopped(reconciled).await else {
        for p in pending {
            batch.progress.ended(
                &lines[p.index].id,
                Outcome::Unresolved,
                "the batch stopped before the request history was read; a rerun looks it up",
            );
        }
        return Vec::new();
    };
    let mut work = Vec::new();
    for (p, verdict) in pending.iter().zip(verdicts) {
        let line = &lines[p.index];
        match verdict {
            Verdict::Found { request_id } => {
                let record = Record::Submitted {
                    line: line.id.clone(),
                    fingerprint: line.fingerprint.clone(),
                    request_id: request_id.clone(),
                    reconciled: true,
                };
                if let Err(e) = batch.journal.append(&record) {
                    batch.journal_lost_job(&e, &line.id, &request_id);
                }
                batch
                    .progress
                    .counts
                    .reconciled
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                batch.progress.note(&format!(
                    "{}: found in Segmind's request history as job {request_id}; resuming it",
                    line.id
                ));
                work.push(Work::Follow(Owner::of(line), request_id, p.reserved));
            }
            Verdict::Absent => {
                let record = Record::NotSent {
                    line: line.id.clone(),
                    fingerprint: line.fingerprint.clone(),
                    reason: "not in Segmind's request history".into(),
                };
                let _ = batch.journal.append(&record);
                batch.money.release(p.reserved);
                work.push(Work::Submit(p.index));
            }
            // Asked again once the grace has passed, in this run.
            Verdict::TooSoon => batch.lock_uncertain().push(*p),
            Verdict::Unknown { reason } if args.resubmit_unresolved => {
                // It may have been billed: its reservation counts as spent,
                // and the new submission reserves its own.
                let record = Record::Abandoned {
                    line: line.id.clone(),
                    fingerprint: line.fingerprint.clone(),
                    reserved_usd: p.reserved,
                    reason: format!("resubmitted on request: {reason}"),
                };
                let _ = batch.journal.append(&record);
                batch.money.settle(p.reserved, None);
                work.push(Work::Submit(p.index));
            }
            Verdict::Unknown { reason } => {
                batch
                    .progress
                    .ended(&line.id, Outcome::Unresolved, &unresolved_advice(&reason))
            }
        }
    }
    work
}

/// The file stem of a request of `line` other than its current one.
fn earlier_stem(line: &str, fingerprint: &str) -> String {
    format!("{line}-{}", fingerprint.get(..8).unwrap_or(fingerprint))
}

/// Moves `file`, the image of an earlier request of `line`, out of the way
/// of the current one's, never over another file.
fn keep_earlier_image(
    batch: &Batch,
    line: &str,
    fingerprint: &str,
    file: &str,
) -> Result<(), Failure> {
    let from = batch.out_dir.join(file);
    let mut to = batch.out_dir.join(earlier_stem(line, fingerprint));
    if let Some(extension) = from.extension() {
        to.set_extension(extension);
    }
    if file.is_empty() || !from.is_file() || to.exists() {
        return Ok(());
    }
    std::fs::rename(&from, &to).map_err(|e| {
        Failure::input(format!(
            "{line}: its request changed, and the earlier request's image {} cannot be moved \
             aside ({e}); nothing was submitted",
            from.display()
        ))
    })?;
    batch.progress.note(&format!(
        "{line}: its request changed; the earlier request's image is now {}",
        to.display()
    ));
    Ok(())
}

fn lost_advice(request_id: &str, error: &str) -> String {
    format!(
        "job {request_id} was billed but its image can no longer be fetched ({error}); \
         to generate it again, give the line a new \"id\""
    )
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
        Err(e) if e.outcome().is_fatal_for_batch() => Err(e.into()),
        Err(e) => {
            batch.progress.note(&format!(
                "could not read the account's credits ({e}); going on without the credit check"
            ));
            Ok(())
        }
    }
}

impl Batch {
    fn stopped(&self) -> Option<Stop> {
        self.stop.borrow().clone()
    }

    /// Stops the batch because the journal cannot be written; `then` says
    /// what that means (or which paid job the user must fetch).
    fn journal_broke(&self, error: &dyn std::fmt::Display, then: &str) {
        self.halt(Stop::Fatal(format!(
            "cannot write the journal {}: {error}; {then}",
            self.journal.path().display()
        )));
    }

    /// [`journal_broke`](Self::journal_broke) with a paid job's id unrecorded:
    /// the message tells the user how to fetch it.
    fn journal_lost_job(&self, error: &dyn std::fmt::Display, line: &str, request_id: &str) {
        self.journal_broke(
            error,
            &format!(
                "line {line} is job {request_id} (`ideogram jobs wait {request_id}` fetches it)"
            ),
        );
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

    fn lock_uncertain(&self) -> std::sync::MutexGuard<'_, Vec<Pending>> {
        self.uncertain.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `work`'s output, unless the batch is stopped first.
    async fn unless_stopped<T>(&self, work: impl std::future::Future<Output = T>) -> Option<T> {
        let mut stop = self.stop.subscribe();
        tokio::select! {
            done = work => Some(done),
            _ = stop.wait_for(Option::is_some) => None,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// An earlier run's attempt may have reached Segmind until it was given
    /// up or that run ended, whichever came first; the grace counts from
    /// there, never from the moment the attempt started.
    #[test]
    fn an_earlier_runs_attempt_counts_until_it_could_no_longer_arrive() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("lines.jsonl");
        let text: String = ["a", "b", "c"]
            .iter()
            .map(|id| {
                format!(
                    r#"{{"id": "{id}", "endpoint": "txt-2-img", "request": {{"prompt": "{id}"}}}}"#
                ) + "\n"
            })
            .collect();
        std::fs::write(&input, text).unwrap();
        let (lines, _) = lines::read(&input).unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        let now = unix_now();
        // Given up long ago; still in flight when the run died; unbounded.
        for (line, until) in lines
            .iter()
            .zip([Some(now - 880.0), Some(now + 110.0), None])
        {
            journal
                .append(&Record::Sending {
                    line: line.id.clone(),
                    fingerprint: line.fingerprint.clone(),
                    at: now - 1000.0,
                    until,
                })
                .unwrap();
        }
        let journal = Journal::open(dir.path()).unwrap();
        let start = SystemTime::now();
        let plan = Plan::new(&journal, &lines, &Money::new(None, 0.0), start);
        let reach_by: Vec<f64> = plan
            .dangling
            .iter()
            .map(|p| unix_seconds(p.reach_by))
            .collect();
        assert!((reach_by[0] - (now - 880.0)).abs() < 1e-3, "{reach_by:?}");
        assert_eq!(plan.dangling[1].reach_by, start);
        assert_eq!(plan.dangling[2].reach_by, start);
    }
}
