//! What the ledger costs, and which store to default to.
//!
//! 1. Per line: the four events every paid line writes (intent, sending,
//!    accepted, done), three synced, through `Ledger::record` (apply and
//!    append), for the JSONL store and the SQLite store, interleaved round
//!    by round with the journal the batch wrote before the ledger (the same
//!    four records as version-2 JSON, three syncs). Target: under 1 ms.
//! 2. A rerun: opening a ledger of N done lines (4N events), its time and
//!    the process's peak memory, for each store, N = 100k and 1M (each
//!    opened in a child process of its own, so peaks do not mix).
//!
//! ```text
//! cargo bench -p segmind-ideogram-ledger --features sqlite --bench journal
//! JOURNAL_LINES=2000 JOURNAL_ROUNDS=9 OPEN_LINES=100000,1000000 cargo bench ...
//! ```
//!
//! Files live under the target folder, on the project's disk (not a
//! tmpfs), as a batch's output folder would.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use segmind_ideogram_ledger::{At, Budget, Event, Fingerprint, Key, Ledger, Usd};
use serde_json::json;

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn number(name: &str, default: usize) -> usize {
    env(name, &default.to_string()).parse().unwrap_or(default)
}

/// The four events of line `n`.
fn events(n: usize) -> [Event; 4] {
    let key = Key::new(
        format!("line-{n:07}"),
        Fingerprint::of(
            "ideogram-txt-2-img",
            &format!("{{\"prompt\":\"line {n}\"}}"),
        ),
    );
    let at = At::now();
    [
        Event::Intent {
            key: key.clone(),
            endpoint: "ideogram-txt-2-img".into(),
            body: json!({"prompt": format!("line {n}"), "seed": 4242}),
            reserved: Usd::from_micros(113_000),
            at,
        },
        Event::Sending {
            key: key.clone(),
            at,
            until: Some(At(at.0 + 120_000)),
        },
        Event::Accepted {
            key: key.clone(),
            job_id: format!("{n:032x}"),
            reconciled: false,
        },
        Event::Done {
            key,
            job_id: format!("{n:032x}"),
            cost: Usd::from_micros(80_000),
            reported: true,
            file: format!("line-{n:07}.png"),
            output_url: Some(format!("https://example.com/outputs/{n:032x}.png")),
        },
    ]
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// The batch's journal before the ledger (version 2).
    Before,
    Jsonl,
    #[cfg(feature = "sqlite")]
    Sqlite,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Before => "journal v2",
            Kind::Jsonl => "ledger JSONL",
            #[cfg(feature = "sqlite")]
            Kind::Sqlite => "ledger SQLite",
        }
    }

    fn all() -> Vec<Kind> {
        vec![
            Kind::Before,
            Kind::Jsonl,
            #[cfg(feature = "sqlite")]
            Kind::Sqlite,
        ]
    }

    fn open(self, dir: &Path) -> Ledger {
        match self {
            Kind::Before => unreachable!(),
            Kind::Jsonl => {
                Ledger::open_file(dir.join("journal.jsonl"), Budget::unlimited()).unwrap()
            }
            #[cfg(feature = "sqlite")]
            Kind::Sqlite => Ledger::open(
                segmind_ideogram_ledger::store::sqlite::SqliteStore::open(
                    dir.join("ledger.sqlite"),
                )
                .unwrap(),
                Budget::unlimited(),
            )
            .unwrap(),
        }
    }
}

/// Microseconds per line of `lines` lines written by `kind`.
fn round(kind: Kind, lines: usize) -> Vec<f64> {
    let dir = tempfile::Builder::new()
        .prefix("journal-bench")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let mut per_line = Vec::with_capacity(lines);
    if kind == Kind::Before {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.path().join("journal.jsonl"))
            .unwrap();
        for n in 0..lines {
            let line = format!("line-{n:07}");
            let records = [
                json!({"record": "intent", "line": line, "fingerprint": "0123456789abcdef", "endpoint": "ideogram-txt-2-img", "at": 1.7e9, "reserved_usd": 0.113}),
                json!({"record": "sending", "line": line, "fingerprint": "0123456789abcdef", "at": 1.7e9, "until": 1.7e9}),
                json!({"record": "submitted", "line": line, "fingerprint": "0123456789abcdef", "request_id": format!("{n:032x}")}),
                json!({"record": "done", "line": line, "fingerprint": "0123456789abcdef", "request_id": format!("{n:032x}"), "file": format!("{line}.png"), "cost_usd": 0.08, "reported": true}),
            ];
            let started = Instant::now();
            for (i, record) in records.iter().enumerate() {
                let mut text = serde_json::to_vec(record).unwrap();
                text.push(b'\n');
                file.write_all(&text).unwrap();
                if i > 0 {
                    file.sync_data().unwrap();
                }
            }
            per_line.push(started.elapsed().as_secs_f64() * 1e6);
        }
        return per_line;
    }
    let ledger = kind.open(dir.path());
    for n in 0..lines {
        let events = events(n);
        let started = Instant::now();
        for event in events {
            ledger.record(event).unwrap();
        }
        per_line.push(started.elapsed().as_secs_f64() * 1e6);
    }
    per_line
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn per_line(lines: usize, rounds: usize) {
    println!("== cost per line: 4 events, 3 synced ({lines} lines x {rounds} rounds, interleaved)");
    let kinds = Kind::all();
    let mut medians: Vec<Vec<f64>> = vec![Vec::new(); kinds.len()];
    let mut all: Vec<Vec<f64>> = vec![Vec::new(); kinds.len()];
    for r in 0..rounds {
        // Rotate the order so no store always goes first.
        for k in 0..kinds.len() {
            let i = (k + r) % kinds.len();
            let mut times = round(kinds[i], lines);
            times.sort_by(f64::total_cmp);
            medians[i].push(percentile(&times, 0.5));
            all[i].extend(times);
        }
    }
    for (i, kind) in kinds.iter().enumerate() {
        all[i].sort_by(f64::total_cmp);
        medians[i].sort_by(f64::total_cmp);
        println!(
            "{:<14} median {:>7.1} us/line, p90 {:>7.1} us (median of round medians {:>7.1} us)",
            kind.name(),
            percentile(&all[i], 0.5),
            percentile(&all[i], 0.9),
            percentile(&medians[i], 0.5),
        );
    }
    let base = percentile(&medians[0], 0.5);
    for (i, kind) in kinds.iter().enumerate().skip(1) {
        println!(
            "{:<14} {:.2}x the journal v2",
            kind.name(),
            percentile(&medians[i], 0.5) / base
        );
    }
}

/// Writes a ledger of `lines` done lines for `kind`, quickly (no syncs).
fn build(kind: Kind, dir: &Path, lines: usize) {
    match kind {
        Kind::Before => unreachable!(),
        Kind::Jsonl => {
            let file = std::fs::File::create(dir.join("journal.jsonl")).unwrap();
            let mut out = std::io::BufWriter::new(file);
            writeln!(out, r#"{{"format":"ideogram-batch-journal","version":3}}"#).unwrap();
            for n in 0..lines {
                for event in events(n) {
                    serde_json::to_writer(&mut out, &event).unwrap();
                    out.write_all(b"\n").unwrap();
                }
            }
            out.flush().unwrap();
        }
        #[cfg(feature = "sqlite")]
        Kind::Sqlite => {
            segmind_ideogram_ledger::store::sqlite::SqliteStore::open(dir.join("ledger.sqlite"))
                .unwrap()
                .import((0..lines).flat_map(events))
                .unwrap();
        }
    }
}

/// In a child: opens the ledger in `dir` and prints seconds and peak KiB.
fn open_child(kind: Kind, dir: &Path) {
    let started = Instant::now();
    let ledger = kind.open(dir);
    let took = started.elapsed().as_secs_f64();
    let keys = ledger.with_book(|b| b.len());
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct it is given.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    println!("{took} {} {keys}", usage.ru_maxrss);
}

fn reopen(sizes: &[usize]) {
    println!("== a rerun: opening a ledger of N done lines (4N events), in a child process each");
    let me = std::env::current_exe().unwrap();
    for &lines in sizes {
        for kind in Kind::all().into_iter().skip(1) {
            let dir = tempfile::Builder::new()
                .prefix("journal-open")
                .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
                .unwrap();
            build(kind, dir.path(), lines);
            let size: u64 = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().metadata().unwrap().len())
                .sum();
            let output = std::process::Command::new(&me)
                .arg("--bench")
                .env("JOURNAL_OPEN_CHILD", kind.name())
                .env("JOURNAL_OPEN_DIR", dir.path())
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&output.stdout);
            let mut fields = text.split_whitespace();
            let (took, kib, keys) = (
                fields.next().unwrap_or("?"),
                fields.next().unwrap_or("?"),
                fields.next().unwrap_or("?"),
            );
            println!(
                "{:<14} {lines:>8} lines ({:>5} MB on disk): open {took:>8.8} s, peak {:>7} MB, {keys} keys",
                kind.name(),
                size / 1_000_000,
                kib.parse::<u64>()
                    .map_or("?".into(), |k| (k / 1024).to_string()),
            );
        }
    }
}

fn main() {
    if let (Ok(name), Ok(dir)) = (
        std::env::var("JOURNAL_OPEN_CHILD"),
        std::env::var("JOURNAL_OPEN_DIR"),
    ) {
        let kind = Kind::all().into_iter().find(|k| k.name() == name).unwrap();
        open_child(kind, Path::new(&dir));
        return;
    }
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    per_line(number("JOURNAL_LINES", 300), number("JOURNAL_ROUNDS", 5));
    let sizes: Vec<usize> = env("OPEN_LINES", "100000")
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    reopen(&sizes);
}
