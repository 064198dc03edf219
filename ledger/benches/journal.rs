//! What the spend journal costs a batch per line: the four records every
//! line writes (intent, sending, job id, done), appended and synced to
//! disk before the batch moves on (the intent rides on the sending
//! record's sync: three syncs). Target: under 1 ms per line with fsync.
//!
//! ```text
//! cargo bench -p ideogram-cli --bench journal            # 300 lines, 5 rounds
//! JOURNAL_LINES=2000 JOURNAL_ROUNDS=9 cargo bench -p ideogram-cli --bench journal
//! ```
//!
//! The journal lives under the target folder, on the project's disk (not
//! a tmpfs), as a batch's output folder would; each round starts a fresh
//! journal.

use std::time::Instant;

use ideogram_cli::journal::{Journal, Record, unix_now};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Writes the records of `lines` lines; microseconds per line. Without
/// `sending`, what a line cost before attempts were recorded (intent, job
/// id, done, each synced): the baseline of the A/B comparison.
fn round(lines: usize, sending: bool) -> Vec<f64> {
    let dir = tempfile::Builder::new()
        .prefix("journal-bench")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("scratch folder");
    let journal = Journal::open(dir.path()).expect("journal");
    let mut per_line = Vec::with_capacity(lines);
    for n in 0..lines {
        let line = format!("line-{n:05}");
        let records = [
            Record::Intent {
                line: line.clone(),
                fingerprint: "0123456789abcdef".into(),
                endpoint: "ideogram-txt-2-img".into(),
                at: unix_now(),
                reserved_usd: 0.113,
            },
            Record::Sending {
                line: line.clone(),
                fingerprint: "0123456789abcdef".into(),
                at: unix_now(),
                until: Some(unix_now() + 120.0),
            },
            Record::Submitted {
                line: line.clone(),
                fingerprint: "0123456789abcdef".into(),
                request_id: format!("9f1c2d3e-0000-4000-8000-{n:012}"),
                reconciled: false,
            },
            Record::Done {
                line: line.clone(),
                fingerprint: "0123456789abcdef".into(),
                request_id: format!("9f1c2d3e-0000-4000-8000-{n:012}"),
                file: format!("{line}.png"),
                cost_usd: 0.08,
                reported: true,
            },
        ];
        let started = Instant::now();
        for record in records
            .iter()
            .filter(|r| sending || !matches!(r, Record::Sending { .. }))
        {
            journal.append(record).expect("append");
            if !sending && matches!(record, Record::Intent { .. }) {
                journal.sync().expect("sync");
            }
        }
        per_line.push(started.elapsed().as_secs_f64() * 1e6);
    }
    per_line
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    // `cargo test` runs benches with `--bench`-less args: keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let lines = if quick { 20 } else { env("JOURNAL_LINES", 300) };
    let rounds = if quick { 1 } else { env("JOURNAL_ROUNDS", 5) };
    // Interleaved A/B: the disk is shared and its speed drifts.
    let (mut before, mut now) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        before.extend(round(lines, false));
        now.extend(round(lines, true));
    }
    for (name, samples) in [
        ("3 records, 3 syncs (before: no attempts)", &mut before),
        ("4 records, 3 syncs (now: with attempts)", &mut now),
    ] {
        samples.sort_by(f64::total_cmp);
        println!(
            "journal, {lines} lines x {rounds} rounds, {name}: \
             median {:.0} us/line, p90 {:.0}, p99 {:.0}, max {:.0}",
            percentile(samples, 0.5),
            percentile(samples, 0.9),
            percentile(samples, 0.99),
            samples.last().copied().unwrap_or_default(),
        );
    }
    println!(
        "median ratio with/without attempts: {:.2}",
        percentile(&now, 0.5) / percentile(&before, 0.5)
    );
}
