//! `ideogram batch`: many requests from a JSONL file through the queue, with
//! bounded concurrency, a batch-wide pause on 429, and a manifest that makes
//! reruns resume instead of resubmitting.
//!
//! Exactly-once: a line is submitted only when the manifest has no job for
//! it; the job id is written (and synced) as soon as the submission is
//! answered, and an interruption lets in-flight submissions finish and be
//! recorded before exiting. Only a hard kill in the instant between
//! Segmind's answer and that write can lose a job id (Segmind offers no
//! idempotency key to close that gap).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use segmind_ideogram::{
    AnyRequest, ApiErrorKind, Client, EndpointInfo, Error, Job, JobResult, WaitOptions,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;

use crate::args::BatchArgs;
use crate::command::resolve_endpoint;
use crate::connect::connect;
use crate::failure::{Exit, Failure};
use crate::payload::validate;

/// How often a line retries a submission the server refused with a
/// retryable status, and a wait or download that failed in transit.
const RETRIES: u32 = 8;
/// How long a 429 pauses the batch when the server gives no reset time.
const RATE_LIMIT_PAUSE: Duration = Duration::from_secs(2);

/// One line of the input.
struct Line {
    id: String,
    fingerprint: String,
    info: &'static EndpointInfo,
    request: AnyRequest,
}

/// What the manifest says about a line.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    id: String,
    fingerprint: String,
    event: Event,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cost: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Event {
    Submitted,
    Done,
    Failed,
}

/// How a line ended in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Done,
    AlreadyDone,
    Failed,
    /// Stopped by an interruption; the next run picks it up.
    Pending,
}

/// The append-only record of every line's progress.
struct Manifest {
    file: Mutex<File>,
    latest: HashMap<String, Entry>,
}

impl Manifest {
    fn open(path: &Path) -> Result<Self, Failure> {
        let mut latest = HashMap::new();
        if let Ok(existing) = File::open(path) {
            for line in BufReader::new(existing).lines() {
                let line = line
                    .map_err(|e| Failure::input(format!("cannot read {}: {e}", path.display())))?;
                // A torn last line (killed mid-write) is ignored, not fatal.
                if let Ok(entry) = serde_json::from_str::<Entry>(&line) {
                    latest.insert(entry.id.clone(), entry);
                }
            }
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Failure::input(format!("cannot write {}: {e}", path.display())))?;
        Ok(Self {
            file: Mutex::new(file),
            latest,
        })
    }

    /// The manifest's last word on this line, if it is about the same request.
    fn state(&self, line: &Line) -> Option<&Entry> {
        self.latest
            .get(&line.id)
            .filter(|e| e.fingerprint == line.fingerprint)
    }

    fn record(&self, entry: &Entry) {
        let mut text = serde_json::to_string(entry).unwrap_or_default();
        text.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        // Durable before the line moves on: a job id lost here could be submitted twice.
        let written = file
            .write_all(text.as_bytes())
            .and_then(|()| file.sync_data());
        if let Err(e) = written {
            eprintln!("warning: could not update the manifest: {e}");
        }
    }
}

/// What every line task shares.
struct Batch {
    client: Client,
    manifest: Manifest,
    out_dir: PathBuf,
    wait: WaitOptions,
    /// No submission before this instant (set by a 429).
    paused_until: Mutex<Instant>,
    stop: watch::Receiver<bool>,
    progress: ProgressBar,
    counts: Counts,
}

#[derive(Default)]
struct Counts {
    done: AtomicU64,
    skipped: AtomicU64,
    failed: AtomicU64,
    pending: AtomicU64,
    /// Cost so far, in millionths of a dollar.
    micro_usd: AtomicU64,
}

pub async fn run(args: BatchArgs) -> Result<(), Failure> {
    let file = args.file;
    let out_dir = args.out_dir;
    let concurrency = args.concurrency as usize;
    let poll = args.wait.poll_interval;

    let (lines, invalid) = read_lines(&file)?;
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| Failure::input(format!("cannot create {}: {e}", out_dir.display())))?;
    let manifest = Manifest::open(&out_dir.join("manifest.jsonl"))?;
    for (id, error) in &invalid {
        eprintln!("{id}: {error}");
    }
    let connection = connect(&args.connection).await?;
    let (stop_tx, stop) = watch::channel(false);
    tokio::spawn(async move {
        interrupted().await;
        let _ = stop_tx.send(true);
    });

    let progress = ProgressBar::new(lines.len() as u64 + invalid.len() as u64);
    progress.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    progress.inc(invalid.len() as u64);
    let batch = Arc::new(Batch {
        client: connection.client.clone(),
        manifest,
        out_dir,
        wait: match poll {
            Some(interval) => connection.client.wait_options().interval(interval),
            None => connection.client.wait_options(),
        },
        paused_until: Mutex::new(Instant::now()),
        stop,
        progress,
        counts: Counts::default(),
    });
    batch
        .counts
        .failed
        .fetch_add(invalid.len() as u64, Ordering::Relaxed);

    let permits = Arc::new(Semaphore::new(concurrency));
    let mut tasks = Vec::with_capacity(lines.len());
    for line in lines {
        let batch = Arc::clone(&batch);
        let permits = Arc::clone(&permits);
        tasks.push(tokio::spawn(async move {
            let Ok(_permit) = permits.acquire_owned().await else {
                return Outcome::Pending;
            };
            let outcome = run_line(&batch, &line).await;
            batch.tally(outcome);
            outcome
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    batch.progress.finish_and_clear();
    batch.summary()
}

impl Batch {
    fn tally(&self, outcome: Outcome) {
        let counter = match outcome {
            Outcome::Done => &self.counts.done,
            Outcome::AlreadyDone => &self.counts.skipped,
            Outcome::Failed => &self.counts.failed,
            Outcome::Pending => &self.counts.pending,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.progress.inc(1);
        let c = &self.counts;
        let remaining = self
            .progress
            .length()
            .unwrap_or(0)
            .saturating_sub(self.progress.position());
        self.progress.set_message(format!(
            "done {} failed {} remaining {remaining} cost ${:.3}",
            c.done.load(Ordering::Relaxed) + c.skipped.load(Ordering::Relaxed),
            c.failed.load(Ordering::Relaxed),
            c.micro_usd.load(Ordering::Relaxed) as f64 / 1e6
        ));
    }

    fn summary(&self) -> Result<(), Failure> {
        let c = &self.counts;
        let (done, skipped, failed, pending) = (
            c.done.load(Ordering::Relaxed),
            c.skipped.load(Ordering::Relaxed),
            c.failed.load(Ordering::Relaxed),
            c.pending.load(Ordering::Relaxed),
        );
        let cost = c.micro_usd.load(Ordering::Relaxed) as f64 / 1e6;
        println!(
            "batch: {} done ({skipped} from an earlier run), {failed} failed, {pending} not finished; cost ${cost:.3}",
            done + skipped
        );
        if *self.stop.borrow() {
            Err(Failure::new(
                Exit::Interrupted,
                "interrupted: rerun the same command to resume",
            ))
        } else if failed > 0 {
            Err(Failure::new(
                Exit::BatchFailures,
                format!("{failed} line(s) failed; rerun to retry them"),
            ))
        } else {
            Ok(())
        }
    }

    fn stopping(&self) -> bool {
        *self.stop.borrow()
    }

    fn entry(&self, line: &Line, event: Event) -> Entry {
        Entry {
            id: line.id.clone(),
            fingerprint: line.fingerprint.clone(),
            event,
            request_id: None,
            file: None,
            cost: None,
            error: None,
        }
    }

    fn fail(&self, line: &Line, error: &Error) -> Outcome {
        let message = error.to_string();
        self.progress
            .suspend(|| eprintln!("{}: {message}", line.id));
        let mut entry = self.entry(line, Event::Failed);
        entry.error = Some(message);
        self.manifest.record(&entry);
        Outcome::Failed
    }

    /// Waits out a batch-wide 429 pause.
    async fn wait_for_rate_limit(&self) {
        let until = *self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        tokio::time::sleep_until(until).await;
    }

    fn pause(&self, wait: Duration) {
        let mut until = self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        *until = (*until).max(Instant::now() + wait);
    }
}

async fn run_line(batch: &Batch, line: &Line) -> Outcome {
    let job = match batch.manifest.state(line) {
        Some(entry) if entry.event == Event::Done => return Outcome::AlreadyDone,
        Some(Entry {
            event: Event::Submitted,
            request_id: Some(id),
            ..
        }) => match batch.client.job(id.clone()) {
            Ok(job) => job,
            Err(e) => return batch.fail(line, &e),
        },
        _ => match submit(batch, line).await {
            Ok(Some(job)) => job,
            Ok(None) => return Outcome::Pending,
            Err(e) => return batch.fail(line, &e),
        },
    };
    let result = match wait(batch, &job).await {
        Ok(Some(result)) => result,
        Ok(None) => return Outcome::Pending,
        Err(e) => return batch.fail(line, &e),
    };
    match download(batch, line, &job, &result).await {
        Ok(entry) => {
            let micro = (entry.cost.unwrap_or(0.0) * 1e6).round() as u64;
            batch.counts.micro_usd.fetch_add(micro, Ordering::Relaxed);
            batch.manifest.record(&entry);
            Outcome::Done
        }
        Err(e) => batch.fail(line, &e),
    }
}

/// Submits the line, retrying answers that say the job was not accepted
/// (429, 5xx) and connections that never sent the request. `None` when the
/// batch is stopping.
async fn submit(batch: &Batch, line: &Line) -> Result<Option<Job>, Error> {
    let mut attempt = 0;
    loop {
        batch.wait_for_rate_limit().await;
        if batch.stopping() {
            return Ok(None);
        }
        match batch.client.submit_any(&line.request).await {
            Ok(job) => {
                let mut entry = batch.entry(line, Event::Submitted);
                entry.request_id = Some(job.request_id().to_owned());
                batch.manifest.record(&entry);
                return Ok(Some(job));
            }
            Err(Error::Api {
                kind: ApiErrorKind::RateLimited { .. },
                retry_after,
                ..
            }) if attempt < RETRIES * 4 => {
                batch.pause(retry_after.unwrap_or(RATE_LIMIT_PAUSE));
            }
            Err(e) if attempt < RETRIES && never_accepted(&e) => {
                tokio::time::sleep(backoff(attempt)).await;
            }
            Err(e) => return Err(e),
        }
        attempt += 1;
    }
}

/// Whether an error proves Segmind did not take the submission: it answered
/// with a retryable error status, or the connection failed before sending.
fn never_accepted(error: &Error) -> bool {
    match error {
        Error::Api { .. } => error.is_retryable(),
        Error::Connect(_) => true,
        _ => false,
    }
}

/// Waits for the job; polls are safe to repeat, so transient failures are
/// retried. `None` when the batch is stopping.
async fn wait(batch: &Batch, job: &Job) -> Result<Option<JobResult>, Error> {
    let mut stop = batch.stop.clone();
    let mut attempt = 0;
    loop {
        let outcome = tokio::select! {
            _ = stop.wait_for(|stopping| *stopping) => return Ok(None),
            outcome = job.wait_with(batch.wait.clone()) => outcome,
        };
        match outcome {
            Ok(result) => return Ok(Some(result)),
            Err(e @ (Error::JobFailed { .. } | Error::JobExpired { .. })) => return Err(e),
            Err(e) if attempt < RETRIES && e.is_retryable() => {
                tokio::time::sleep(backoff(attempt)).await
            }
            Err(e) => return Err(e),
        }
        attempt += 1;
    }
}

async fn download(
    batch: &Batch,
    line: &Line,
    job: &Job,
    result: &JobResult,
) -> Result<Entry, Error> {
    let mut attempt = 0;
    let image = loop {
        match job.output_image(result).await {
            Ok(image) => break image,
            Err(e)
                if attempt < RETRIES && (e.is_retryable() || matches!(e, Error::Transport(_))) =>
            {
                tokio::time::sleep(backoff(attempt)).await;
            }
            Err(e) => return Err(e),
        }
        attempt += 1;
    };
    let written = image.save(batch.out_dir.join(format!("{}.png", line.id)))?;
    let mut entry = batch.entry(line, Event::Done);
    entry.request_id = Some(job.request_id().to_owned());
    entry.file = written
        .file_name()
        .map(|f| f.to_string_lossy().into_owned());
    entry.cost = result
        .metrics
        .as_ref()
        .and_then(|m| m.cost)
        .or(image.metadata().cost)
        .or(line.info.price_usd.map(|p| p.min_usd));
    Ok(entry)
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(100 * 2u64.pow(attempt.min(6)))
}

/// The input's lines, and the ids and reasons of the ones that cannot run.
#[allow(clippy::type_complexity)]
fn read_lines(path: &Path) -> Result<(Vec<Line>, Vec<(String, String)>), Failure> {
    let file = File::open(path)
        .map_err(|e| Failure::input(format!("cannot read {}: {e}", path.display())))?;
    let mut lines = Vec::new();
    let mut invalid = Vec::new();
    let mut seen = HashMap::new();
    for (index, text) in BufReader::new(file).lines().enumerate() {
        let text =
            text.map_err(|e| Failure::input(format!("cannot read {}: {e}", path.display())))?;
        if text.trim().is_empty() {
            continue;
        }
        let number = index + 1;
        let parsed = parse_line(number, &text);
        let id = match &parsed {
            Ok(line) => line.id.clone(),
            Err((id, _)) => id.clone(),
        };
        if let Some(first) = seen.insert(id.clone(), number) {
            return Err(Failure::input(format!(
                "{}: lines {first} and {number} share the id `{id}`",
                path.display()
            )));
        }
        match parsed {
            Ok(line) => lines.push(line),
            Err(problem) => invalid.push(problem),
        }
    }
    Ok((lines, invalid))
}

fn parse_line(number: usize, text: &str) -> Result<Line, (String, String)> {
    let default_id = format!("line-{number:05}");
    let value: Value = serde_json::from_str(text)
        .map_err(|e| (default_id.clone(), format!("not valid JSON: {e}")))?;
    let id = match value.get("id") {
        None => default_id,
        Some(Value::String(s)) if is_safe_file_stem(s) => s.clone(),
        Some(other) => {
            return Err((
                default_id,
                format!("`id` must be a simple file name, found {other}"),
            ));
        }
    };
    let name = value
        .get("endpoint")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let info =
        resolve_endpoint(name).ok_or_else(|| (id.clone(), format!("unknown endpoint `{name}`")))?;
    let payload = value.get("request").cloned().unwrap_or(Value::Null);
    let request = validate(info, payload.clone()).map_err(|f| (id.clone(), f.message))?;
    let fingerprint = format!(
        "{:016x}",
        fnv1a(format!("{}\n{payload}", info.slug).as_bytes())
    );
    Ok(Line {
        id,
        fingerprint,
        info,
        request,
    })
}

fn is_safe_file_stem(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !s.starts_with('.')
}

/// A stable hash (unlike `DefaultHasher`), so manifests survive upgrades.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
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
