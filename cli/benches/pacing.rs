//! `ideogram batch` against the mock's rate limit: with `--rate-limit` at
//! the limit, the share of the limit achieved (target ≥ 98 %) and the 429s
//! (target 0); without it, when the 429s come (target: only in the first
//! window, while the limit is learned).
//!
//! ```text
//! cargo bench -p ideogram-cli --bench pacing                 # a 6 s window, quick
//! PACING_BENCH=1 cargo bench -p ideogram-cli --bench pacing  # Segmind's minute, ~7 min
//! ```
//!
//! The rate is measured where the server sees it: the times the mock
//! accepted the submissions, from the first to the last.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use segmind_ideogram_mock::{MockServer, Mode};

struct Setting {
    limit: u32,
    window: Duration,
    lines: usize,
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let full = std::env::var("PACING_BENCH").is_ok_and(|v| v == "1");
    let setting = if full {
        Setting {
            limit: 120,
            window: Duration::from_secs(60),
            lines: 360,
        }
    } else {
        Setting {
            limit: 12,
            window: Duration::from_secs(6),
            lines: 36,
        }
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    for paced in [true, false] {
        runtime.block_on(run(&setting, paced));
    }
}

async fn run(setting: &Setting, paced: bool) {
    let server = Arc::new(
        MockServer::builder()
            .api_key("bench-key")
            .job_latency(Duration::from_millis(20), Duration::from_millis(30))
            .rate_limit(setting.limit, setting.window)
            .initial_credits(1e9)
            .start()
            .await
            .expect("mock"),
    );
    let dir = tempfile::tempdir().expect("scratch");
    let lines = dir.path().join("lines.jsonl");
    let text: String = (0..setting.lines)
        .map(|i| {
            format!("{{\"endpoint\":\"txt-2-img\",\"request\":{{\"prompt\":\"pace {i}\"}}}}\n")
        })
        .collect();
    std::fs::write(&lines, text).expect("lines");

    // When each 429 came, relative to the start.
    let started = Instant::now();
    let watching = Arc::new(AtomicBool::new(true));
    let watcher = {
        let (watching, server) = (Arc::clone(&watching), Arc::clone(&server));
        tokio::spawn(async move {
            let (mut seen, mut times) = (0, Vec::new());
            while watching.load(Ordering::Relaxed) {
                let now = server.rate_limited();
                if now > seen {
                    times.extend(std::iter::repeat_n(
                        started.elapsed(),
                        (now - seen) as usize,
                    ));
                    seen = now;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            times
        })
    };
    let window = setting.window.as_secs_f64().to_string();
    let limit = setting.limit.to_string();
    let mut args = vec![
        "batch".to_owned(),
        lines.display().to_string(),
        "--out-dir".into(),
        dir.path().join("out").display().to_string(),
        // The pacer, not the lines in flight, must set the rate: enough
        // lines at once, and jobs noticed as soon as they end.
        "--concurrency".into(),
        "16".into(),
        "--poll-interval".into(),
        "0.05".into(),
        "--rate-window".into(),
        window,
        "--base-url".into(),
        server.base_url().to_owned(),
    ];
    if paced {
        args.extend(["--rate-limit".into(), limit]);
    }
    let status = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_ideogram"))
            .env("SEGMIND_API_KEY", "bench-key")
            .args(&args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("batch runs")
    })
    .await
    .expect("join");
    watching.store(false, Ordering::Relaxed);
    let times_429 = watcher.await.expect("watcher");
    report(
        setting,
        paced,
        status.success(),
        &server,
        &times_429,
        dir.path(),
    );
}

fn report(
    setting: &Setting,
    paced: bool,
    ok: bool,
    server: &MockServer,
    times_429: &[Duration],
    _dir: &Path,
) {
    let mut at: Vec<SystemTime> = server
        .accepted()
        .into_iter()
        .filter(|a| a.mode == Mode::Queued)
        .map(|a| a.at)
        .collect();
    at.sort();
    let span = at
        .last()
        .zip(at.first())
        .and_then(|(last, first)| last.duration_since(*first).ok())
        .unwrap_or_default();
    let per_window = if span.is_zero() {
        0.0
    } else {
        (at.len() - 1) as f64 / span.as_secs_f64() * setting.window.as_secs_f64()
    };
    let window = setting.window.as_secs_f64();
    // Learning takes the window in which the first 429 came; none after.
    let late = times_429.first().map_or(0, |first| {
        times_429
            .iter()
            .filter(|t| t.as_secs_f64() > first.as_secs_f64() + window)
            .count()
    });
    println!(
        "{}: limit {} per {window:.0} s, {} lines: exit ok {ok}; {} submissions over {:.1} s = {:.2} per window ({:.1} % of the limit); 429s: {} ({} later than a window after the first{})",
        if paced {
            "--rate-limit at the limit"
        } else {
            "learned from the first 429"
        },
        setting.limit,
        setting.lines,
        at.len(),
        span.as_secs_f64(),
        per_window,
        per_window / f64::from(setting.limit) * 100.0,
        times_429.len(),
        late,
        match (times_429.first(), times_429.last()) {
            (Some(first), Some(last)) => format!(
                ", from {:.1} s to {:.1} s",
                first.as_secs_f64(),
                last.as_secs_f64()
            ),
            _ => String::new(),
        },
    );
}
