//! The state machine under any interleaving of events and crashes: a
//! driver that tries every step at random (submissions, answers, job ends,
//! reconciliation verdicts, give-ups) against a world whose prices may lie,
//! with the process killed at random points and the ledger reopened from
//! its file. After every step:
//!
//! - the replay of what was stored equals the live book;
//! - spent and reserved money equal the sums over the states;
//! - the budget is never passed by more than one job's real cost;
//! - no key is given a second intent while an attempt of it may have
//!   reached Segmind or its job is followed.

use std::collections::HashMap;

use proptest::prelude::*;
use segmind_ideogram_ledger::budget::{documented_price, reservation};
use segmind_ideogram_ledger::{
    At, Book, Budget, Event, Fingerprint, JsonlStore, Key, LineState, Phase, Store, Usd,
};
use serde_json::json;

const ENDPOINTS: [&str; 3] = [
    "ideogram-txt-2-img",
    "ideogram-img-2-img",
    "ideogram-3-reframe",
];

/// One thing the driver tries; each is valid or refused by the machine.
#[derive(Debug, Clone)]
enum Step {
    Begin(usize),
    Send(usize),
    Accept(usize),
    NotSent(usize),
    Uncertain(usize),
    Found(usize),
    Absent(usize),
    Done(usize),
    JobFailed(usize),
    Lost(usize),
    Abandon(usize),
    Move(usize),
    Crash,
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let key = 0usize..6;
    prop::collection::vec(
        prop_oneof![
            4 => key.clone().prop_map(Step::Begin),
            4 => key.clone().prop_map(Step::Send),
            3 => key.clone().prop_map(Step::Accept),
            1 => key.clone().prop_map(Step::NotSent),
            1 => key.clone().prop_map(Step::Uncertain),
            1 => key.clone().prop_map(Step::Found),
            1 => key.clone().prop_map(Step::Absent),
            3 => key.clone().prop_map(Step::Done),
            1 => key.clone().prop_map(Step::JobFailed),
            1 => key.clone().prop_map(Step::Lost),
            1 => key.clone().prop_map(Step::Abandon),
            1 => key.clone().prop_map(Step::Move),
            1 => Just(Step::Crash),
        ],
        1..120,
    )
}

/// What each endpoint really costs: a fixed price (which may be far above
/// the documented one), or anything up to the documented price.
#[derive(Debug, Clone)]
struct World {
    /// Per endpoint: `Some(price)` fixed, in micro-dollars; `None`: varies
    /// up to the documented price.
    prices: Vec<Option<u64>>,
    budget: u64,
    seed: u64,
}

fn worlds() -> impl Strategy<Value = World> {
    (
        prop::collection::vec(prop::option::of(1u64..2_000_000), 3),
        0u64..3_000_000,
        any::<u64>(),
    )
        .prop_map(|(prices, budget, seed)| World {
            prices,
            budget,
            seed,
        })
}

fn key(n: usize) -> Key {
    Key::new(
        format!("line-{n}"),
        Fingerprint::from_recorded(&format!("{n:016x}")),
    )
}

fn endpoint(n: usize) -> &'static str {
    ENDPOINTS[n % ENDPOINTS.len()]
}

struct Run {
    world: World,
    budget: Budget,
    book: Book,
    store: Option<JsonlStore>,
    path: std::path::PathBuf,
    log: Vec<Event>,
    jobs: u64,
    rng: u64,
    /// The most one job really cost so far.
    dearest: Usd,
    /// Keys with a job in flight, and which.
    now: At,
}

impl Run {
    fn random(&mut self, below: u64) -> u64 {
        self.rng = self
            .rng
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.rng >> 33) % below.max(1)
    }

    fn real_cost(&mut self, endpoint: &str) -> Usd {
        let i = ENDPOINTS.iter().position(|e| *e == endpoint).unwrap();
        let cost = match self.world.prices[i] {
            Some(fixed) => Usd::from_micros(fixed),
            None => {
                let top = documented_price(endpoint).unwrap_or(Usd::ZERO).micros();
                Usd::from_micros(self.random(top + 1))
            }
        };
        self.dearest = self.dearest.max(cost);
        cost
    }

    fn state(&self, n: usize) -> LineState {
        self.book.get(&key(n)).cloned().unwrap_or_default()
    }

    /// Applies and stores `event` when the machine takes it.
    fn record(&mut self, event: Event) {
        let mut copy = self.book.get(event.key()).cloned().unwrap_or_default();
        if segmind_ideogram_ledger::apply(&mut copy, &event).is_ok() {
            self.store.as_mut().unwrap().append(&event).unwrap();
            self.book.apply(&event).unwrap();
            self.log.push(event);
        }
    }

    fn step(&mut self, step: &Step) {
        self.now = At(self.now.0 + 1000);
        let at = self.now;
        match *step {
            Step::Begin(n) => {
                let state = self.state(n);
                let unresolved = matches!(
                    state.phase,
                    Phase::Sending { .. } | Phase::Uncertain { .. } | Phase::Accepted { .. }
                );
                let slug = endpoint(n);
                if let Ok(reserved) = self.budget.admit(&self.book, slug) {
                    let event = Event::Intent {
                        key: key(n),
                        endpoint: slug.into(),
                        body: json!({"prompt": n}),
                        reserved,
                        at,
                    };
                    let mut copy = state.clone();
                    let taken = segmind_ideogram_ledger::apply(&mut copy, &event).is_ok();
                    assert!(
                        !(taken && unresolved),
                        "a second intent for {n} while {:?}",
                        state.phase
                    );
                    self.record(event);
                }
            }
            Step::Send(n) => self.record(Event::Sending {
                key: key(n),
                at,
                until: Some(At(at.0 + 120_000)),
            }),
            Step::Accept(n) | Step::Found(n) => {
                self.jobs += 1;
                let job_id = format!("job-{}", self.jobs);
                self.record(Event::Accepted {
                    key: key(n),
                    job_id,
                    reconciled: matches!(step, Step::Found(_)),
                });
            }
            Step::NotSent(n) | Step::Absent(n) => self.record(Event::NotSent {
                key: key(n),
                reason: "refused".into(),
            }),
            Step::Uncertain(n) => self.record(Event::Uncertain {
                key: key(n),
                reason: "502".into(),
                at,
            }),
            Step::Done(n) => {
                let state = self.state(n);
                if let (Phase::Accepted { job_id, .. }, Some(slug)) =
                    (&state.phase, state.endpoint())
                {
                    let cost = self.real_cost(&slug);
                    let reported = self.random(4) > 0;
                    let cost = if reported { cost } else { state.reserved() };
                    self.record(Event::Done {
                        key: key(n),
                        job_id: job_id.to_string(),
                        cost,
                        reported,
                        file: format!("line-{n}.png"),
                        output_url: None,
                    });
                }
            }
            Step::JobFailed(n) => {
                if let Phase::Accepted { job_id, .. } = self.state(n).phase {
                    self.record(Event::JobFailed {
                        key: key(n),
                        job_id: job_id.to_string(),
                        error: "blocked".into(),
                    });
                }
            }
            Step::Lost(n) => {
                let state = self.state(n);
                if let (Phase::Accepted { job_id, .. }, Some(slug)) =
                    (&state.phase, state.endpoint())
                {
                    let cost = self.real_cost(&slug);
                    self.record(Event::Lost {
                        key: key(n),
                        job_id: job_id.to_string(),
                        error: "expired".into(),
                        cost,
                    });
                }
            }
            Step::Abandon(n) => self.record(Event::Abandoned {
                key: key(n),
                reason: "forced".into(),
            }),
            Step::Move(n) => self.record(Event::Moved {
                key: key(n),
                file: format!("line-{n}-moved.png"),
            }),
            Step::Crash => {
                // Killed: reopen the file and replay it.
                drop(self.store.take());
                let mut store = JsonlStore::open(&self.path).unwrap();
                let mut book = Book::default();
                store
                    .replay(&mut |e| {
                        let _ = book.apply(&e);
                    })
                    .unwrap();
                self.store = Some(store);
                self.book = book;
            }
        }
    }

    fn check(&self) {
        // Replay equals the live run.
        let replayed = Book::replay(&self.log);
        let states = |book: &Book| {
            let mut all: Vec<(Key, LineState)> =
                book.iter().map(|(k, s)| (k.clone(), s.clone())).collect();
            all.sort_by(|a, b| a.0.cmp(&b.0));
            all
        };
        assert_eq!(states(&replayed), states(&self.book));
        assert_eq!(replayed.spent(), self.book.spent());
        assert_eq!(replayed.reserved(), self.book.reserved());
        // Money is the sum over the states.
        let spent: Usd = self.book.iter().map(|(_, s)| s.spent()).sum();
        let reserved: Usd = self.book.iter().map(|(_, s)| s.reserved()).sum();
        assert_eq!((spent, reserved), (self.book.spent(), self.book.reserved()));
        // The budget holds within one job's real cost (abandoned attempts
        // count their reservation, which the budget admitted).
        let limit = Usd::from_micros(self.world.budget) + self.dearest;
        assert!(
            self.book.spent() <= limit,
            "spent {} against a budget of {} (dearest job {})",
            self.book.spent(),
            Usd::from_micros(self.world.budget),
            self.dearest
        );
        // Reservations are never below what the endpoint was seen to cost.
        for slug in ENDPOINTS {
            if let Some(reported) = self.book.costs(slug).highest_reported {
                assert!(reservation(&self.book, slug) >= reported);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn replay_equals_live_and_money_holds(world in worlds(), steps in steps()) {
        // Every event is synced: on a memory file system where there is one.
        let shm = std::path::Path::new("/dev/shm");
        let dir = if shm.is_dir() { tempfile::tempdir_in(shm) } else { tempfile::tempdir() }.unwrap();
        let path = dir.path().join("ledger.jsonl");
        let mut run = Run {
            budget: Budget::at_most(Usd::from_micros(world.budget)),
            rng: world.seed,
            world,
            book: Book::default(),
            store: Some(JsonlStore::open(&path).unwrap()),
            path,
            log: Vec::new(),
            jobs: 0,
            dearest: Usd::ZERO,
            now: At(1_800_000_000_000),
        };
        for step in &steps {
            run.step(step);
            run.check();
        }
        // Every job named is claimed, and no job is owned by two keys.
        let mut owners: HashMap<String, Key> = HashMap::new();
        for event in &run.log {
            if let (Event::Accepted { job_id, key, .. }, false) = (event, false) {
                if let Some(other) = owners.insert(job_id.clone(), key.clone()) {
                    prop_assert_eq!(&other, key);
                }
                prop_assert!(run.book.is_claimed(job_id));
            }
        }
    }
}
