//! `ideogram batch` against a mock that injects 429s and 5xx: every line is
//! done exactly once, and a batch interrupted halfway resumes without
//! submitting any line twice.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{batch_command, each_once, pngs, records, run_batch, text, write_lines};
use segmind_ideogram_mock::MockServer;
use serde_json::json;

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
    let flags = ["--concurrency", "16", "--rate-window", "1"];
    let output = run_batch(&server, &lines, &out, &flags).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        stdout.contains("batch: 200 done (0 from an earlier run), 0 failed"),
        "{stdout}"
    );
    assert_eq!(pngs(&out), 200);
    assert!(out.join("reframe-2.png").exists());
    assert_eq!(records(&out, "done").len(), 200);
    assert_eq!(each_once(&server), 200, "every line submitted");
    // The faults really happened, and every line was still submitted once.
    assert!(server.server_errors() > 0, "no 5xx was injected");
    assert_eq!(server.jobs_submitted(), 200);

    // A rerun has nothing left to do and submits nothing.
    let output = run_batch(&server, &lines, &out, &flags).await;
    assert!(output.status.success(), "{}", text(&output));
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

    let mut child = batch_command(&lines, &out, server.base_url(), &["--concurrency", "4"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while records(&out, "done").len() < 15 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "batch made no progress"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // SIGTERM, as `kill` sends it.
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert_eq!(status.code(), Some(130), "interrupted batches exit 130");
    let done_before = records(&out, "done").len();
    assert!(
        done_before < 60,
        "the batch finished before it was interrupted"
    );
    let submitted_before = server.jobs_submitted();

    let output = run_batch(&server, &lines, &out, &["--concurrency", "4"]).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        stdout.contains(&format!(
            "batch: 60 done ({done_before} from an earlier run)"
        )),
        "{stdout}"
    );
    assert_eq!(pngs(&out), 60);
    assert_eq!(each_once(&server), 60);
    assert_eq!(
        server.jobs_submitted(),
        60,
        "a line was submitted twice (before the kill: {submitted_before})"
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
        stderr.contains(
            "line-00004: failed: invalid request (1 violation): seed: must be at least 100"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("unknown endpoint `4-magic`"), "{stderr}");
    assert_eq!(pngs(&out), 2);
}
