//! The ledger: the book of states behind a lock, its store, and the calls
//! that move money. Every change is one event: applied to a copy of the
//! key's state, appended to the store (durably when it must be), then
//! kept. An event the store cannot take changes nothing.

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use segmind_ideogram::{AnyRequest, Client, Error, Job};
use serde_json::Value;
use tokio::sync::Notify;

use crate::book::Book;
use crate::budget::{self, Budget, Hold};
use crate::event::{At, Event};
use crate::history;
use crate::key::{Fingerprint, Key};
use crate::outcome::{Billing, billing};
use crate::reconcile::{self, Attempt, Verdict};
use crate::state::{LineState, Phase, Refusal};
use crate::store::{JsonlStore, Repairs, Store, StoreError};
use crate::usd::Usd;

/// What went wrong in the ledger itself.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The store could not be read or written: what was not recorded did
    /// not happen (nothing was sent for it).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The event is not possible in the key's state.
    #[error("{key}: {refusal}")]
    Refused {
        /// The request it is about.
        key: Key,
        /// Why.
        refusal: Refusal,
    },
    /// The budget does not let the submission start now.
    #[error("{key}: {hold}")]
    Hold {
        /// The request it is about.
        key: Key,
        /// Why it must wait.
        hold: Hold,
    },
    /// The request could not be turned into the body to send.
    #[error("{key}: {message}")]
    Body {
        /// The request it is about.
        key: Key,
        /// What went wrong.
        message: String,
    },
}

/// The money at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Money {
    /// Spent: jobs done or lost, attempts given up on.
    pub spent: Usd,
    /// Held for attempts and jobs not yet ended.
    pub reserved: Usd,
    /// The budget, if any.
    pub max: Option<Usd>,
}

impl Money {
    /// What the budget still allows (`None` without one).
    pub fn room(&self) -> Option<Usd> {
        self.max
            .map(|max| max.saturating_sub(self.spent + self.reserved))
    }
}

/// A submission's reservation, taken and recorded: [`Ledger::submit`]
/// sends it.
#[derive(Debug)]
#[must_use = "a ticket holds money until it is submitted or released"]
pub struct Ticket {
    key: Key,
    request: AnyRequest,
    reserved: Usd,
}

impl Ticket {
    /// The key it is for.
    pub fn key(&self) -> &Key {
        &self.key
    }

    /// What it reserved.
    pub fn reserved(&self) -> Usd {
        self.reserved
    }
}

/// How a submission ended.
#[derive(Debug)]
pub enum Submission {
    /// Segmind has the job (recorded): follow it; it is never submitted again.
    Accepted(Job),
    /// Certainly not billed (recorded): the reservation went back; the key
    /// may be submitted again.
    NotSent(Error),
    /// It may have reached Segmind (recorded as uncertain): only the
    /// request history can tell, after its grace ([`Ledger::reconcile`]).
    Uncertain(Error),
    /// The ledger could not record what happened. When the POST may have
    /// been sent, the job id (if Segmind gave one) is here so it is not
    /// lost: tell the user.
    Unrecorded {
        /// What went wrong.
        error: LedgerError,
        /// Segmind's id of the job.
        job_id: Option<String>,
    },
}

/// A durable record of every paid request: see the crate's documentation.
pub struct Ledger {
    inner: Mutex<Inner>,
    budget: Budget,
    /// Wakes waits for a budget hold to clear.
    changed: Notify,
    /// When this ledger was opened: attempts of earlier processes could
    /// not reach Segmind after it.
    opened: At,
    location: String,
}

struct Inner {
    book: Book,
    store: Box<dyn Store>,
    repairs: Repairs,
    /// Keys with a submission running in this process.
    live: HashSet<Key>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("location", &self.location)
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}

impl Ledger {
    /// Opens the ledger kept in `store`, replaying every event it holds.
    pub fn open(mut store: impl Store + 'static, budget: Budget) -> Result<Self, LedgerError> {
        let mut book = Book::default();
        store.replay(&mut |event| {
            let _ = book.apply(&event);
        })?;
        let repairs = store.repairs();
        let location = store.location();
        Ok(Self {
            inner: Mutex::new(Inner {
                book,
                store: Box::new(store),
                repairs,
                live: HashSet::new(),
            }),
            budget,
            changed: Notify::new(),
            opened: At::now(),
            location,
        })
    }

    /// Opens (or creates) the ledger in the JSON Lines file at `path`.
    pub fn open_file(path: impl AsRef<Path>, budget: Budget) -> Result<Self, LedgerError> {
        Self::open(JsonlStore::open(path)?, budget)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Where the ledger is kept.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// What opening the store mended.
    pub fn repairs(&self) -> Repairs {
        self.lock().repairs.clone()
    }

    /// The budget.
    pub fn budget(&self) -> Budget {
        self.budget
    }

    /// Spent, reserved and the budget.
    pub fn money(&self) -> Money {
        let inner = self.lock();
        Money {
            spent: inner.book.spent(),
            reserved: inner.book.reserved(),
            max: self.budget.max,
        }
    }

    /// The state of `key`, if the ledger has one.
    pub fn state(&self, key: &Key) -> Option<LineState> {
        self.lock().book.get(key).cloned()
    }

    /// Reads the book (every state, the money, the claimed jobs) under the
    /// ledger's lock; keep `f` short.
    pub fn with_book<R>(&self, f: impl FnOnce(&Book) -> R) -> R {
        f(&self.lock().book)
    }

    /// What a submission to `endpoint` reserves now.
    pub fn reservation(&self, endpoint: &str) -> Usd {
        budget::reservation(&self.lock().book, endpoint)
    }

    /// The key of `line` with `request`: its fingerprint is taken from the
    /// endpoint and the body as sent (a local image counts by its content,
    /// which is read).
    pub fn key(line: impl Into<Arc<str>>, request: &AnyRequest) -> std::io::Result<Key> {
        Ok(Key::new(line, Fingerprint::of_request(request)?))
    }

    /// Applies `event` and appends it: both or neither.
    pub fn record(&self, event: Event) -> Result<(), LedgerError> {
        let mut inner = self.lock();
        Self::record_locked(&mut inner, &event)?;
        drop(inner);
        self.changed.notify_waiters();
        Ok(())
    }

    fn record_locked(inner: &mut Inner, event: &Event) -> Result<(), LedgerError> {
        let key = event.key();
        // Checked on a copy first: a refused event is never stored.
        let mut copy = inner.book.get(key).cloned().unwrap_or_default();
        crate::state::apply(&mut copy, event).map_err(|refusal| LedgerError::Refused {
            key: key.clone(),
            refusal,
        })?;
        inner.store.append(event)?;
        inner
            .book
            .apply(event)
            .map_err(|refusal| LedgerError::Refused {
                key: key.clone(),
                refusal,
            })
    }

    /// Reserves a submission of `request` for `key` and records the intent
    /// (with the body as it will be sent), if the budget lets it start now.
    /// Refused while an earlier attempt of the key is unresolved, its job
    /// is followed, or it is done.
    pub fn begin(&self, key: Key, request: &AnyRequest) -> Result<Ticket, LedgerError> {
        let endpoint = request.info().slug;
        let body = serde_json::to_value(request).map_err(|e| LedgerError::Body {
            key: key.clone(),
            message: e.to_string(),
        })?;
        let mut inner = self.lock();
        let reserved =
            self.budget
                .admit(&inner.book, endpoint)
                .map_err(|hold| LedgerError::Hold {
                    key: key.clone(),
                    hold,
                })?;
        let event = Event::Intent {
            key: key.clone(),
            endpoint: endpoint.to_owned(),
            body,
            reserved,
            at: At::now(),
        };
        Self::record_locked(&mut inner, &event)?;
        Ok(Ticket {
            key,
            request: request.clone(),
            reserved,
        })
    }

    /// [`begin`](Self::begin), waiting while the budget holds the
    /// submission until another job of its endpoint ends (its cost is not
    /// known yet). Other refusals are returned at once.
    pub async fn begin_when_allowed(
        &self,
        key: Key,
        request: &AnyRequest,
    ) -> Result<Ticket, LedgerError> {
        loop {
            let changed = self.changed.notified();
            match self.begin(key.clone(), request) {
                Err(LedgerError::Hold {
                    hold: Hold::AwaitingCost { .. },
                    ..
                }) => changed.await,
                other => return other,
            }
        }
    }

    /// Gives a ticket's reservation back without sending anything.
    pub fn release(&self, ticket: Ticket, reason: &str) -> Result<(), LedgerError> {
        self.record(Event::NotSent {
            key: ticket.key,
            reason: reason.to_owned(),
        })
    }

    /// Sends a ticket's request to Segmind's queue. Right before each
    /// attempt of the POST a `sending` event is recorded durably; then the
    /// job id, or that nothing was billed, or that only the history can
    /// tell.
    ///
    /// # Cancellation
    ///
    /// Dropping the returned future is safe for the money: dropped before
    /// an attempt was sent, the reservation goes back (`not_sent`); after,
    /// the attempt is recorded `uncertain` (the dropped connection cannot
    /// reach Segmind later), and [`reconcile`](Self::reconcile) finds its
    /// job in the request history or proves it absent. Until then the key
    /// cannot be submitted again.
    pub async fn submit(&self, client: &Client, ticket: Ticket) -> Submission {
        self.submit_unless(client, ticket, &|| false).await
    }

    /// [`submit`](Self::submit), but no attempt is sent once `stopped`
    /// says so (it is asked right before each attempt, after the pacer's
    /// turn): the submission then ends [`Submission::NotSent`] with
    /// [`Error::Interrupted`], its reservation back. How a caller stops
    /// queued submissions at once (a fatal answer, Ctrl-C) without
    /// touching the ones already sent.
    pub async fn submit_unless(
        &self,
        client: &Client,
        ticket: Ticket,
        stopped: &(dyn Fn() -> bool + Send + Sync),
    ) -> Submission {
        let Ticket { key, request, .. } = ticket;
        let timeout = client.request_timeout();
        self.lock().live.insert(key.clone());
        let mut guard = InFlight {
            ledger: self,
            key: &key,
            sent: AtomicBool::new(false),
            settled: false,
        };
        let gated = AtomicBool::new(false);
        let hook = || {
            if stopped() {
                gated.store(true, Ordering::SeqCst);
                return Err(std::io::Error::new(
                    std::io::ErrorKind::Interrupted,
                    "stopped before it was sent",
                ));
            }
            let at = At::now();
            let event = Event::Sending {
                key: key.clone(),
                at,
                until: timeout.map(|t| at.plus(t)),
            };
            self.record(event).map_err(std::io::Error::other)?;
            guard.sent.store(true, Ordering::SeqCst);
            Ok(())
        };
        let submitted = client.submit_any_with_hook(&request, &hook).await;
        guard.settled = true;
        self.lock().live.remove(&key);
        match submitted {
            Ok(job) => {
                let event = Event::Accepted {
                    key: key.clone(),
                    job_id: job.request_id().to_owned(),
                    reconciled: false,
                };
                match self.record(event) {
                    Ok(()) => Submission::Accepted(job),
                    Err(error) => Submission::Unrecorded {
                        error,
                        job_id: Some(job.request_id().to_owned()),
                    },
                }
            }
            Err(Error::BeforeSend(_)) if gated.load(Ordering::SeqCst) => {
                // Stopped before the first attempt, or before repeating one
                // the client repeats only when it certainly created no job
                // (a refused connection, a 429).
                let _ = self.record(Event::NotSent {
                    key: key.clone(),
                    reason: "stopped before it was sent".into(),
                });
                Submission::NotSent(Error::Interrupted)
            }
            Err(Error::BeforeSend(source)) => {
                // The ledger could not record the attempt: it was not sent.
                let _ = self.record(Event::NotSent {
                    key: key.clone(),
                    reason: format!("the ledger could not record the attempt: {source}"),
                });
                Submission::Unrecorded {
                    error: LedgerError::Store(StoreError::io(self.location.clone(), source)),
                    job_id: None,
                }
            }
            Err(error) => {
                let sent = guard.sent.load(Ordering::SeqCst);
                let event = match billing(&error) {
                    Billing::NotBilled => Event::NotSent {
                        key: key.clone(),
                        reason: error.to_string(),
                    },
                    Billing::Unknown if !sent => Event::NotSent {
                        key: key.clone(),
                        reason: error.to_string(),
                    },
                    Billing::Unknown => Event::Uncertain {
                        key: key.clone(),
                        reason: error.to_string(),
                        at: At::now(),
                    },
                };
                let uncertain = matches!(event, Event::Uncertain { .. });
                match self.record(event) {
                    Err(ledger) if uncertain => Submission::Unrecorded {
                        error: ledger,
                        job_id: None,
                    },
                    _ if uncertain => Submission::Uncertain(error),
                    _ => Submission::NotSent(error),
                }
            }
        }
    }

    /// Records that `key`'s job ended done: its image is stored at `file`
    /// (synced, or wherever the caller keeps it). The cost is what Segmind
    /// reported, or the reservation when it reported none; returned.
    pub fn done(
        &self,
        key: &Key,
        job_id: &str,
        reported_cost: Option<f64>,
        file: &str,
        output_url: Option<&str>,
    ) -> Result<Usd, LedgerError> {
        let reported = reported_cost.and_then(Usd::from_dollars);
        let mut inner = self.lock();
        let cost = match (reported, inner.book.get(key).map(|s| &s.phase)) {
            (Some(cost), _) => cost,
            (None, Some(Phase::Done { cost, .. } | Phase::Lost { cost, .. })) => *cost,
            (None, Some(state)) => match state {
                Phase::Accepted { reserved, .. } => *reserved,
                _ => Usd::ZERO,
            },
            (None, None) => Usd::ZERO,
        };
        let event = Event::Done {
            key: key.clone(),
            job_id: job_id.to_owned(),
            cost,
            reported: reported.is_some(),
            file: file.to_owned(),
            output_url: output_url.map(str::to_owned),
        };
        Self::record_locked(&mut inner, &event)?;
        drop(inner);
        self.changed.notify_waiters();
        Ok(cost)
    }

    /// Records that `key`'s job is billed but its image can no longer be
    /// fetched. Its cost is what the history reported, or the reservation.
    pub fn lost(
        &self,
        key: &Key,
        job_id: &str,
        error: &str,
        reported_cost: Option<f64>,
    ) -> Result<Usd, LedgerError> {
        let mut inner = self.lock();
        let reserved = inner.book.get(key).map_or(Usd::ZERO, LineState::reserved);
        let cost = reported_cost
            .and_then(Usd::from_dollars)
            .unwrap_or(reserved);
        let event = Event::Lost {
            key: key.clone(),
            job_id: job_id.to_owned(),
            error: error.to_owned(),
            cost,
        };
        Self::record_locked(&mut inner, &event)?;
        drop(inner);
        self.changed.notify_waiters();
        Ok(cost)
    }

    /// Records that `key`'s job failed (not billed): the key may be
    /// submitted again.
    pub fn job_failed(&self, key: &Key, job_id: &str, error: &str) -> Result<(), LedgerError> {
        self.record(Event::JobFailed {
            key: key.clone(),
            job_id: job_id.to_owned(),
            error: error.to_owned(),
        })
    }

    /// Notes that following `key`'s job failed for now (a poll, the
    /// download, a full disk): it is followed again later.
    pub fn trouble(&self, key: &Key, job_id: &str, error: &str) -> Result<(), LedgerError> {
        self.record(Event::Trouble {
            key: key.clone(),
            job_id: job_id.to_owned(),
            error: error.to_owned(),
        })
    }

    /// Records that `key`'s stored image moved to `file`.
    pub fn moved(&self, key: &Key, file: &str) -> Result<(), LedgerError> {
        self.record(Event::Moved {
            key: key.clone(),
            file: file.to_owned(),
        })
    }

    /// Gives up on `key`'s unresolved attempt at the user's request: its
    /// reservation counts as spent (it may have been billed), and the key
    /// may be submitted again (which may pay twice).
    pub fn abandon(&self, key: &Key, reason: &str) -> Result<(), LedgerError> {
        self.record(Event::Abandoned {
            key: key.clone(),
            reason: reason.to_owned(),
        })
    }

    /// Every attempt whose fate only the request history can tell: sent
    /// with no answer recorded by an earlier process, or ended uncertain.
    /// Submissions running in this process are not among them. An attempt
    /// whose body was not recorded (a migrated journal) takes it from
    /// `body_of`, when that knows the key.
    pub fn dangling(&self, body_of: &dyn Fn(&Key) -> Option<Value>) -> Vec<Attempt> {
        let inner = self.lock();
        let mut attempts: Vec<Attempt> = inner
            .book
            .iter()
            .filter(|(key, _)| !inner.live.contains(*key))
            .filter_map(|(key, state)| {
                let (attempt, first_sent, reach_by) = match &state.phase {
                    Phase::Sending {
                        attempt,
                        first_sent,
                        last_sent,
                        until,
                    } => {
                        // An earlier process's attempt could not reach
                        // Segmind after it was given up, nor after that
                        // process ended (before this one opened the ledger).
                        let reach_by = until.unwrap_or(self.opened).min(self.opened);
                        (attempt, *first_sent, reach_by.max(*last_sent))
                    }
                    Phase::Uncertain {
                        attempt,
                        first_sent,
                        reach_by,
                        ..
                    } => (attempt, *first_sent, *reach_by),
                    _ => return None,
                };
                let body = if attempt.body.is_null() {
                    body_of(key).unwrap_or(Value::Null)
                } else {
                    attempt.body.clone()
                };
                Some(Attempt {
                    key: key.clone(),
                    endpoint: attempt.endpoint.to_string(),
                    body,
                    first_sent,
                    reach_by,
                })
            })
            .collect();
        attempts.sort_by(|a, b| (a.first_sent, &a.key).cmp(&(b.first_sent, &b.key)));
        attempts
    }

    /// Looks `attempts` up in Segmind's request history and records what
    /// it proves: a job found is followed from now on (`accepted`), an
    /// attempt proven absent may be submitted again (`not_sent`). Attempts
    /// sent less than `grace` ago, or whose fate cannot be told, are left
    /// as they are. Returns each attempt's verdict.
    pub async fn reconcile(
        &self,
        client: &Client,
        attempts: &[Attempt],
        grace: Duration,
    ) -> Result<Vec<(Key, Verdict)>, LedgerError> {
        if attempts.is_empty() {
            return Ok(Vec::new());
        }
        let evidence = history::read(client, attempts).await;
        let claimed = self.lock().book.claimed().clone();
        let verdicts = reconcile::decide(attempts, &evidence, &claimed, grace);
        let mut out = Vec::with_capacity(attempts.len());
        for (attempt, verdict) in attempts.iter().zip(verdicts) {
            let event = match &verdict {
                Verdict::Found { job_id } => Some(Event::Accepted {
                    key: attempt.key.clone(),
                    job_id: job_id.clone(),
                    reconciled: true,
                }),
                Verdict::Absent => Some(Event::NotSent {
                    key: attempt.key.clone(),
                    reason: "not in Segmind's request history".into(),
                }),
                Verdict::TooSoon | Verdict::Unknown { .. } => None,
            };
            if let Some(event) = event {
                // Another task may have resolved it meanwhile: skip it then.
                match self.record(event) {
                    Ok(()) | Err(LedgerError::Refused { .. }) => {}
                    Err(error) => return Err(error),
                }
            }
            out.push((attempt.key.clone(), verdict));
        }
        Ok(out)
    }
}

/// Records what became of a submission whose future was dropped.
struct InFlight<'a> {
    ledger: &'a Ledger,
    key: &'a Key,
    sent: AtomicBool,
    settled: bool,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        self.ledger.lock().live.remove(self.key);
        let key = self.key.clone();
        let event = if self.sent.load(Ordering::SeqCst) {
            Event::Uncertain {
                key,
                reason: "the submission was cancelled after it was sent".into(),
                at: At::now(),
            }
        } else {
            Event::NotSent {
                key,
                reason: "the submission was cancelled before it was sent".into(),
            }
        };
        // If this cannot be recorded, the state stays `sending` or
        // `intended`, which a later open reads the same safe way.
        let _ = self.ledger.record(event);
    }
}

/// Shares a ledger between tasks.
pub type SharedLedger = Arc<Ledger>;
