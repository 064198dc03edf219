//! `ideogram batch` on long inputs: how long before the first POST, and
//! the process's peak memory, for 10k, 100k and 1M lines.
//!
//! Two runs per size, each in its own child process (the release binary):
//! - `--dry-run`: the whole file checked (one pass) and the plan made;
//! - a real run against an in-process mock with `--max-spend 0.3`: the file
//!   checked, the first lines submitted (the time to the first POST is
//!   where the mock saw it), then every other line left over the budget,
//!   read again as the run goes.
//!
//! ```text
//! cargo bench -p ideogram-cli --bench scale                        # 10k and 100k lines
//! SCALE_LINES=10000,100000,1000000 cargo bench -p ideogram-cli --bench scale
//! ```
//!
//! Peak memory is each child's own maximum resident set (`wait4`).

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use segmind_ideogram_mock::{MockServer, Mode};

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let sizes: Vec<usize> = std::env::var("SCALE_LINES")
        .unwrap_or_else(|_| "10000,100000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    for lines in sizes {
        runtime.block_on(measure(lines));
    }
}

/// Runs `command` to its end: its exit code, how long it took, and its
/// own peak resident memory in MB (`wait4`'s usage of that one child).
// The child is waited for by `wait4`, which std's `Child` does not see.
#[allow(clippy::zombie_processes)]
fn measured(mut command: Command) -> (Option<i32>, Duration, u64) {
    let started = Instant::now();
    let child = command.spawn().expect("spawn");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 writes the status and the usage it is given; the child
    // is waited for here only (its `Child` is not waited on).
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let took = started.elapsed();
    let code = (waited == pid && libc::WIFEXITED(status)).then(|| libc::WEXITSTATUS(status));
    (
        code,
        took,
        u64::try_from(usage.ru_maxrss).unwrap_or(0) / 1024,
    )
}

async fn measure(lines: usize) {
    let dir = tempfile::Builder::new()
        .prefix("batch-scale")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("scratch");
    let input = dir.path().join("lines.jsonl");
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&input).expect("input"));
        for i in 0..lines {
            writeln!(
                out,
                r#"{{"endpoint":"txt-2-img","request":{{"prompt":"a lighthouse, variation {i}","seed":{}}}}}"#,
                100 + i % 999_000
            )
            .expect("write");
        }
    }
    let server = MockServer::builder()
        .api_key("bench-key")
        .job_latency(Duration::from_millis(20), Duration::from_millis(20))
        .initial_credits(1e9)
        .start()
        .await
        .expect("mock");
    let run = |extra: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ideogram"));
        command
            .env("SEGMIND_API_KEY", "bench-key")
            .arg("batch")
            .arg(&input)
            .arg("--out-dir")
            .arg(dir.path().join("out"))
            .args(["--base-url", server.base_url(), "--no-credit-check"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    };

    let dry = run(&["--dry-run"]);
    let (dry_code, dry_took, dry_peak) = tokio::task::spawn_blocking(move || measured(dry))
        .await
        .expect("join");
    let spawned = SystemTime::now();
    let real = run(&["--max-spend", "0.3"]);
    let (code, took, peak) = tokio::task::spawn_blocking(move || measured(real))
        .await
        .expect("join");
    let first_post = server
        .accepted()
        .into_iter()
        .filter(|a| a.mode == Mode::Queued)
        .map(|a| a.at)
        .min()
        .and_then(|at| at.duration_since(spawned).ok());
    println!(
        "{lines:>8} lines: --dry-run {:.2} s, peak {dry_peak} MB (exit {dry_code:?}); a run: first POST after {}, \
         {:.2} s in all, peak {peak} MB, {} jobs (exit {code:?})",
        dry_took.as_secs_f64(),
        first_post.map_or("none".to_owned(), |d| format!("{:.2} s", d.as_secs_f64())),
        took.as_secs_f64(),
        server.jobs_submitted(),
    );
}
