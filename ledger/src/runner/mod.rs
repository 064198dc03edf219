//! A batch of requests through Segmind's queue with the ledger's
//! guarantees: what `ideogram batch` runs, for any crate.
//!
//! Work goes through three stages, each with its own bound:
//! - **submissions**: at most [`Settings::concurrency`] POSTs in flight
//!   (paced by the client's [`Pacer`]), each admitted and recorded by the
//!   ledger;
//! - **waiting**: every accepted job is followed by the client's poller (a
//!   status request each), up to [`Settings::max_waiting`] at once;
//! - **downloads**: at most [`Settings::downloads`] at once, each image
//!   synced to disk before the ledger records it done.
//!
//! A rerun follows the jobs already paid for first; then the request
//! history decides the attempts an earlier run left unanswered; then new
//! requests are submitted. An answer that will be the same for every
//! request (a wrong key, no credits, a forbidden or retired model) stops
//! new submissions, but every job already accepted is still followed and
//! its image fetched. [`Runner::interrupt`] stops everything within a
//! second.

mod follow;
mod names;
mod plan;
mod positions;
mod settle;
mod submit;
mod uploads;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use segmind_ideogram::{AnyRequest, Client, Pacer, WaitOptions};
use serde_json::Value;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::compact::Slug;
use crate::event::At;
use crate::key::{Fingerprint, Key};
use crate::ledger::{Ledger, Money};
use crate::outcome::stops_submissions;
use crate::reconcile::Attempt;
use crate::usd::Usd;
use plan::{Follow, Plan};
use positions::Positions;

/// The deadline of one operation (the credit check, an upload, a download,
/// a page of the history, with all their attempts) when the client has no
/// request timeout.
const DEADLINE: Duration = Duration::from_secs(120);

/// How long in-flight work may take to be answered and recorded after an
/// interruption, before the run returns anyway.
const STOP_GRACE: Duration = Duration::from_millis(800);

/// Rounds of asking the request history about this run's unanswered
/// submissions.
const ROUNDS: usize = 3;

/// One request of a batch, named by the caller.
#[derive(Debug, Clone)]
pub struct Item {
    /// The caller's name for it: its image is saved as `<id>.<ext>`, and
    /// its key in the ledger is this name with the request's fingerprint.
    pub id: String,
    /// The request.
    pub request: AnyRequest,
}

/// How a runner works.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where images are saved.
    pub out_dir: PathBuf,
    /// POSTs in flight at once.
    pub concurrency: usize,
    /// Accepted jobs followed at once.
    pub max_waiting: usize,
    /// Images downloaded at once.
    pub downloads: usize,
    /// How jobs are waited for.
    pub wait: WaitOptions,
    /// How long the request history may take to show a request.
    pub history_grace: Duration,
    /// Submit requests whose earlier attempt the history can neither
    /// confirm nor rule out (this may pay twice for them).
    pub resubmit_unresolved: bool,
    /// Compare what the batch may commit with the account's credits first.
    pub credit_check: bool,
}

impl Settings {
    /// Defaults for images saved in `out_dir`: 4 POSTs in flight, 10,000
    /// jobs followed, 8 downloads, the client's wait, a minute's grace.
    pub fn new(out_dir: impl Into<PathBuf>) -> Self {
        Self {
            out_dir: out_dir.into(),
            concurrency: 4,
            max_waiting: 10_000,
            downloads: 8,
            wait: WaitOptions::new(),
            history_grace: Duration::from_secs(60),
            resubmit_unresolved: false,
            credit_check: true,
        }
    }
}

/// How a request ended in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Saved in this run.
    Done,
    /// Saved by an earlier run.
    AlreadyDone,
    /// Failed for good (refused, or the job failed, or its image is lost).
    Failed,
    /// Its job is known but not finished here; a rerun resumes it.
    Pending,
    /// Its submission may or may not have reached Segmind.
    Unresolved,
    /// Not submitted: the budget would be passed.
    OverBudget,
    /// Not submitted: the run was stopped.
    NotRun,
}

/// What a run tells its caller as it goes (to render progress).
pub trait Report: Send + Sync {
    /// A request (or a job of a request no longer given) ended.
    fn ended(&self, id: &str, outcome: Outcome, detail: &str);
    /// Something worth a line.
    fn note(&self, text: &str);
    /// A request started (`1`) or stopped (`-1`) talking to Segmind.
    fn in_flight(&self, _delta: i64) {}
    /// What the requests not yet submitted may cost.
    fn estimate(&self, _lines_left: Usd) {}
    /// The account's credits when the run started.
    fn credits(&self, _at_start: Usd) {}
}

/// How many requests ended each way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Saved in this run.
    pub done: u64,
    /// Saved by an earlier run.
    pub already_done: u64,
    /// Failed for good.
    pub failed: u64,
    /// Jobs not finished here (a rerun resumes them).
    pub pending: u64,
    /// Submissions that may or may not have reached Segmind.
    pub unresolved: u64,
    /// Not submitted: over the budget.
    pub over_budget: u64,
    /// Not submitted: the run was stopped.
    pub not_run: u64,
    /// Jobs found in the request history.
    pub reconciled: u64,
}

impl Tally {
    /// Requests not done.
    pub fn open(&self) -> u64 {
        self.failed + self.pending + self.unresolved + self.not_run + self.over_budget
    }
}

/// Why a run stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// [`Runner::interrupt`]: every wait ended.
    Interrupted,
    /// An answer that will be the same for every request, or a ledger that
    /// cannot be written: no new submission; paid jobs were still followed.
    Fatal(String),
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// How many ended each way.
    pub tally: Tally,
    /// Why it stopped early, if it did.
    pub stop: Option<Stop>,
    /// Why the credit check refused new submissions, if it did.
    pub refused: Option<String>,
    /// The ledger's money at the end.
    pub money: Money,
}

/// Runs batches; cheap to clone (clones share the run, so one can
/// [`interrupt`](Self::interrupt) it).
#[derive(Clone)]
pub struct Runner {
    batch: Arc<Batch>,
}

/// What every task of a run shares.
struct Batch {
    client: Client,
    pacer: Option<Pacer>,
    ledger: Arc<Ledger>,
    progress: Progress,
    out_dir: PathBuf,
    wait: WaitOptions,
    /// The run's requests: their keys and endpoints, in order.
    entries: Vec<Entry>,
    /// Where each key is in `entries`.
    index: Positions,
    /// The requests themselves, read as they are submitted.
    source: Arc<dyn Source>,
    /// Local images uploaded in this run, by path: each is uploaded once.
    uploads: uploads::Uploads,
    stop: watch::Sender<Option<Stop>>,
    downloads: Semaphore,
    waiting: Semaphore,
    grace: Duration,
    resubmit_unresolved: bool,
    concurrency: usize,
    credit_check: bool,
}

/// One request of a run, as the run keeps it: its key and endpoint (the
/// request itself stays with the [`Source`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The ledger's key: the caller's name and the request's fingerprint.
    pub key: Key,
    /// The endpoint.
    pub endpoint: Slug,
}

impl Entry {
    /// The entry of `request` named `id` (reads its local images, which
    /// count by their content).
    pub fn of(id: impl Into<Arc<str>>, request: &AnyRequest) -> std::io::Result<Self> {
        Ok(Self {
            key: Key::new(id, Fingerprint::of_request(request)?),
            endpoint: Slug::of(request.info().slug),
        })
    }
}

/// Where a run reads its requests, in order, as it submits them: a batch
/// of a million lines need not hold a million requests.
pub trait Source: Send + Sync {
    /// The requests at `indexes` (ascending positions in the run's
    /// entries), in that order; why, for one that cannot be read any more.
    fn requests<'a>(
        &'a self,
        indexes: &'a [usize],
    ) -> Box<dyn Iterator<Item = (usize, Result<AnyRequest, String>)> + Send + 'a>;
}

/// Requests held in memory.
struct Held(Vec<AnyRequest>);

impl Source for Held {
    fn requests<'a>(
        &'a self,
        indexes: &'a [usize],
    ) -> Box<dyn Iterator<Item = (usize, Result<AnyRequest, String>)> + Send + 'a> {
        // The contract a file-backed source relies on, held in the tests.
        debug_assert!(indexes.is_sorted(), "unordered indexes {indexes:?}");
        Box::new(indexes.iter().map(|&i| {
            let request = self
                .0
                .get(i)
                .cloned()
                .ok_or_else(|| format!("no request {i}"));
            (i, request)
        }))
    }
}

/// Counts what ended and passes everything on to the caller's report.
struct Progress {
    report: Arc<dyn Report>,
    tally: Counters,
    estimate: AtomicU64,
}

#[derive(Default)]
struct Counters {
    done: AtomicU64,
    already_done: AtomicU64,
    failed: AtomicU64,
    pending: AtomicU64,
    unresolved: AtomicU64,
    over_budget: AtomicU64,
    not_run: AtomicU64,
    reconciled: AtomicU64,
}

impl Progress {
    fn ended(&self, id: &str, outcome: Outcome, detail: &str) {
        let c = &self.tally;
        let counter = match outcome {
            Outcome::Done => &c.done,
            Outcome::AlreadyDone => &c.already_done,
            Outcome::Failed => &c.failed,
            Outcome::Pending => &c.pending,
            Outcome::Unresolved => &c.unresolved,
            Outcome::OverBudget => &c.over_budget,
            Outcome::NotRun => &c.not_run,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.report.ended(id, outcome, detail);
    }

    fn note(&self, text: &str) {
        self.report.note(text);
    }

    fn in_flight(&self, delta: i64) {
        self.report.in_flight(delta);
    }

    fn reconciled(&self) {
        self.tally.reconciled.fetch_add(1, Ordering::Relaxed);
    }

    fn set_estimate(&self, estimate: Usd) {
        self.estimate.store(estimate.micros(), Ordering::Relaxed);
        self.report.estimate(estimate);
    }

    /// A request left the ones the estimate is about.
    fn lines_left_less(&self, amount: Usd) {
        let before = self
            .estimate
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |e| {
                Some(e.saturating_sub(amount.micros()))
            })
            .unwrap_or(0);
        self.report
            .estimate(Usd::from_micros(before.saturating_sub(amount.micros())));
    }

    fn tally(&self) -> Tally {
        let c = &self.tally;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Tally {
            done: get(&c.done),
            already_done: get(&c.already_done),
            failed: get(&c.failed),
            pending: get(&c.pending),
            unresolved: get(&c.unresolved),
            over_budget: get(&c.over_budget),
            not_run: get(&c.not_run),
            reconciled: get(&c.reconciled),
        }
    }
}

impl Runner {
    /// A run of `items` with `client` (whose pacer, if it has one, is
    /// `pacer`: an interruption stops it), recorded in `ledger`. Reads the
    /// items' local images (they count by their content): an image that
    /// cannot be read is refused here, and so are two items of one id (each
    /// id names one image; nothing is sent).
    pub fn new(
        client: Client,
        pacer: Option<Pacer>,
        ledger: Arc<Ledger>,
        settings: Settings,
        report: Arc<dyn Report>,
        items: Vec<Item>,
    ) -> std::io::Result<Self> {
        let mut seen = HashMap::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            if let Some(first) = seen.insert(item.id.as_str(), i) {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!(
                        "items {} and {} share the id `{}`",
                        first + 1,
                        i + 1,
                        item.id
                    ),
                ));
            }
        }
        drop(seen);
        let entries = items
            .iter()
            .map(|item| Entry::of(item.id.as_str(), &item.request))
            .collect::<std::io::Result<Vec<_>>>()?;
        let held = Held(items.into_iter().map(|item| item.request).collect());
        Ok(Self::streaming(
            client,
            pacer,
            ledger,
            settings,
            report,
            entries,
            Arc::new(held),
        ))
    }

    /// A run of the requests `source` reads, whose keys and endpoints are
    /// `entries` (in the same order): what a batch too long to hold in
    /// memory runs. A request read back that no longer matches its key (its
    /// source changed) is not sent. Each entry's line must be its own (as
    /// [`Runner::new`] checks): two of one line share one image.
    pub fn streaming(
        client: Client,
        pacer: Option<Pacer>,
        ledger: Arc<Ledger>,
        settings: Settings,
        report: Arc<dyn Report>,
        entries: Vec<Entry>,
        source: Arc<dyn Source>,
    ) -> Self {
        let index = Positions::new(&entries);
        let (stop, _) = watch::channel(None);
        Self {
            batch: Arc::new(Batch {
                client,
                pacer,
                ledger,
                progress: Progress {
                    report,
                    tally: Counters::default(),
                    estimate: AtomicU64::new(0),
                },
                out_dir: settings.out_dir,
                wait: settings.wait,
                entries,
                index,
                source,
                uploads: Mutex::new(HashMap::new()),
                stop,
                downloads: Semaphore::new(settings.downloads.max(1)),
                waiting: Semaphore::new(settings.max_waiting.max(1)),
                grace: settings.history_grace,
                resubmit_unresolved: settings.resubmit_unresolved,
                concurrency: settings.concurrency.max(1),
                credit_check: settings.credit_check,
            }),
        }
    }

    /// How many requests and jobs the run will report (the items, and the
    /// jobs of requests the ledger has that are no longer among them).
    pub fn total(&self) -> usize {
        let batch = &self.batch;
        let orphans = batch.ledger.with_book(|book| {
            Plan::new(book, &batch.entries, &batch.index, &batch.out_dir).orphans
        });
        batch.entries.len() + orphans
    }

    /// Stops the run: no new submission, every wait ends; the run returns
    /// within a second.
    pub fn interrupt(&self) {
        self.batch.halt(Stop::Interrupted);
    }

    /// Runs the batch to its end.
    pub async fn run(&self) -> Summary {
        let batch = &self.batch;
        let plan = batch
            .ledger
            .with_book(|book| Plan::new(book, &batch.entries, &batch.index, &batch.out_dir));
        batch.warn_identical();
        for &i in &plan.done {
            batch
                .progress
                .ended(&batch.entries[i].key.line, Outcome::AlreadyDone, "");
        }
        for (i, file) in &plan.restore {
            let key = &batch.entries[*i].key;
            let restored = names::restore(&batch.ledger, &batch.out_dir, key, &key.line, file);
            match restored {
                Ok(note) => {
                    batch.progress.note(&note);
                    batch.progress.ended(&key.line, Outcome::AlreadyDone, "");
                }
                Err(why) => batch.progress.ended(&key.line, Outcome::AlreadyDone, &why),
            }
        }
        for (i, job_id, error) in &plan.lost {
            batch.progress.ended(
                &batch.entries[*i].key.line,
                Outcome::Failed,
                &lost_advice(job_id, error),
            );
        }
        for note in &plan.notes {
            batch.progress.note(note);
        }

        // Jobs already paid for are followed first, whatever comes next.
        let mut tasks = JoinSet::new();
        for item in plan.follow {
            follow::spawn(batch, &mut tasks, item);
        }

        // Attempts earlier runs left unanswered: the request history decides.
        let mut pending = batch.ledger.dangling(&|key| batch.body_of(key));
        let mut asked: HashSet<(Key, At)> = pending
            .iter()
            .map(|a| (a.key.clone(), a.first_sent))
            .collect();
        let settled = settle::round(batch, &mut tasks, &mut pending).await;
        let mut to_submit = plan.submit;
        to_submit.extend(settled);
        to_submit.sort_unstable();

        // The credit check, before anything new is submitted.
        let estimate: Usd = to_submit
            .iter()
            .map(|&i| batch.ledger.reservation(&batch.entries[i].endpoint))
            .sum();
        batch.progress.set_estimate(estimate);
        let committed = batch
            .ledger
            .money()
            .room()
            .map_or(estimate, |room| estimate.min(room));
        let refused = if !batch.credit_check || to_submit.is_empty() || batch.stopped().is_some() {
            None
        } else {
            batch.check_credits(committed).await.err()
        };
        if refused.is_none() {
            submit::run(batch, &mut tasks, to_submit).await;
        } else {
            for &i in &to_submit {
                batch.progress.ended(
                    &batch.entries[i].key.line,
                    Outcome::NotRun,
                    "the credit check refused new submissions",
                );
            }
        }
        batch.join(&mut tasks).await;

        // This run's unanswered submissions: the history decides, after its grace.
        for _ in 0..ROUNDS {
            batch.newly_dangling(&mut pending, &mut asked);
            if pending.is_empty() || batch.interrupted() {
                break;
            }
            let until = pending
                .iter()
                .map(|a| a.reach_by.plus(batch.grace))
                .max()
                .unwrap_or_default();
            let wait = until.since(At::now());
            if batch
                .unless_interrupted(tokio::time::sleep(wait))
                .await
                .is_none()
            {
                break;
            }
            let resubmit = settle::round(batch, &mut tasks, &mut pending).await;
            if !resubmit.is_empty() && batch.stopped().is_none() {
                submit::run(batch, &mut tasks, resubmit).await;
            } else {
                for i in resubmit {
                    batch
                        .progress
                        .ended(&batch.entries[i].key.line, Outcome::NotRun, "");
                }
            }
            batch.join(&mut tasks).await;
        }
        batch.newly_dangling(&mut pending, &mut asked);
        for attempt in pending {
            batch.progress.ended(
                &batch.label_of(&attempt.key),
                Outcome::Unresolved,
                "its submission may have reached Segmind; a rerun looks it up in the request \
                 history",
            );
        }
        Summary {
            tally: batch.progress.tally(),
            stop: batch.stopped(),
            refused,
            money: batch.ledger.money(),
        }
    }
}

/// What a run would do now, with nothing sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preview {
    /// Requests done by an earlier run, their images in place.
    pub done: usize,
    /// Done requests whose image is elsewhere (moved back first) or gone
    /// (fetched again).
    pub images_to_mend: usize,
    /// Jobs Segmind has, to follow (the run's own and of requests no longer
    /// given).
    pub follow: usize,
    /// Attempts the request history must decide.
    pub ask_history: usize,
    /// Requests to submit.
    pub submit: usize,
    /// Billed requests whose images are gone.
    pub lost: usize,
    /// What the requests to submit may cost (each one's reservation).
    pub estimate: Usd,
    /// The ledger's money now.
    pub money: Money,
}

/// What a run of `entries` into `out_dir` would do now, from the ledger's
/// states alone: nothing is sent, nothing recorded.
pub fn preview(ledger: &Ledger, entries: &[Entry], out_dir: &std::path::Path) -> Preview {
    let index = Positions::new(entries);
    let (plan, dangling) = ledger.with_book(|book| {
        let dangling = book.iter().filter(|(_, s)| s.is_dangling()).count();
        (Plan::new(book, entries, &index, out_dir), dangling)
    });
    let refetch = plan
        .follow
        .iter()
        .filter(|f| f.kind == plan::Kind::Refetch)
        .count();
    Preview {
        done: plan.done.len(),
        images_to_mend: plan.restore.len() + refetch,
        follow: plan.follow.len() - refetch,
        ask_history: dangling,
        submit: plan.submit.len(),
        lost: plan.lost.len(),
        estimate: plan
            .submit
            .iter()
            .map(|&i| ledger.reservation(&entries[i].endpoint))
            .sum(),
        money: ledger.money(),
    }
}

fn lost_advice(job_id: &str, error: &str) -> String {
    format!(
        "job {job_id} was billed but its image can no longer be fetched ({error}); \
         to generate it again, give the request a new id"
    )
}

/// Whose image a follow saves, for the report.
fn label(follow: &Follow) -> String {
    follow.label().to_owned()
}

impl Batch {
    fn stopped(&self) -> Option<Stop> {
        self.stop.borrow().clone()
    }

    fn interrupted(&self) -> bool {
        self.stopped() == Some(Stop::Interrupted)
    }

    /// Stops the run: no new submission (a queued one is not sent); on an
    /// interruption every wait ends too. The first reason wins, but an
    /// interruption after a fatal stop still ends every wait.
    fn halt(&self, why: Stop) {
        let interrupt = why == Stop::Interrupted;
        self.stop.send_if_modified(|stop| match stop {
            None => {
                *stop = Some(why);
                true
            }
            Some(Stop::Fatal(_)) if interrupt => {
                *stop = Some(Stop::Interrupted);
                true
            }
            Some(_) => false,
        });
        if interrupt && let Some(pacer) = &self.pacer {
            pacer.stop();
        }
    }

    /// Stops new submissions because the ledger cannot be written; `then`
    /// says what that means (or which paid job the user must fetch).
    fn ledger_broke(&self, error: &dyn std::fmt::Display, then: &str) {
        self.halt(Stop::Fatal(format!(
            "cannot write the ledger {}: {error}; {then}",
            self.ledger.location()
        )));
    }

    /// How long one operation may take, all its attempts included: the
    /// client's request timeout (one attempt's), so that an operation that
    /// is repeated does not wait that long again and again.
    fn deadline(&self) -> Duration {
        self.client.request_timeout().unwrap_or(DEADLINE)
    }

    /// Names identical requests before anything is sent: each is paid for.
    /// (Sorted pairs rather than a map of lists: 16 bytes a line, once.)
    fn warn_identical(&self) {
        let mut by_request: Vec<(Fingerprint, usize)> = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.key.fingerprint, i))
            .collect();
        by_request.sort_unstable();
        let mut groups: Vec<Vec<&str>> = by_request
            .chunk_by(|a, b| a.0 == b.0)
            .filter(|run| run.len() > 1)
            .map(|run| {
                run.iter()
                    .map(|&(_, i)| &*self.entries[i].key.line)
                    .collect()
            })
            .collect();
        groups.sort();
        for ids in groups {
            self.progress.note(&format!(
                "{} send the same request to the same endpoint: each is paid for",
                ids.join(", ")
            ));
        }
    }

    /// Adds to `pending` the attempts not yet asked about (this run's
    /// submissions answered with no job id).
    fn newly_dangling(&self, pending: &mut Vec<Attempt>, asked: &mut HashSet<(Key, At)>) {
        for attempt in self.ledger.dangling(&|key| self.body_of(key)) {
            if asked.insert((attempt.key.clone(), attempt.first_sent)) {
                pending.push(attempt);
            }
        }
    }

    /// `work`'s output, unless the run is stopped (for any reason) first.
    async fn unless_stopped<T>(&self, work: impl std::future::Future<Output = T>) -> Option<T> {
        let mut stop = self.stop.subscribe();
        tokio::select! {
            done = work => Some(done),
            _ = stop.wait_for(Option::is_some) => None,
        }
    }

    /// `work`'s output, unless the run is interrupted first.
    async fn unless_interrupted<T>(&self, work: impl std::future::Future<Output = T>) -> Option<T> {
        let mut stop = self.stop.subscribe();
        tokio::select! {
            done = work => Some(done),
            _ = stop.wait_for(|s| *s == Some(Stop::Interrupted)) => None,
        }
    }

    /// The body of `key` when the ledger did not record it (a journal
    /// migrated from the earlier format): the item's, if it is one (and
    /// holds no local image, which a journal of that format cannot have).
    fn body_of(&self, key: &Key) -> Option<Value> {
        let i = self.index.get(&self.entries, key)?;
        let (_, request) = self.source.requests(&[i]).next()?;
        let request = request.ok()?;
        if request
            .images()
            .iter()
            .any(|image| image.as_url().is_none())
        {
            return None;
        }
        serde_json::to_value(request).ok()
    }

    /// The name a key is reported by.
    fn label_of(&self, key: &Key) -> String {
        match self.index.get(&self.entries, key) {
            Some(_) => key.line.to_string(),
            None => names::earlier_stem(key),
        }
    }

    /// Waits for every task; after an interruption, gives them
    /// [`STOP_GRACE`] to be answered and recorded.
    async fn join(&self, tasks: &mut JoinSet<()>) {
        let mut stop = self.stop.subscribe();
        loop {
            tokio::select! {
                next = tasks.join_next() => if next.is_none() { return },
                _ = stop.wait_for(|s| *s == Some(Stop::Interrupted)) => break,
            }
        }
        let deadline = tokio::time::Instant::now() + STOP_GRACE;
        while tokio::time::timeout_at(deadline, tasks.join_next())
            .await
            .is_ok_and(|next| next.is_some())
        {}
        tasks.abort_all();
    }

    /// Refuses new submissions when what the run may commit is more than
    /// the account's credits.
    async fn check_credits(&self, committed: Usd) -> Result<(), String> {
        let credits = tokio::time::timeout(self.deadline(), self.client.credits());
        match self.unless_interrupted(credits).await {
            None => Ok(()),
            Some(Err(_)) => {
                self.progress.note(&format!(
                    "the account's credits were not read within {}; going on without the \
                     credit check",
                    humantime::format_duration(self.deadline())
                ));
                Ok(())
            }
            Some(Ok(Ok(credits))) if credits.stated_total().is_none() => {
                self.progress.note(
                    "the account's credits answer holds no credits; going on without the credit check",
                );
                Ok(())
            }
            Some(Ok(Ok(credits))) => {
                let read = |c: Option<f64>| c.and_then(Usd::from_dollars).unwrap_or_default();
                let available = read(credits.credits) + read(credits.free_credits);
                self.progress.report.credits(available);
                if committed > available {
                    return Err(format!(
                        "the batch's estimated cost {committed} is more than the account's \
                         {available} of credits; nothing new was submitted"
                    ));
                }
                Ok(())
            }
            Some(Ok(Err(e))) if stops_submissions(&e) => {
                self.halt(Stop::Fatal(e.to_string()));
                Ok(())
            }
            Some(Ok(Err(e))) => {
                self.progress.note(&format!(
                    "could not read the account's credits ({e}); going on without the credit check"
                ));
                Ok(())
            }
        }
    }
}
