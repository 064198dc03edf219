//! Waits on 1,000 queued jobs at once against a local stand-in for Segmind,
//! and reports the client's peak memory and CPU time per poll.
//!
//! The server runs in a child process (this same binary with `--serve`), so
//! the numbers are the client's alone. Linux only (reads `/proc/self`).
//!
//! ```text
//! cargo run --release -p segmind-ideogram --example wait_many -- [JOBS] [POLLS_PER_JOB]
//! ```

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use segmind_ideogram::{Client, WaitOptions};

type Polls = Arc<Mutex<HashMap<String, u32>>>;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--serve") {
        let polls_per_job = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(5);
        return serve(polls_per_job);
    }
    let jobs: usize = args.first().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let polls_per_job: u32 = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(5);

    let mut server = Command::new(std::env::current_exe()?)
        .args(["--serve", &polls_per_job.to_string()])
        .stdout(Stdio::piped())
        .spawn()?;
    let mut port = String::new();
    BufReader::new(server.stdout.take().ok_or("no stdout")?).read_line(&mut port)?;
    let base = format!("http://127.0.0.1:{}", port.trim());

    let outcome = measure(&base, jobs, polls_per_job);
    server.kill()?;
    server.wait()?;
    outcome
}

fn measure(base: &str, jobs: usize, polls_per_job: u32) -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let client = Client::builder()
        .api_key("example-key")
        .base_url(base)
        .build()?;
    let options = WaitOptions::new()
        .interval(Duration::from_millis(100))
        .timeout(Duration::from_secs(120));

    let hwm_before = proc_status_kb("VmHWM");
    let cpu_before = cpu_time();
    let started = Instant::now();
    let completed = runtime.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for i in 0..jobs {
            let job = client.job(format!("job-{i}"))?;
            let options = options.clone();
            set.spawn(async move { job.wait_with(options).await });
        }
        let mut completed = 0usize;
        while let Some(done) = set.join_next().await {
            done.map_err(|e| e.to_string())??;
            completed += 1;
        }
        Ok::<_, Box<dyn std::error::Error>>(completed)
    })?;
    let wall = started.elapsed();
    let cpu = cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    // Each job: `polls_per_job` status polls, then one result request.
    let requests = jobs as u64 * (u64::from(polls_per_job) + 1);

    println!("jobs completed:      {completed}");
    println!("HTTP requests:       {requests} ({polls_per_job} status polls + 1 result per job)");
    println!("wall time:           {:.2} s", wall.as_secs_f64());
    if let Some(cpu) = cpu {
        println!("client CPU time:     {:.3} s", cpu.as_secs_f64());
        println!(
            "CPU per request:     {:.1} µs",
            cpu.as_secs_f64() * 1e6 / requests as f64
        );
    }
    if let (Some(before), Some(after)) = (hwm_before, proc_status_kb("VmHWM")) {
        println!(
            "peak RSS (VmHWM):    {:.1} MiB (before the jobs: {:.1} MiB)",
            after as f64 / 1024.0,
            before as f64 / 1024.0
        );
    }
    Ok(())
}

/// A stand-in for Segmind's v2 job routes: each job is PROCESSING until it
/// has been polled `polls_per_job` times.
fn serve(polls_per_job: u32) -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!("{}", listener.local_addr()?.port());
        let polls: Polls = Arc::default();
        let app = Router::new()
            .route(
                "/v2/requests/{id}/status",
                get(move |Path(id): Path<String>, State(polls): State<Polls>| async move {
                    let n = {
                        let mut polls = polls.lock().unwrap_or_else(|e| e.into_inner());
                        let n = polls.entry(id.clone()).or_insert(0);
                        *n += 1;
                        *n
                    };
                    let status = if n >= polls_per_job { "COMPLETED" } else { "PROCESSING" };
                    json(format!(r#"{{"request_id":"{id}","status":"{status}"}}"#))
                }),
            )
            .route(
                "/v2/requests/{id}",
                get(|Path(id): Path<String>| async move {
                    json(format!(
                        r#"{{"request_id":"{id}","status":"COMPLETED","output":"https://cdn.example/{id}.png","metrics":{{"cost":0.08}}}}"#
                    ))
                }),
            )
            .with_state(polls);
        axum::serve(listener, app).await?;
        Ok(())
    })
}

fn json(body: String) -> ([(axum::http::HeaderName, &'static str); 1], String) {
    ([(CONTENT_TYPE, "application/json")], body)
}

/// A `kB` line of `/proc/self/status`.
fn proc_status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// User plus system CPU time of this process, from `/proc/self/stat`.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields overall, in clock ticks (100 per second on Linux).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}
