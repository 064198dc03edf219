//! How closely each client follows a queued job: the Rust client's default
//! adaptive schedule against the official Python SDK's `client.run`
//! (`segmind` 1.3.0: a status request at once, then one a second after each
//! answer).
//!
//! ```sh
//! POLLING_BENCH=1 cargo bench -p segmind-ideogram-tests --bench polling
//! POLLING_BENCH=cold cargo bench -p segmind-ideogram-tests --bench polling
//! POLLING_BENCH=1 cargo bench -p segmind-ideogram-tests --bench polling -- --markdown FILE
//! ```
//!
//! Minutes of wall time (the jobs take 9–32 s), so it is opt-in: without
//! `POLLING_BENCH` (and under `cargo test --benches`) it is a smoke run of
//! a few short jobs, Rust only, that checks the plumbing. The mock servers
//! are told not to announce themselves
//! ([`MockBuilder::announce`](segmind_ideogram_mock::MockBuilder::announce)),
//! so that the client polls them as it would Segmind.
//!
//! `POLLING_BENCH=1`, waves (the learned schedule):
//! - Two in-process mock servers with the same settings and the same seed,
//!   one per side, so each server's [`MockServer::job_stats`] are one
//!   client's: jobs QUEUED for 0 s, then PROCESSING for a time drawn
//!   uniformly from 9–13 s. Per job the mock counts the status and result
//!   requests about it and the delay from its end to the first request
//!   that saw it ended (server clock).
//! - The endpoint is `ideogram-turbo-img-2-img`: its typical latency in the
//!   registry (11.02 s) is the closest to these jobs' mean (11 s), so the
//!   Rust client's cold start is as well informed as it would be against
//!   Segmind, no better and no worse.
//! - Rust: one `Client` with the default `WaitOptions` (adaptive), shared
//!   by every wave; each wave is `POLLING_JOBS` tasks of `submit` +
//!   `Job::wait` at once (no download, like the SDK's `run`). Wave 1 starts
//!   from the registry's typical latency (cold); later waves use the job
//!   times the client learned from the metrics of finished jobs.
//! - SDK: `tests/python/sdk_bench.py --mode run`, `POLLING_JOBS` threads of
//!   `client.run(slug, **payload)` at once, one fresh process per wave.
//! - The two sides alternate, wave by wave, which one goes first
//!   alternating too, so that load from other processes hits both alike.
//!   Before each wave both sides make one sync call per job slot (the SDK
//!   script's warm-up; the Rust side mirrors it so that both servers draw
//!   the same job times).
//! - `POLLING_REPEATS` repeats the whole run with a fresh Rust client
//!   (another cold wave) and fresh servers seeded anew (other job times).
//!
//! Settings: `POLLING_JOBS` (16), `POLLING_WAVES` (4), `POLLING_REPEATS`
//! (1); `--no-python` leaves the SDK out.
//!
//! `POLLING_BENCH=cold`, a fresh client (the cold schedule): jobs of
//! `ideogram-txt-2-img` that take exactly 0.5, 1 and 1.5 times its typical
//! latency in the registry (21.6 s), each length on mock servers of its
//! own (one per side). For each length, `POLLING_REPEATS` (3) lone jobs,
//! each with a fresh client (a fresh SDK process), then one cold first
//! wave of `POLLING_JOBS` (16) jobs submitted at once by a fresh client
//! (`POLLING_JOBS` threads of a fresh SDK process). The two sides run at
//! the same time, each against its own server: the jobs are mostly waited
//! out, so neither side's load slows the other's polls.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use segmind_ideogram::{Client, Endpoint, IdeogramTurboImg2ImgRequest, IdeogramTxt2ImgRequest};
use segmind_ideogram_mock::{JobStats, MockServer};
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

const KEY: &str = "bench-key";
const SLUG: &str = "ideogram-turbo-img-2-img";
/// The endpoint of the cold measurement, the issue's: the longest typical
/// latency of the five (21.6 s).
const COLD_SLUG: &str = "ideogram-txt-2-img";
const PROMPT: &str = "a lighthouse at dusk";
const IMAGE: &str = "https://example.com/input.png";
const SEED: u64 = 0x9011;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let markdown = args
        .iter()
        .position(|a| a == "--markdown")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from);
    let mode = std::env::var("POLLING_BENCH").unwrap_or_default();
    let full = mode == "1" || mode == "cold";
    let with_python = full && !args.iter().any(|a| a == "--no-python");
    let setting = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    if !full {
        smoke(&runtime);
        return;
    }
    let python = if with_python {
        segmind_ideogram_tests::sdk_python_or_skip()
    } else {
        None
    };
    if mode == "cold" {
        let lone = setting("POLLING_REPEATS", 3).max(1);
        let wave = setting("POLLING_JOBS", 16).max(1);
        let report = cold::run(&runtime, python.as_ref(), lone, wave);
        println!("{report}");
        if let Some(path) = markdown {
            std::fs::write(&path, &report).expect("write the Markdown report");
            eprintln!("wrote {}", path.display());
        }
        return;
    }
    let plan = Plan {
        jobs: setting("POLLING_JOBS", 16),
        waves: setting("POLLING_WAVES", 4).max(1),
        repeats: setting("POLLING_REPEATS", 1).max(1),
        low: Duration::from_secs(9),
        high: Duration::from_secs(13),
    };
    let started = Instant::now();
    let mut results = Results::default();
    for repeat in 0..plan.repeats {
        run_repeat(&runtime, &plan, python.as_ref(), repeat, &mut results);
    }
    let report = report(&plan, &results, started.elapsed());
    println!("{report}");
    if let Some(path) = markdown {
        std::fs::write(&path, &report).expect("write the Markdown report");
        eprintln!("wrote {}", path.display());
    }
}

struct Plan {
    jobs: usize,
    waves: usize,
    repeats: usize,
    low: Duration,
    high: Duration,
}

/// Every job's record, by side and (for Rust) by wave.
#[derive(Default)]
struct Results {
    /// Rust jobs of the first wave of each repeat.
    rust_cold: Vec<JobStats>,
    /// Rust jobs of the later waves.
    rust_learned: Vec<JobStats>,
    sdk: Vec<JobStats>,
    /// One summary line per wave, in the order run.
    log: Vec<String>,
    errors: usize,
}

fn request() -> IdeogramTurboImg2ImgRequest {
    IdeogramTurboImg2ImgRequest::new(IMAGE, PROMPT)
}

/// The SDK's payload for [`request`].
fn payload() -> String {
    serde_json::json!({"image_file": IMAGE, "prompt": PROMPT}).to_string()
}

/// A Segmind stand-in: jobs QUEUED for 0 s, then PROCESSING for a time
/// drawn from `low..=high`; it does not announce itself, so that clients
/// poll it as they would Segmind.
async fn mock(low: Duration, high: Duration, seed: u64) -> MockServer {
    MockServer::builder()
        .api_key(KEY)
        .seed(seed)
        .initial_credits(1e9)
        .job_latency_range(Duration::ZERO, low, high)
        .announce(false)
        .start()
        .await
        .expect("mock")
}

fn run_repeat(
    runtime: &Runtime,
    plan: &Plan,
    python: Option<&PathBuf>,
    repeat: usize,
    results: &mut Results,
) {
    // The same seed on both sides, another one for each repeat.
    let seed = SEED + repeat as u64;
    let rust_mock = runtime.block_on(mock(plan.low, plan.high, seed));
    let sdk_mock = runtime.block_on(mock(plan.low, plan.high, seed));
    // The default wait options: the adaptive schedule, nothing expected.
    let client = Client::builder()
        .api_key(KEY)
        .base_url(rust_mock.base_url())
        .build()
        .expect("client");
    let (mut rust_seen, mut sdk_seen) = (HashSet::new(), HashSet::new());
    for wave in 0..plan.waves {
        let rust_first = (repeat + wave) & 1 == 0;
        for side in if rust_first { [0, 1] } else { [1, 0] } {
            if side == 0 {
                let wall = Instant::now();
                let errors = runtime.block_on(rust_wave(&client, plan.jobs, request));
                let stats = new_stats(&rust_mock, &mut rust_seen);
                let line = summary_line("Rust", repeat, wave, &stats, wall.elapsed(), errors);
                eprintln!("{line}");
                results.log.push(line);
                results.errors += errors;
                if wave == 0 {
                    results.rust_cold.extend(stats);
                } else {
                    results.rust_learned.extend(stats);
                }
            } else if let Some(python) = python {
                let wall = Instant::now();
                let errors = sdk_wave(python, &sdk_mock.v1_url(), plan.jobs, SLUG, &payload());
                let stats = new_stats(&sdk_mock, &mut sdk_seen);
                let line = summary_line("SDK", repeat, wave, &stats, wall.elapsed(), errors);
                eprintln!("{line}");
                results.log.push(line);
                results.errors += errors;
                results.sdk.extend(stats);
            }
        }
    }
}

/// The records of jobs not seen before.
fn new_stats(server: &MockServer, seen: &mut HashSet<String>) -> Vec<JobStats> {
    server
        .job_stats()
        .into_iter()
        .filter(|s| seen.insert(s.request_id.clone()))
        .collect()
}

/// One sync call per slot (as the SDK script's warm-up), then `jobs`
/// submissions of `request()` waited on at once. Returns the failed jobs.
async fn rust_wave<E: Endpoint + Send + Sync + 'static>(
    client: &Client,
    jobs: usize,
    request: fn() -> E,
) -> usize {
    let mut warm = JoinSet::new();
    for _ in 0..jobs {
        let client = client.clone();
        warm.spawn(async move { client.run(&request()).await.map(|_| ()) });
    }
    for outcome in warm.join_all().await {
        outcome.expect("warm-up call");
    }
    let mut set = JoinSet::new();
    for _ in 0..jobs {
        let client = client.clone();
        set.spawn(async move {
            let job = client.submit(&request()).await?;
            job.wait().await
        });
    }
    let outcomes = set.join_all().await;
    let failed: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    if let Some(e) = failed.first() {
        eprintln!("Rust job: {e}");
    }
    failed.len()
}

/// `jobs` threads of the SDK's `client.run(slug, **payload)` in a fresh
/// process, against the server at `v1_url`. Returns the failed jobs.
fn sdk_wave(python: &PathBuf, v1_url: &str, jobs: usize, slug: &str, payload: &str) -> usize {
    let mut hosts = std::env::var("NO_PROXY").unwrap_or_default();
    if !hosts.is_empty() {
        hosts.push(',');
    }
    hosts.push_str("127.0.0.1,localhost");
    let output = Command::new(python)
        .arg(segmind_ideogram_tests::root().join("tests/python/sdk_bench.py"))
        .arg(v1_url)
        .args(["--mode", "run", "--rounds", "1", "--slug", slug])
        .args(["--concurrency", &jobs.to_string(), "--payload", payload])
        .env("SEGMIND_API_KEY", KEY)
        .env("NO_PROXY", &hosts)
        .env("no_proxy", &hosts)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("run sdk_bench.py");
    let text = String::from_utf8_lossy(&output.stdout);
    let answer: serde_json::Value = text
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("sdk_bench.py: no JSON answer in {text:?}"));
    if let Some(error) = answer["first_error"].as_str() {
        eprintln!("SDK: {error}");
    }
    usize::try_from(answer["errors"].as_u64().unwrap_or(0)).unwrap_or(usize::MAX)
}

/// Means and percentiles of a set of job records.
struct Summary {
    jobs: usize,
    polls_mean: f64,
    polls_min: f64,
    polls_p50: f64,
    polls_max: f64,
    delay_mean: f64,
    delay_min: f64,
    delay_p50: f64,
    delay_p90: f64,
    delay_max: f64,
    took_mean: f64,
    /// Jobs nobody saw end (should be none).
    unnoticed: usize,
}

/// The figures of `stats`, counting as a job's requests `requests(job)`.
fn summarize(stats: &[JobStats], requests: fn(&JobStats) -> u32) -> Summary {
    let mut polls: Vec<f64> = stats.iter().map(|s| f64::from(requests(s))).collect();
    let mut delays: Vec<f64> = stats
        .iter()
        .filter_map(|s| s.notice_delay)
        .map(|d| d.as_secs_f64())
        .collect();
    let took: Vec<f64> = stats.iter().map(|s| s.took.as_secs_f64()).collect();
    Summary {
        jobs: stats.len(),
        polls_mean: mean(&polls),
        polls_min: percentile(&mut polls, 0.0),
        polls_p50: percentile(&mut polls, 0.5),
        polls_max: percentile(&mut polls, 1.0),
        delay_mean: mean(&delays),
        delay_min: percentile(&mut delays, 0.0),
        delay_p50: percentile(&mut delays, 0.5),
        delay_p90: percentile(&mut delays, 0.9),
        delay_max: percentile(&mut delays, 1.0),
        took_mean: mean(&took),
        unnoticed: stats.iter().filter(|s| s.notice_delay.is_none()).count(),
    }
}

/// Status and result requests: what the waves' tables count.
fn all_requests(job: &JobStats) -> u32 {
    job.polls
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.iter().sum::<f64>() / values.len() as f64
}

/// Nearest-rank percentile (`q` in 0..=1).
fn percentile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let rank = (q * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

fn summary_line(
    side: &str,
    repeat: usize,
    wave: usize,
    stats: &[JobStats],
    wall: Duration,
    errors: usize,
) -> String {
    let s = summarize(stats, all_requests);
    format!(
        "repeat {} wave {} {side:<4}: {:>3} jobs ({errors} failed, {} unnoticed) in {:5.1} s; \
         took {:5.2} s; requests/job {:5.2} (max {:.0}); delay mean {:3.0} ms p50 {:3.0} p90 {:3.0} max {:3.0}",
        repeat + 1,
        wave + 1,
        s.jobs,
        s.unnoticed,
        wall.as_secs_f64(),
        s.took_mean,
        s.polls_mean,
        s.polls_max,
        s.delay_mean * 1e3,
        s.delay_p50 * 1e3,
        s.delay_p90 * 1e3,
        s.delay_max * 1e3,
    )
}

fn report(plan: &Plan, results: &Results, elapsed: Duration) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "`POLLING_BENCH=1 cargo bench -p segmind-ideogram-tests --bench polling` \
         ({} jobs per wave, {} waves per side, {} repeat(s); {:.0} s of wall time). \
         Jobs: QUEUED 0 s, then PROCESSING {}–{} s (uniform, seeded); endpoint `{SLUG}` \
         (registry typical latency 11.02 s). Requests are the status and result \
         requests the mock answered about each job; the notice delay runs from the \
         job's end to the first of them that saw it ended (mock clock). \
         Failed jobs: {}.\n",
        plan.jobs,
        plan.waves,
        plan.repeats,
        elapsed.as_secs_f64(),
        plan.low.as_secs(),
        plan.high.as_secs(),
        results.errors,
    );
    md.push_str(
        "| client | jobs | job time, mean | requests per job: mean (median, max) | \
         notice delay: mean | p50 | p90 | max |\n|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let overall: Vec<JobStats> = results
        .rust_cold
        .iter()
        .chain(&results.rust_learned)
        .cloned()
        .collect();
    let rows: [(&str, &[JobStats]); 4] = [
        ("SDK `client.run` (1 s polls)", &results.sdk),
        ("Rust, wave 1 (cold: registry latency)", &results.rust_cold),
        ("Rust, later waves (learned)", &results.rust_learned),
        ("Rust, all waves", &overall),
    ];
    let mut summaries = Vec::new();
    for (label, stats) in rows {
        if stats.is_empty() {
            continue;
        }
        let s = summarize(stats, all_requests);
        let _ = writeln!(
            md,
            "| {label} | {} | {:.2} s | {:.2} ({:.0}, {:.0}) | {:.0} ms | {:.0} ms | {:.0} ms | {:.0} ms |",
            s.jobs,
            s.took_mean,
            s.polls_mean,
            s.polls_p50,
            s.polls_max,
            s.delay_mean * 1e3,
            s.delay_p50 * 1e3,
            s.delay_p90 * 1e3,
            s.delay_max * 1e3,
        );
        summaries.push((label, s));
    }
    if let Some((_, sdk)) = summaries.iter().find(|(l, _)| l.starts_with("SDK")) {
        md.push_str(
            "\nRust over the SDK (targets: requests ≤ 0.5, mean delay ≤ 0.5):\n\n\
             | Rust | requests per job | mean delay | p90 delay |\n|---|---:|---:|---:|\n",
        );
        let mark = |ratio: f64| if ratio <= 0.5 { "✅" } else { "❌" };
        for (label, s) in summaries.iter().filter(|(l, _)| l.starts_with("Rust")) {
            let requests = s.polls_mean / sdk.polls_mean;
            let delay = s.delay_mean / sdk.delay_mean;
            let _ = writeln!(
                md,
                "| {} | {requests:.2} {} | {delay:.2} {} | {:.2} |",
                label.trim_start_matches("Rust, "),
                mark(requests),
                mark(delay),
                s.delay_p90 / sdk.delay_p90,
            );
        }
    }
    md.push_str("\nWaves in the order run:\n\n```text\n");
    for line in &results.log {
        md.push_str(line);
        md.push('\n');
    }
    md.push_str("```\n");
    md
}

/// A few short jobs, Rust only: that the records come back.
fn smoke(runtime: &Runtime) {
    let low = Duration::from_millis(100);
    let high = Duration::from_millis(200);
    let server = runtime.block_on(mock(low, high, SEED));
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.base_url())
        .wait_options(server.wait_options())
        .build()
        .expect("client");
    let errors = runtime.block_on(rust_wave(&client, 4, request));
    let stats = server.job_stats();
    let line = summary_line("Rust", 0, 0, &stats, Duration::ZERO, errors);
    println!("polling smoke run (POLLING_BENCH=1 for the measurement): {line}");
    assert_eq!(errors, 0);
    assert_eq!(stats.len(), 4);
    assert!(
        stats
            .iter()
            .all(|s| s.polls >= 2 && s.notice_delay.is_some()),
        "every job was polled and seen to end"
    );
    // The cold measurement's plumbing, with 0.15 s jobs on their own clock.
    let job = Duration::from_millis(150);
    let options = segmind_ideogram::WaitOptions::new().expected_duration(job, job);
    let group = cold::measure(runtime, None, job, 1.0, 1, 3, SEED, Some(options));
    assert_eq!((group.lone_rust.len(), group.wave_rust.len()), (1, 3));
    assert_eq!(group.errors, 0);
    let report = cold::report(0.15, 1, 3, &[group], Duration::ZERO);
    println!("cold smoke run (POLLING_BENCH=cold for the measurement):\n{report}");
}

/// `POLLING_BENCH=cold`: how a fresh client follows jobs of 0.5, 1 and 1.5
/// times the endpoint's typical latency, alone and in a first wave, against
/// the SDK.
mod cold {
    use super::*;

    /// The job lengths measured, as multiples of the typical latency.
    const FACTORS: [f64; 3] = [0.5, 1.0, 1.5];

    fn request() -> IdeogramTxt2ImgRequest {
        IdeogramTxt2ImgRequest::new(PROMPT)
    }

    fn payload() -> String {
        serde_json::json!({ "prompt": PROMPT }).to_string()
    }

    /// The records of one length of job, by side and by how they were run.
    pub(super) struct Group {
        pub job: Duration,
        pub factor: f64,
        pub lone_rust: Vec<JobStats>,
        pub lone_sdk: Vec<JobStats>,
        pub wave_rust: Vec<JobStats>,
        pub wave_sdk: Vec<JobStats>,
        pub errors: usize,
    }

    /// The whole measurement, as Markdown.
    pub(super) fn run(
        runtime: &Runtime,
        python: Option<&PathBuf>,
        lone: usize,
        wave: usize,
    ) -> String {
        let typical = IdeogramTxt2ImgRequest::INFO
            .typical_latency_secs
            .expect("txt-2-img has a typical latency");
        let started = Instant::now();
        let groups: Vec<Group> = FACTORS
            .iter()
            .enumerate()
            .map(|(n, &factor)| {
                // Whole milliseconds, as the mock's clock counts them.
                let job = Duration::from_millis((typical * factor * 1000.0).round() as u64);
                measure(
                    runtime,
                    python,
                    job,
                    factor,
                    lone,
                    wave,
                    SEED + n as u64,
                    None,
                )
            })
            .collect();
        report(typical, lone, wave, &groups, started.elapsed())
    }

    /// One length of job: `lone` single jobs, each from a fresh client
    /// (and a fresh SDK process), then a first wave of `wave` jobs from a
    /// fresh client; the two sides at once, each on its own server.
    /// `options` replaces the default wait (the smoke run's short jobs).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn measure(
        runtime: &Runtime,
        python: Option<&PathBuf>,
        job: Duration,
        factor: f64,
        lone: usize,
        wave: usize,
        seed: u64,
        options: Option<segmind_ideogram::WaitOptions>,
    ) -> Group {
        let rust_mock = runtime.block_on(mock(job, job, seed));
        let sdk_mock = runtime.block_on(mock(job, job, seed));
        let sdk_url = sdk_mock.v1_url();
        let (mut rust_seen, mut sdk_seen) = (HashSet::new(), HashSet::new());
        let mut group = Group {
            job,
            factor,
            lone_rust: Vec::new(),
            lone_sdk: Vec::new(),
            wave_rust: Vec::new(),
            wave_sdk: Vec::new(),
            errors: 0,
        };
        let rounds = std::iter::repeat_n(1, lone).chain([wave]);
        for (round, jobs) in rounds.enumerate() {
            // A fresh client each time: nothing learned.
            let mut builder = Client::builder()
                .api_key(KEY)
                .base_url(rust_mock.base_url());
            if let Some(options) = &options {
                builder = builder.wait_options(options.clone());
            }
            let client = builder.build().expect("client");
            let (rust_errors, sdk_errors) = std::thread::scope(|scope| {
                let sdk = scope.spawn(|| {
                    python.map_or(0, |python| {
                        sdk_wave(python, &sdk_url, jobs, COLD_SLUG, &payload())
                    })
                });
                let rust = runtime.block_on(rust_wave(&client, jobs, request));
                (rust, sdk.join().expect("the SDK's thread"))
            });
            group.errors += rust_errors + sdk_errors;
            let rust = new_stats(&rust_mock, &mut rust_seen);
            let sdk = new_stats(&sdk_mock, &mut sdk_seen);
            let how = if round < lone { "lone" } else { "wave" };
            eprintln!(
                "{:.1}x ({:.1} s) {how}: Rust {}; SDK {}",
                factor,
                job.as_secs_f64(),
                line(&rust),
                line(&sdk)
            );
            if round < lone {
                group.lone_rust.extend(rust);
                group.lone_sdk.extend(sdk);
            } else {
                group.wave_rust.extend(rust);
                group.wave_sdk.extend(sdk);
            }
        }
        group
    }

    /// Status requests only: both sides make one result request per job.
    fn figures(stats: &[JobStats]) -> Summary {
        summarize(stats, |job| job.status_polls)
    }

    fn line(stats: &[JobStats]) -> String {
        let f = figures(stats);
        format!(
            "{} jobs, {:.2} status requests (max {:.0}), delay mean {:.0} ms (min {:.0}, max {:.0}), {} unnoticed",
            f.jobs,
            f.polls_mean,
            f.polls_max,
            f.delay_mean * 1e3,
            f.delay_min * 1e3,
            f.delay_max * 1e3,
            f.unnoticed
        )
    }

    pub(super) fn report(
        typical: f64,
        lone: usize,
        wave: usize,
        groups: &[Group],
        elapsed: Duration,
    ) -> String {
        let mut md = String::new();
        let errors: usize = groups.iter().map(|g| g.errors).sum();
        let _ = writeln!(
            md,
            "`POLLING_BENCH=cold cargo bench -p segmind-ideogram-tests --bench polling` \
             ({lone} lone jobs and a first wave of {wave} per length, {:.0} s of wall time). \
             Endpoint `{COLD_SLUG}`, registry typical latency {typical} s; every job of a \
             length takes exactly that long (QUEUED 0 s). Rust: a fresh `Client` with the \
             default `WaitOptions` for each lone job and for the wave. SDK: \
             `tests/python/sdk_bench.py --mode run`, a fresh process each time. Status \
             requests are the `/status` requests the mock answered about each job (both \
             sides then make one result request); the notice delay runs from the job's \
             end to the first request that saw it ended (mock clock). Failed jobs: {errors}.\n",
            elapsed.as_secs_f64(),
        );
        md.push_str(
            "| job | run | client | jobs | status requests: mean (min–max) | notice delay: mean (min–max) |\n\
             |---|---|---|---:|---:|---:|\n",
        );
        let runs = |g: &Group| -> [(&'static str, Vec<JobStats>, Vec<JobStats>); 2] {
            [
                ("lone", g.lone_rust.clone(), g.lone_sdk.clone()),
                ("first wave", g.wave_rust.clone(), g.wave_sdk.clone()),
            ]
        };
        for g in groups {
            for (run, rust, sdk) in runs(g) {
                for (client, stats) in [("SDK `run`", &sdk), ("Rust", &rust)] {
                    if stats.is_empty() {
                        continue;
                    }
                    let f = figures(stats);
                    let _ = writeln!(
                        md,
                        "| {:.1}× ({:.1} s) | {run} | {client} | {} | {:.2} ({:.0}–{:.0}) | {:.0} ms ({:.0}–{:.0}) |",
                        g.factor,
                        g.job.as_secs_f64(),
                        f.jobs,
                        f.polls_mean,
                        f.polls_min,
                        f.polls_max,
                        f.delay_mean * 1e3,
                        f.delay_min * 1e3,
                        f.delay_max * 1e3,
                    );
                }
            }
        }
        md.push_str(
            "\nRust against the SDK (targets: noticed within 1 s of the SDK, at most half \
             its status requests). Later: Rust's mean notice delay less the SDK's, and the \
             worst case, Rust's longest less the SDK's shortest; requests: Rust's mean over \
             the SDK's, and the worst case, Rust's most over the SDK's fewest.\n\n\
             | job | run | later: mean | later: worst | requests: mean | requests: worst |\n\
             |---|---|---:|---:|---:|---:|\n",
        );
        let mark = |ok: bool| if ok { "✅" } else { "❌" };
        for g in groups {
            for (run, rust, sdk) in runs(g) {
                if rust.is_empty() || sdk.is_empty() {
                    continue;
                }
                let (r, s) = (figures(&rust), figures(&sdk));
                let later = r.delay_mean - s.delay_mean;
                let worst = r.delay_max - s.delay_min;
                let ratio = r.polls_mean / s.polls_mean;
                let worst_ratio = r.polls_max / s.polls_min;
                let _ = writeln!(
                    md,
                    "| {:.1}× | {run} | {:+.0} ms {} | {:+.0} ms {} | {ratio:.2} {} | {worst_ratio:.2} {} |",
                    g.factor,
                    later * 1e3,
                    mark(later <= 1.0),
                    worst * 1e3,
                    mark(worst <= 1.0),
                    mark(ratio <= 0.5),
                    mark(worst_ratio <= 0.5),
                );
            }
        }
        md
    }
}
