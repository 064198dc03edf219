//! `ideogram batch` against a mock that injects 429s and 5xx: every line is
//! done exactly once, and a batch interrupted halfway resumes without
//! submitting any line twice.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use segmind_ideogram_mock::{MockServer, Mode};
use serde_json::{Value, json};

fn write_lines(path: &Path, n: usize) {
    let mut text = String::new();
    for i in 0..n {
        // Mixed endpoints, short names and full slugs, some with explicit ids.
        let line = match i % 4 {
            0 => json!({"endpoint": "txt-2-img", "request": {"prompt": format!("line {i}")}}),
            1 => {
                json!({"endpoint": "ideogram-turbo-img-2-img", "request": {"prompt": format!("line {i}"), "image_file": "https://example.com/in.png"}})
            }
            2 => {
                json!({"id": format!("reframe-{i}"), "endpoint": "3-reframe", "request": {"image": format!("https://example.com/line-{i}.png")}})
            }
            _ => {
                json!({"endpoint": "2a-img-2-img", "request": {"prompt": format!("line {i}"), "image_file": "https://example.com/in.png", "seed": 100 + i}})
            }
        };
        text.push_str(&line.to_string());
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

/// How many times each distinct body was queued.
fn submissions(server: &MockServer) -> HashMap<String, usize> {
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

fn manifest_events(dir: &Path, event: &str) -> usize {
    std::fs::read_to_string(dir.join("manifest.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["event"] == event)
        .count()
}

fn pngs(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            let path = e.as_ref().unwrap().path();
            path.extension().is_some_and(|x| x == "png")
                && std::fs::read(&path).unwrap().starts_with(b"\x89PNG")
        })
        .count()
}

fn batch_command(lines: &Path, out: &Path, base: &str, concurrency: &str) -> Process {
    let mut cmd = Process::new(assert_cmd::cargo::cargo_bin("ideogram"));
    cmd.env("SEGMIND_API_KEY", "batch-key")
        .args(["batch"])
        .arg(lines)
        .arg("--out-dir")
        .arg(out)
        .args([
            "--concurrency",
            concurrency,
            "--poll-interval",
            "0.02",
            "--base-url",
            base,
        ]);
    cmd
}

/// Runs the batch to completion off the async threads (the mock lives on them).
async fn run_batch(
    server: &MockServer,
    lines: &Path,
    out: &Path,
    concurrency: &'static str,
) -> std::process::Output {
    let (base, lines, out) = (
        server.base_url().to_owned(),
        lines.to_owned(),
        out.to_owned(),
    );
    tokio::task::spawn_blocking(move || {
        batch_command(&lines, &out, &base, concurrency)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_lines_with_rate_limits_and_server_errors_each_done_once() {
    let server = MockServer::builder()
        .api_key("batch-key")
        .job_latency(Duration::from_millis(10), Duration::from_millis(20))
        .rate_limit(60, Duration::from_secs(1))
        .server_error_rate(0.05)
        .seed(11)
        .initial_credits(1e6)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lines = dir.path().join("lines.jsonl");
    let out = dir.path().join("out");
    write_lines(&lines, 200);
    let output = run_batch(&server, &lines, &out, "16").await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("batch: 200 done (0 from an earlier run), 0 failed"),
        "{stdout}"
    );
    assert_eq!(pngs(&out), 200);
    assert!(out.join("reframe-2.png").exists());
    assert_eq!(manifest_events(&out, "done"), 200);
    let counts = submissions(&server);
    assert_eq!(counts.len(), 200, "every line submitted");
    assert!(
        counts.values().all(|n| *n == 1),
        "a line was submitted twice"
    );
    // The faults really happened: more requests reached the server than were accepted.
    assert!(
        server.requests_received() > 200 + 200,
        "faults did not bite: {}",
        server.requests_received()
    );

    // A rerun has nothing left to do and submits nothing.
    let output = run_batch(&server, &lines, &out, "16").await;
    assert!(output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stdout)
            .contains("batch: 200 done (200 from an earlier run)")
    );
    assert_eq!(server.jobs_submitted(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_killed_halfway_resumes_without_submitting_any_line_twice() {
    let server = MockServer::builder()
        .api_key("batch-key")
        .job_latency(Duration::from_millis(100), Duration::from_millis(150))
        .initial_credits(1e6)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lines = dir.path().join("lines.jsonl");
    let out = dir.path().join("out");
    write_lines(&lines, 60);

    let mut child = batch_command(&lines, &out, server.base_url(), "4")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while manifest_events(&out, "done") < 15 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "batch made no progress"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // SIGTERM, as `kill` sends it.
    let killed = Process::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert_eq!(status.code(), Some(130), "interrupted batches exit 130");
    let done_before = manifest_events(&out, "done");
    assert!(
        done_before < 60,
        "the batch finished before it was interrupted"
    );
    let submitted_before = server.jobs_submitted();

    let output = run_batch(&server, &lines, &out, "4").await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(&format!(
            "batch: 60 done ({done_before} from an earlier run)"
        )),
        "{stdout}"
    );
    assert_eq!(pngs(&out), 60);
    let counts = submissions(&server);
    assert_eq!(counts.len(), 60);
    assert!(
        counts.values().all(|n| *n == 1),
        "a line was submitted twice: {counts:?}"
    );
    assert!(
        server.jobs_submitted() - submitted_before < 60,
        "the rerun resubmitted finished lines"
    );
}

#[test]
fn bad_lines_fail_alone_and_the_exit_code_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let lines = dir.path().join("lines.jsonl");
    std::fs::write(
        &lines,
        [
            json!({"endpoint": "txt-2-img", "request": {"prompt": "fine"}}).to_string(),
            "{not json".to_owned(),
            json!({"endpoint": "4-magic", "request": {}}).to_string(),
            json!({"endpoint": "txt-2-img", "request": {"prompt": "x", "seed": 1}}).to_string(),
            json!({"endpoint": "txt-2-img", "request": {"prompt": "also fine"}}).to_string(),
        ]
        .join("\n"),
    )
    .unwrap();
    let out = dir.path().join("out");
    let output = assert_cmd::Command::cargo_bin("ideogram")
        .unwrap()
        .args(["batch", "--mock", "--poll-interval", "0.02", "--out-dir"])
        .arg(&out)
        .arg(&lines)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(6));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("batch: 2 done (0 from an earlier run), 3 failed"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("line-00004: invalid request (1 violation): seed: must be at least 100"),
        "{stderr}"
    );
    assert!(stderr.contains("unknown endpoint `4-magic`"), "{stderr}");
    assert_eq!(pngs(&out), 2);
}
