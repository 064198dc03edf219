//! A run of the ledger's runner against a mock Segmind on 127.0.0.1, and
//! what the server and the output folder say afterwards.

#![allow(dead_code)] // Each test file uses a different part.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use segmind_ideogram::{
    AnyRequest, Client, IdeogramTxt2ImgRequest, Pacer, RetryPolicy, Seed, WaitOptions,
};
use segmind_ideogram_ledger::{
    Budget, Event, Item, JsonlStore, Ledger, Outcome, Report, Runner, Settings, Store, Summary, Usd,
};
use segmind_ideogram_mock::{MockBuilder, MockServer, Mode};

pub const KEY: &str = "ledger-key";

/// A mock that answers quickly and has the credits for any test.
pub fn mock() -> MockBuilder {
    MockServer::builder()
        .api_key(KEY)
        .job_latency(Duration::from_millis(5), Duration::from_millis(5))
        .initial_credits(1e6)
}

pub fn client(server: &MockServer, pacer: Option<&Pacer>) -> Client {
    let mut builder = Client::builder()
        .api_key(KEY)
        .base_url(server.base_url())
        .wait_options(server.wait_options())
        // Retries as many as the CLI's, on a test's clock.
        .retry_policy(
            RetryPolicy::new()
                .max_attempts(6)
                .base_delay(Duration::from_millis(10))
                .max_delay(Duration::from_millis(100)),
        );
    if let Some(pacer) = pacer {
        builder = builder.pacer(pacer.clone());
    }
    builder.build().unwrap()
}

/// `n` text-to-image items `prompt-0`, `prompt-1`, … with seeds.
pub fn prompts(n: usize) -> Vec<Item> {
    (0..n)
        .map(|i| prompt(&format!("prompt-{i}"), &format!("prompt {i}")))
        .collect()
}

/// One text-to-image item.
pub fn prompt(id: &str, text: &str) -> Item {
    Item {
        id: id.to_owned(),
        request: AnyRequest::from(IdeogramTxt2ImgRequest::new(text).seed(Seed::new(4242).unwrap())),
    }
}

/// What a run reported.
#[derive(Default)]
pub struct Seen {
    pub ended: Mutex<Vec<(String, Outcome, String)>>,
    pub notes: Mutex<Vec<String>>,
}

impl Report for Seen {
    fn ended(&self, id: &str, outcome: Outcome, detail: &str) {
        self.ended
            .lock()
            .unwrap()
            .push((id.to_owned(), outcome, detail.to_owned()));
    }

    fn note(&self, text: &str) {
        self.notes.lock().unwrap().push(text.to_owned());
    }
}

impl Seen {
    pub fn outcomes(&self) -> HashMap<String, Outcome> {
        self.ended
            .lock()
            .unwrap()
            .iter()
            .map(|(id, o, _)| (id.clone(), *o))
            .collect()
    }

    pub fn text(&self) -> String {
        format!(
            "ended: {:#?}\nnotes: {:#?}",
            self.ended.lock().unwrap(),
            self.notes.lock().unwrap()
        )
    }
}

/// One run's settings: quick to poll and to decide from the history.
pub fn settings(out: &Path, server: &MockServer) -> Settings {
    Settings {
        wait: server.wait_options(),
        history_grace: Duration::from_millis(150),
        ..Settings::new(out)
    }
}

/// The journal of `out`.
pub fn journal(out: &Path) -> PathBuf {
    out.join("journal.jsonl")
}

/// Runs `items` into `out` against `server` (a fresh ledger handle each
/// time, as a rerun would have).
pub async fn run(
    server: &MockServer,
    out: &Path,
    items: Vec<Item>,
    budget: Budget,
    tune: impl FnOnce(Settings) -> Settings,
) -> (Summary, Arc<Seen>) {
    std::fs::create_dir_all(out).unwrap();
    let ledger = Arc::new(Ledger::open_file(journal(out), budget).unwrap());
    let seen = Arc::new(Seen::default());
    let runner = Runner::new(
        client(server, None),
        None,
        ledger,
        tune(settings(out, server)),
        seen.clone(),
        items,
    )
    .unwrap();
    let summary = runner.run().await;
    (summary, seen)
}

/// [`run`] without a budget or other settings.
pub async fn run_plain(server: &MockServer, out: &Path, items: Vec<Item>) -> (Summary, Arc<Seen>) {
    run(server, out, items, Budget::unlimited(), |s| s).await
}

/// Rewrites the journal of `out` as a kill right after each POST leaves
/// it: the intents and the attempts, no answers; and removes the images.
pub fn as_if_killed_after_sending(out: &Path) {
    keep_only(out, |e| {
        matches!(e, Event::Intent { .. } | Event::Sending { .. })
    });
    for entry in std::fs::read_dir(out).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "png") {
            std::fs::remove_file(path).unwrap();
        }
    }
}

/// Rewrites the journal of `out` with only the events `keep` accepts.
pub fn keep_only(out: &Path, keep: impl Fn(&Event) -> bool) {
    let path = journal(out);
    let mut events = Vec::new();
    JsonlStore::open(&path)
        .unwrap()
        .replay(&mut |e| events.push(e))
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    let mut store = JsonlStore::open(&path).unwrap();
    for event in events.iter().filter(|e| keep(e)) {
        store.append(event).unwrap();
    }
}

/// How many times each distinct body was queued.
pub fn submissions(server: &MockServer) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for accepted in server
        .accepted()
        .into_iter()
        .filter(|a| a.mode == Mode::Queued)
    {
        *counts.entry(accepted.body.to_string()).or_default() += 1;
    }
    counts
}

/// Asserts that no body was queued twice, and returns how many were queued.
pub fn each_once(server: &MockServer) -> usize {
    let counts = submissions(server);
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "submitted more than once: {twice:?}");
    counts.len()
}

/// Real PNG files in `dir`.
pub fn pngs(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter(|e| {
                    let path = e.as_ref().unwrap().path();
                    path.extension().is_some_and(|x| x == "png")
                        && std::fs::read(&path).is_ok_and(|b| b.starts_with(b"\x89PNG"))
                })
                .count()
        })
        .unwrap_or(0)
}

/// Dollars as micro-dollars.
pub fn usd(dollars: f64) -> Usd {
    Usd::from_dollars(dollars).unwrap()
}

/// What the mock charged for queued jobs.
pub fn billed(server: &MockServer) -> f64 {
    1e6 - server.credits()
}

/// Quick wait options for a client made by hand.
pub fn quick_wait() -> WaitOptions {
    WaitOptions::new().interval(Duration::from_millis(10))
}
