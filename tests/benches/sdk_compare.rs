//! The Rust client against the official Python SDK (`segmind` 1.3.0), on one
//! mock server in one run: requests per second and CPU seconds per request.
//!
//! ```sh
//! cargo bench -p segmind-ideogram-tests --bench sdk_compare
//! cargo bench -p segmind-ideogram-tests --bench sdk_compare -- --markdown FILE
//! ```
//!
//! Method:
//! - The mock runs in a process of its own (this binary, re-run with
//!   `--serve-mock`), so each client's CPU is measured apart from the
//!   server's: the bench process runs only the Rust client
//!   (`getrusage(RUSAGE_SELF)` around the measured part), the Python SDK
//!   measures itself (`tests/python/sdk_bench.py`, `getrusage` after its
//!   warm-up), and the mock's CPU is read from `/proc/<pid>/stat`.
//! - Every client sends the same payload, `{"prompt":"a lighthouse at
//!   dusk"}` to `ideogram-txt-2-img`: a 1024×1024 PNG that the mock encodes
//!   once and then serves from its cache.
//! - Queued jobs (20 ms QUEUED + 20 ms PROCESSING) are polled every 50 ms
//!   by both clients: Rust `submit` + `Job::wait` on 200 tasks, the SDK
//!   `submit_async(..).wait(interval=0.05)` on 200 threads. The SDK's
//!   `client.run` polls at a fixed 1 s; it has a row of its own.
//! - The Python part is skipped, with a message, when the SDK's venv cannot
//!   be set up (`tests/python/setup-venv.sh`).
//!
//! `SDK_BENCH_SECS` sets the length of each timed run (default 4 s);
//! `--no-python` leaves the SDK out. Without `--bench` (as under
//! `cargo test --benches`) it is a short smoke run of the Rust part.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use segmind_ideogram::{Client, IdeogramTxt2ImgRequest, WaitOptions};
use segmind_ideogram_mock::MockServer;
use serde_json::Value;
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

const KEY: &str = "bench-key";
const SLUG: &str = "ideogram-txt-2-img";
const PROMPT: &str = "a lighthouse at dusk";
const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";
const JOB_LATENCY: Duration = Duration::from_millis(20);
const POLL_INTERVAL: Duration = Duration::from_millis(50);
const JOBS: usize = 200;
const JOB_ROUNDS: usize = 3;
const MOCK_CLIENTS: usize = 8;
const MOCK_CONCURRENCY: usize = 64;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--serve-mock") {
        serve_mock();
        return;
    }
    let markdown = args
        .iter()
        .position(|a| a == "--markdown")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from);
    // `cargo bench` passes `--bench`; without it (`cargo test --benches`)
    // this is a smoke run: short, Rust only.
    let bench = args.iter().any(|a| a == "--bench");
    let with_python = bench && !args.iter().any(|a| a == "--no-python");
    let secs = std::env::var("SDK_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(if bench { 4.0 } else { 0.3 });
    let started = Instant::now();

    let python = if with_python {
        segmind_ideogram_tests::sdk_python_or_skip()
    } else {
        None
    };
    let mut mock = Mock::spawn();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    let client = Client::builder()
        .api_key(KEY)
        .base_url(mock.url.clone())
        .build()
        .expect("client");
    let png_bytes = runtime
        .block_on(client.run(&request()))
        .expect("a first image")
        .bytes()
        .len();
    eprintln!(
        "mock at {} (pid {}); image {png_bytes} bytes",
        mock.url, mock.pid
    );

    let mut rows = Vec::new();
    for concurrency in [1, 32] {
        let row = rust_sync(&runtime, &client, &mut mock, concurrency, secs);
        eprintln!("{}", row.line());
        rows.push(row);
        if let Some(python) = &python {
            let row = python_run(
                python,
                &mut mock,
                &format!("SDK `run_sync` ×{concurrency} threads"),
                &[
                    "--mode",
                    "sync",
                    "--concurrency",
                    &concurrency.to_string(),
                    "--seconds",
                    &secs.to_string(),
                ],
            );
            eprintln!("{}", row.line());
            rows.push(row);
        }
    }
    let row = rust_jobs(&runtime, &client, &mut mock);
    eprintln!("{}", row.line());
    rows.push(row);
    if let Some(python) = &python {
        let interval = POLL_INTERVAL.as_secs_f64().to_string();
        let jobs = JOBS.to_string();
        let rounds = JOB_ROUNDS.to_string();
        let row = python_run(
            python,
            &mut mock,
            &format!("SDK `submit_async`+`wait(interval=0.05)` ×{JOBS} threads"),
            &[
                "--mode",
                "jobs",
                "--concurrency",
                &jobs,
                "--rounds",
                &rounds,
                "--interval",
                &interval,
            ],
        );
        eprintln!("{}", row.line());
        rows.push(row);
        let row = python_run(
            python,
            &mut mock,
            &format!("SDK `run` (fixed 1 s polls) ×{JOBS} threads"),
            &["--mode", "run", "--concurrency", &jobs, "--rounds", "1"],
        );
        eprintln!("{}", row.line());
        rows.push(row);
    }
    let capacity = mock_capacity(&runtime, &mut mock, secs);
    eprintln!("{}", capacity.line());

    let report = report(
        &rows,
        &capacity,
        png_bytes,
        python.is_some(),
        started.elapsed(),
    );
    println!("{report}");
    if let Some(path) = markdown {
        std::fs::write(&path, &report).expect("write the Markdown report");
        eprintln!("wrote {}", path.display());
    }
}

fn request() -> IdeogramTxt2ImgRequest {
    IdeogramTxt2ImgRequest::new(PROMPT)
}

/// One measured run.
struct Row {
    label: String,
    /// Calls (sync) or jobs completed.
    done: u64,
    errors: u64,
    wall: f64,
    /// CPU seconds (user + system) of the client process over the measured part.
    client_cpu: f64,
    /// The user-space part of `client_cpu`.
    client_user: f64,
    /// CPU seconds of the mock process over the same part.
    mock_cpu: f64,
    /// HTTP requests the mock received over the same part.
    http: u64,
    /// Share of all cores busy over the same part (any process, kernel included).
    busy: f64,
    rust: bool,
}

impl Row {
    fn per_second(&self) -> f64 {
        self.done as f64 / self.wall
    }

    fn client_cpu_per_op(&self) -> f64 {
        self.client_cpu / self.done.max(1) as f64
    }

    fn client_user_per_op(&self) -> f64 {
        self.client_user / self.done.max(1) as f64
    }

    fn mock_cpu_per_op(&self) -> f64 {
        self.mock_cpu / self.done.max(1) as f64
    }

    fn http_per_op(&self) -> f64 {
        self.http as f64 / self.done.max(1) as f64
    }

    fn client_cpu_per_http(&self) -> f64 {
        self.client_cpu / self.http.max(1) as f64
    }

    fn line(&self) -> String {
        format!(
            "{:<58} {:>6} done {:>3} errors {:>8.1}/s  client {:>8.1} µs CPU/op  mock {:>7.1} µs CPU/op  {:.2} HTTP/op  {:.0}% busy",
            self.label,
            self.done,
            self.errors,
            self.per_second(),
            self.client_cpu_per_op() * 1e6,
            self.mock_cpu_per_op() * 1e6,
            self.http_per_op(),
            self.busy * 100.0,
        )
    }
}

/// Busy and total jiffies of all cores since boot, from `/proc/stat`.
fn machine_jiffies() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(cpu) = stat.lines().find(|l| l.starts_with("cpu ")) else {
        return (0.0, 0.0);
    };
    // user nice system idle iowait irq softirq steal ...
    let fields: Vec<f64> = cpu
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    let total: f64 = fields.iter().take(8).sum();
    let idle = fields.get(3).copied().unwrap_or(0.0) + fields.get(4).copied().unwrap_or(0.0);
    (total - idle, total)
}

/// Measures the machine (busy share) and the mock around `work`.
struct Around {
    mock_cpu: f64,
    http: u64,
    jiffies: (f64, f64),
}

impl Around {
    fn start(mock: &mut Mock) -> Self {
        Self {
            mock_cpu: mock.cpu(),
            http: mock.requests(),
            jiffies: machine_jiffies(),
        }
    }

    /// (mock CPU, HTTP requests, busy share) since `start`.
    fn finish(self, mock: &mut Mock) -> (f64, u64, f64) {
        let (busy, total) = machine_jiffies();
        let share = (busy - self.jiffies.0) / (total - self.jiffies.1).max(1.0);
        (
            mock.cpu() - self.mock_cpu,
            mock.requests() - self.http,
            share,
        )
    }
}

/// CPU seconds (user + system, user) of this process, all threads.
fn own_cpu() -> (f64, f64) {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a whole `rusage` into the pointer it is given.
    let usage = unsafe {
        assert_eq!(libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()), 0);
        usage.assume_init()
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let user = secs(usage.ru_utime);
    (user + secs(usage.ru_stime), user)
}

/// Measures `work` (which returns done and errors) from this process.
fn measure(mock: &mut Mock, label: String, work: impl FnOnce() -> (u64, u64)) -> Row {
    let around = Around::start(mock);
    let (cpu0, wall0) = (own_cpu(), Instant::now());
    let (done, errors) = work();
    let (wall, cpu1) = (wall0.elapsed().as_secs_f64(), own_cpu());
    let (mock_cpu, http, busy) = around.finish(mock);
    Row {
        label,
        done,
        errors,
        wall,
        client_cpu: cpu1.0 - cpu0.0,
        client_user: cpu1.1 - cpu0.1,
        mock_cpu,
        http,
        busy,
        rust: true,
    }
}

fn rust_sync(runtime: &Runtime, client: &Client, mock: &mut Mock, tasks: usize, secs: f64) -> Row {
    // Warm-up: one call per task opens the connections the run reuses.
    runtime.block_on(sync_loop(client, tasks, None));
    measure(mock, format!("Rust `Client::run` ×{tasks} tasks"), || {
        let deadline = Instant::now() + Duration::from_secs_f64(secs);
        runtime.block_on(sync_loop(client, tasks, Some(deadline)))
    })
}

/// `tasks` tasks calling `run` until `deadline` (or once each).
async fn sync_loop(client: &Client, tasks: usize, deadline: Option<Instant>) -> (u64, u64) {
    let mut set = JoinSet::new();
    for _ in 0..tasks {
        let client = client.clone();
        set.spawn(async move {
            let request = request();
            let (mut done, mut errors) = (0, 0);
            loop {
                match client.run(&request).await {
                    Ok(image) if image.bytes().starts_with(PNG_MAGIC) => done += 1,
                    Ok(_) => errors += 1,
                    Err(e) => {
                        if errors == 0 {
                            eprintln!("Rust run: {e}");
                        }
                        errors += 1;
                    }
                }
                if deadline.is_none_or(|d| Instant::now() >= d) {
                    return (done, errors);
                }
            }
        });
    }
    sum(set.join_all().await)
}

fn rust_jobs(runtime: &Runtime, client: &Client, mock: &mut Mock) -> Row {
    runtime.block_on(sync_loop(client, JOBS, None));
    let label = format!("Rust `submit`+`Job::wait` (50 ms polls) ×{JOBS} tasks");
    measure(mock, label, || {
        let mut total = (0, 0);
        for _ in 0..JOB_ROUNDS {
            let (done, errors) = runtime.block_on(jobs_round(client));
            total = (total.0 + done, total.1 + errors);
        }
        total
    })
}

async fn jobs_round(client: &Client) -> (u64, u64) {
    let options = WaitOptions::new()
        .interval(POLL_INTERVAL)
        .timeout(Duration::from_secs(120));
    let mut set = JoinSet::new();
    for _ in 0..JOBS {
        let (client, options) = (client.clone(), options.clone());
        set.spawn(async move {
            let job = client.submit(&request()).await?;
            job.wait_with(options).await
        });
    }
    let outcomes = set.join_all().await;
    let done = outcomes
        .iter()
        .filter(|r| r.as_ref().is_ok_and(|r| r.output.is_some()))
        .count() as u64;
    if let Some(Err(e)) = outcomes.iter().find(|r| r.is_err()) {
        eprintln!("Rust job: {e}");
    }
    (done, JOBS as u64 - done)
}

/// The mock's own throughput: many plain reqwest clients posting the
/// pre-serialized body and reading the whole image.
fn mock_capacity(runtime: &Runtime, mock: &mut Mock, secs: f64) -> Row {
    let url = format!("{}/v1/{SLUG}", mock.url);
    let body = bytes_body();
    let clients: Vec<reqwest::Client> = (0..MOCK_CLIENTS)
        .map(|_| reqwest::Client::builder().build().expect("reqwest"))
        .collect();
    let drive =
        |deadline: Option<Instant>| runtime.block_on(hammer(&clients, &url, body, deadline));
    drive(None);
    let label = format!(
        "mock: sync images, {MOCK_CONCURRENCY} requests over {MOCK_CLIENTS} reqwest clients"
    );
    measure(mock, label, || {
        drive(Some(Instant::now() + Duration::from_secs_f64(secs)))
    })
}

/// `MOCK_CONCURRENCY` tasks over `clients`, posting until `deadline` (or once each).
async fn hammer(
    clients: &[reqwest::Client],
    url: &str,
    body: &'static [u8],
    deadline: Option<Instant>,
) -> (u64, u64) {
    let mut set = JoinSet::new();
    for i in 0..MOCK_CONCURRENCY {
        let (http, url) = (clients[i % clients.len()].clone(), url.to_owned());
        set.spawn(async move {
            let (mut done, mut errors) = (0, 0);
            loop {
                let answer = http
                    .post(&url)
                    .header("x-api-key", KEY)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await;
                let ok = match answer {
                    Ok(r) if r.status().is_success() => {
                        r.bytes().await.is_ok_and(|b| b.starts_with(PNG_MAGIC))
                    }
                    _ => false,
                };
                if ok {
                    done += 1;
                } else {
                    errors += 1;
                }
                if deadline.is_none_or(|d| Instant::now() >= d) {
                    return (done, errors);
                }
            }
        });
    }
    sum(set.join_all().await)
}

/// The request body, serialized once (leaked: it lives as long as the bench).
fn bytes_body() -> &'static [u8] {
    Box::leak(
        serde_json::to_vec(&request())
            .expect("body")
            .into_boxed_slice(),
    )
}

fn sum(parts: Vec<(u64, u64)>) -> (u64, u64) {
    parts
        .into_iter()
        .fold((0, 0), |(d, e), (d2, e2)| (d + d2, e + e2))
}

/// Runs `sdk_bench.py` with `args`; the mock is sampled between its
/// warm-up and its JSON answer.
fn python_run(python: &PathBuf, mock: &mut Mock, label: &str, args: &[&str]) -> Row {
    let mut hosts = std::env::var("NO_PROXY").unwrap_or_default();
    if !hosts.is_empty() {
        hosts.push(',');
    }
    hosts.push_str("127.0.0.1,localhost");
    let mut child = Command::new(python)
        .arg(segmind_ideogram_tests::root().join("tests/python/sdk_bench.py"))
        .arg(format!("{}/v1", mock.url))
        .args(args)
        .arg("--handshake")
        .env("SEGMIND_API_KEY", KEY)
        .env("NO_PROXY", &hosts)
        .env("no_proxy", &hosts)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start sdk_bench.py");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut next = || {
        lines
            .next()
            .and_then(Result::ok)
            .expect("a line from sdk_bench.py")
    };
    assert_eq!(next().trim(), "WARM", "sdk_bench.py handshake");
    let around = Around::start(mock);
    writeln!(stdin, "GO").expect("start the measured part");
    let answer: Value = serde_json::from_str(&next()).expect("sdk_bench.py JSON");
    let (mock_cpu, http, busy) = around.finish(mock);
    drop(stdin);
    let _ = child.wait();
    if let Some(error) = answer["first_error"].as_str() {
        eprintln!("SDK: {error}");
    }
    Row {
        label: label.to_owned(),
        done: answer["requests"].as_u64().unwrap_or(0),
        errors: answer["errors"].as_u64().unwrap_or(0),
        wall: answer["wall_s"].as_f64().unwrap_or(f64::NAN),
        client_cpu: answer["cpu_s"].as_f64().unwrap_or(f64::NAN),
        client_user: answer["user_s"].as_f64().unwrap_or(f64::NAN),
        mock_cpu,
        http,
        busy,
        rust: false,
    }
}

/// The mock in a child process: this binary with `--serve-mock`.
struct Mock {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    url: String,
    pid: u32,
    ticks_per_second: f64,
}

impl Mock {
    fn spawn() -> Self {
        let mut child = Command::new(std::env::current_exe().expect("own path"))
            .arg("--serve-mock")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the mock process");
        let stdin = child.stdin.take();
        let mut stdout = BufReader::new(child.stdout.take().expect("mock stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("mock URL");
        let url = line
            .trim()
            .strip_prefix("MOCK_URL ")
            .unwrap_or_else(|| panic!("unexpected first line from the mock: {line:?}"))
            .to_owned();
        // SAFETY: sysconf has no preconditions.
        let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        Self {
            pid: child.id(),
            child,
            stdin,
            stdout,
            url,
            ticks_per_second: if ticks > 0 { ticks as f64 } else { 100.0 },
        }
    }

    /// CPU seconds (user + system) the mock process has used.
    fn cpu(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).unwrap_or_default();
        // Fields after the command name, which ends at the last ')':
        // state is field 3, utime 14, stime 15.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        (ticks(11) + ticks(12)) / self.ticks_per_second
    }

    /// API requests the mock has received.
    fn requests(&mut self) -> u64 {
        let stdin = self.stdin.as_mut().expect("mock stdin");
        writeln!(stdin, "stats").expect("ask the mock");
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("mock stats");
        line.trim()
            .strip_prefix("STATS ")
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("unexpected stats line from the mock: {line:?}"))
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        // Closing its stdin stops the mock.
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

/// `--serve-mock`: serve until stdin closes; `stats` asks for the count of
/// API requests received.
fn serve_mock() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("mock runtime");
    let server = runtime
        .block_on(
            MockServer::builder()
                .job_latency(JOB_LATENCY, JOB_LATENCY)
                .initial_credits(1e12)
                .start(),
        )
        .expect("start the mock");
    let server = Arc::new(server);
    let mut out = std::io::stdout().lock();
    writeln!(out, "MOCK_URL {}", server.base_url()).expect("stdout");
    out.flush().expect("stdout");
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if line.trim() == "stats" {
            writeln!(out, "STATS {}", server.requests_received()).expect("stdout");
            out.flush().expect("stdout");
        }
    }
    drop(server);
    runtime.shutdown_timeout(Duration::from_secs(1));
}

/// The Markdown section for BENCHMARKS.md.
fn report(rows: &[Row], capacity: &Row, png_bytes: usize, python: bool, took: Duration) -> String {
    let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let mut md = String::new();
    let _ = writeln!(
        md,
        "## The Rust client against the official Python SDK\n\n\
         `cargo bench -p segmind-ideogram-tests --bench sdk_compare` (about {:.0} s here; \
         add `-- --markdown FILE` to write this section). {cores} cores ({cpu_model}); \
         client, mock and SDK share them. Release build.\n",
        took.as_secs_f64()
    );
    let _ = writeln!(
        md,
        "One `segmind-ideogram-mock` in a process of its own (faults off, jobs 20 ms QUEUED + \
         20 ms PROCESSING). Every client sends `{{\"prompt\":\"{PROMPT}\"}}` to `{SLUG}` and gets \
         the same cached 1024×1024 PNG ({png_bytes} bytes). CPU is user + system time: the Rust \
         client's from `getrusage(RUSAGE_SELF)` of the bench process (only the client runs in \
         it), the SDK's from `getrusage` inside `tests/python/sdk_bench.py` after its warm-up, \
         the mock's from `/proc/<pid>/stat`. The SDK shares one `SegmindClient` across a \
         `ThreadPoolExecutor`; the Rust client is cloned across tokio tasks. Jobs: both poll \
         every 50 ms ({JOB_ROUNDS} rounds of {JOBS} concurrent jobs, no image download); the \
         SDK's `client.run` cannot change its fixed 1 s cadence, so it has a row of its own.\n"
    );
    md.push_str(
        "| what | done | ops/s | client CPU per op | of which user space | client CPU per HTTP request | mock CPU per op | HTTP requests per op | cores busy: all / client + mock |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    let mut others = 0.0_f64;
    for row in rows.iter().chain([capacity]) {
        let errors = if row.errors > 0 {
            format!(" ({} errors)", row.errors)
        } else {
            String::new()
        };
        let all = row.busy * cores as f64;
        let ours = (row.client_cpu + row.mock_cpu) / row.wall;
        others = others.max(all - ours);
        let _ = writeln!(
            md,
            "| {} | {}{errors} | {:.0} | {} | {} | {} | {} | {:.2} | {all:.2} / {ours:.2} |",
            row.label,
            row.done,
            row.per_second(),
            micros(row.client_cpu_per_op()),
            micros(row.client_user_per_op()),
            micros(row.client_cpu_per_http()),
            micros(row.mock_cpu_per_op()),
            row.http_per_op(),
        );
    }
    let _ = writeln!(
        md,
        "\nops: sync calls, or jobs completed. CPU is user + system time unless said; \
         moving a {png_bytes}-byte body through loopback TCP is kernel (system) time for \
         every client. \"cores busy\" is from `/proc/stat` (all \
         processes, kernel included) against what the client and the mock used; the difference \
         is CPU used outside those two processes (other programs, kernel threads): up to \
         {others:.2} cores in this run. Throughput moves with such load, and so does the CPU \
         per op of the ×1 rows (one request at a time between two processes): compare runs \
         on a quiet machine.",
    );
    let _ = writeln!(
        md,
        "\nThe mock alone: {:.0} sync image answers/s while sharing the cores with its \
         {MOCK_CONCURRENCY} clients (target ≥ 2,000/s {}); at {} of mock CPU per answer, \
         {cores} dedicated cores would serve about {:.0}/s.\n",
        capacity.per_second(),
        if capacity.per_second() >= 2000.0 {
            "✅"
        } else {
            "❌"
        },
        micros(capacity.mock_cpu_per_op()),
        cores as f64 / capacity.mock_cpu_per_op().max(1e-9),
    );
    if !python {
        md.push_str(
            "The Python SDK was left out (`--no-python`, a smoke run, or its venv could not be set up): its rows are missing.\n",
        );
        return md;
    }
    md.push_str(
        "Throughput per client CPU second (ops per client CPU second), Rust over the SDK \
         (target ≥ 10×), with all CPU time and with user-space time only (the clients' own \
         code, without the kernel's socket work):\n\n\
         | comparison | Rust ops per CPU s | SDK ops per CPU s | ratio | ratio, user space only |\n\
         |---|---|---|---|---|\n",
    );
    let pairs = [
        ("sync `run` ×1", 0, 1),
        ("sync `run` ×32", 2, 3),
        ("jobs, 50 ms polls ×200", 4, 5),
        ("jobs, SDK `client.run` ×200", 4, 6),
    ];
    for (what, r, p) in pairs {
        let (Some(rust), Some(sdk)) = (rows.get(r), rows.get(p)) else {
            continue;
        };
        debug_assert!(rust.rust && !sdk.rust);
        let (a, b) = (
            1.0 / rust.client_cpu_per_op(),
            1.0 / sdk.client_cpu_per_op(),
        );
        let user = sdk.client_user_per_op() / rust.client_user_per_op();
        let _ = writeln!(
            md,
            "| {what} | {a:.0} | {b:.0} | {:.1}× {} | {user:.1}× |",
            a / b,
            if a / b >= 10.0 { "✅" } else { "❌" }
        );
    }
    md
}

fn micros(seconds: f64) -> String {
    if seconds >= 1e-3 {
        format!("{:.2} ms", seconds * 1e3)
    } else {
        format!("{:.0} µs", seconds * 1e6)
    }
}
