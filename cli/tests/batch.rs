//! `ideogram batch` as a process: what only a process shows (SIGKILL at
//! random moments, SIGINT and SIGTERM, two processes on one folder, the
//! exit codes and the one-line errors). What the batch decides about money
//! is tested in the ledger crate (`ledger/tests/`), in-process.

use crate::common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{
    batch_command, each_once, pngs, records, run_batch, text, write_lines, write_prompts,
};
use segmind_ideogram_mock::MockServer;
use serde_json::json;

fn mock() -> segmind_ideogram_mock::MockBuilder {
    MockServer::builder()
        .api_key(common::KEY)
        .job_latency(Duration::from_millis(20), Duration::from_millis(40))
        .initial_credits(1e6)
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Sends `signal` to `child` and waits for it; returns its exit code and
/// how long it took to exit.
async fn signal(child: std::process::Child, signal: &str) -> (std::process::Output, Duration) {
    let sent = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let signalled = Instant::now();
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    (output, signalled.elapsed())
}

/// Waits until the journal in `out` holds a record of `kind`.
async fn until_recorded(out: &std::path::Path, kind: &str) {
    let started = Instant::now();
    while records(out, kind).is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no {kind} record was written"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lines_through_rate_limits_and_server_errors_are_each_done_once() {
    let server = mock()
        .job_latency(Duration::from_millis(10), Duration::from_millis(20))
        .rate_limit(60, Duration::from_secs(1))
        .server_error_rate(0.05)
        .seed(11)
        .start()
        .await
        .unwrap();
    let (_dir, lines, out) = common::folder();
    write_lines(&lines, 32);
    let flags = ["--concurrency", "16", "--rate-window", "1"];
    let output = run_batch(&server, &lines, &out, &flags).await;
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        stdout(&output).contains("batch: 32 done (0 from an earlier run), 0 failed"),
        "{}",
        text(&output)
    );
    assert_eq!(pngs(&out), 32);
    assert!(out.join("reframe-2.png").exists());
    assert_eq!(records(&out, "done").len(), 32);
    // The faults really happened, and every line was still submitted once.
    assert!(server.server_errors() > 0, "no 5xx was injected");
    assert_eq!(each_once(&server), 32);
    assert_eq!(server.jobs_submitted(), 32);
    // The money summary reads as money.
    assert!(!stdout(&output).contains("$-"), "{}", text(&output));

    // A rerun has nothing left to do and submits nothing.
    let output = run_batch(&server, &lines, &out, &flags).await;
    assert!(output.status.success(), "{}", text(&output));
    assert!(stdout(&output).contains("batch: 32 done (32 from an earlier run)"));
    assert_eq!(server.jobs_submitted(), 32);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kills_at_random_moments_then_a_rerun_submit_each_line_once() {
    let server = mock().start().await.unwrap();
    let (_dir, lines, out) = common::folder();
    write_lines(&lines, 60);
    // A fixed sequence of "random" moments, so a failure repeats.
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..10 {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let after = Duration::from_millis(150 + (seed >> 33) % 500);
        let mut child = batch_command(&lines, &out, server.base_url(), &["--concurrency", "8"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(after).await;
        // SIGKILL: no chance to finish anything.
        let _ = child.kill();
        tokio::task::spawn_blocking(move || child.wait().unwrap())
            .await
            .unwrap();
    }
    let last = run_batch(&server, &lines, &out, &["--concurrency", "8"]).await;
    assert!(last.status.success(), "{}", text(&last));
    assert!(stdout(&last).contains("batch: 60 done"), "{}", text(&last));
    assert_eq!(pngs(&out), 60);
    assert_eq!(
        each_once(&server),
        60,
        "every line was submitted, none twice"
    );
    assert_eq!(server.jobs_submitted(), 60);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_a_batch_and_the_rerun_resumes_it() {
    let server = mock()
        .job_latency(Duration::from_millis(100), Duration::from_millis(150))
        .start()
        .await
        .unwrap();
    let (_dir, lines, out) = common::folder();
    write_lines(&lines, 40);
    let child = batch_command(&lines, &out, server.base_url(), &["--concurrency", "4"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while records(&out, "done").len() < 8 {
        assert!(started.elapsed() < Duration::from_secs(60), "no progress");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (output, took) = signal(child, "-TERM").await;
    assert_eq!(
        output.status.code(),
        Some(130),
        "interrupted batches exit 130"
    );
    assert!(took < Duration::from_secs(3), "took {took:?}");
    let done_before = records(&out, "done").len();
    assert!(done_before < 40, "finished before it was interrupted");
    let rerun = run_batch(&server, &lines, &out, &["--concurrency", "4"]).await;
    assert!(rerun.status.success(), "{}", text(&rerun));
    assert!(
        stdout(&rerun).contains(&format!(
            "batch: 40 done ({done_before} from an earlier run)"
        )),
        "{}",
        text(&rerun)
    );
    assert_eq!(each_once(&server), 40);
    assert_eq!(server.jobs_submitted(), 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_batches_on_one_folder_the_second_refuses() {
    let server = mock()
        .job_latency(Duration::from_millis(500), Duration::from_millis(500))
        .start()
        .await
        .unwrap();
    let (_dir, lines, out) = common::folder();
    write_prompts(&lines, 8);
    let mut first = batch_command(&lines, &out, server.base_url(), &["--concurrency", "8"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    until_recorded(&out, "intent").await;
    let second = run_batch(&server, &lines, &out, &[]).await;
    assert_eq!(second.status.code(), Some(2), "{}", text(&second));
    let line = stderr(&second);
    assert_eq!(line.trim().lines().count(), 1, "{line}");
    assert!(
        line.contains("another `ideogram batch` is running in"),
        "{line}"
    );
    let status = tokio::task::spawn_blocking(move || first.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success());
    assert_eq!(server.jobs_submitted(), 8);
    assert_eq!(each_once(&server), 8);
}

/// Ctrl-C while a POST hangs: the batch exits promptly, and the attempt is
/// in the journal, so the rerun looks it up instead of paying again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_with_a_post_in_flight_exits_promptly() {
    let server = mock()
        .added_latency(Duration::from_secs(30))
        .start()
        .await
        .unwrap();
    let (_dir, lines, out) = common::folder();
    write_prompts(&lines, 1);
    let child = batch_command(&lines, &out, server.base_url(), &["--no-credit-check"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    until_recorded(&out, "sending").await;
    let (output, took) = signal(child, "-INT").await;
    assert_eq!(output.status.code(), Some(130), "{}", text(&output));
    // Not a timing target: the request hangs for 30 s.
    assert!(took < Duration::from_secs(4), "took {took:?}");
    assert!(records(&out, "accepted").is_empty());
    assert_eq!(records(&out, "sending").len(), 1, "the attempt is recorded");
}

/// Absurd `Retry-After` values are capped, and Ctrl-C ends the wait: the
/// lines never sent are recorded as such.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_absurd_retry_after_is_capped_and_ctrl_c_ends_the_wait() {
    for retry_after in ["999999999", "1e19"] {
        let server = mock()
            .rate_limit(2, Duration::from_secs(3600))
            .retry_after(retry_after)
            .start()
            .await
            .unwrap();
        let (_dir, lines, out) = common::folder();
        write_prompts(&lines, 6);
        let child = batch_command(&lines, &out, server.base_url(), &["--concurrency", "2"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while server.rate_limited() == 0 {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "no 429 was sent"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (output, took) = signal(child, "-INT").await;
        assert!(
            took < Duration::from_secs(2),
            "{retry_after}: took {took:?}"
        );
        assert_eq!(
            output.status.code(),
            Some(130),
            "{retry_after}: {}",
            text(&output)
        );
        assert!(!stderr(&output).contains("panicked"), "{}", text(&output));
        assert_eq!(server.jobs_submitted(), 2);
        // Every line is accounted for: two jobs, the rest never sent.
        assert_eq!(records(&out, "accepted").len(), 2, "{}", text(&output));
        let open_intents = records(&out, "intent").len()
            - records(&out, "accepted").len()
            - records(&out, "not_sent").len();
        assert_eq!(open_intents, 0, "{}", text(&output));
    }
}

/// Lines without an `"id"` are named after their request: deleting a
/// finished line, or inserting one, renames no other line, so the rerun
/// pays only for the new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_the_input_renames_no_line_and_repays_nothing() {
    let server = mock().start().await.unwrap();
    let (_dir, lines, out) = common::folder();
    write_prompts(&lines, 4);
    let first = run_batch(&server, &lines, &out, &[]).await;
    assert!(first.status.success(), "{}", text(&first));
    assert_eq!(server.jobs_submitted(), 4);
    let input = std::fs::read_to_string(&lines).unwrap();
    let new = json!({"endpoint": "txt-2-img", "request": {"prompt": "new"}});
    let edited: String = std::iter::once(new.to_string())
        .chain(input.lines().skip(1).map(str::to_owned))
        .map(|l| l + "\n")
        .collect();
    std::fs::write(&lines, edited).unwrap();
    let second = run_batch(&server, &lines, &out, &[]).await;
    assert!(second.status.success(), "{}", text(&second));
    assert!(
        stdout(&second).contains("batch: 4 done (3 from an earlier run)"),
        "{}",
        text(&second)
    );
    assert_eq!(server.jobs_submitted(), 5, "only the new line was paid for");
}

/// A wrong key: one answer, exit 3, one line on stderr.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_stops_the_batch_with_one_line() {
    let server = MockServer::builder()
        .api_key("the-right-key")
        .start()
        .await
        .unwrap();
    let (_dir, lines, out) = common::folder();
    write_prompts(&lines, 30);
    let output = run_batch(&server, &lines, &out, &[]).await;
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert_eq!(
        server.requests_received(),
        1,
        "the credit check's 401 stops it"
    );
    let last = stderr(&output)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned();
    assert!(
        last.starts_with("ideogram: batch stopped:") && last.contains("401"),
        "{last}"
    );
}

/// A budget: exit 7, the lines it left listed, the money shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_stops_the_batch_with_exit_7() {
    let server = mock().start().await.unwrap();
    let (_dir, lines, out) = common::folder();
    write_prompts(&lines, 10);
    let output = run_batch(&server, &lines, &out, &["--max-spend", "0.35"]).await;
    assert_eq!(output.status.code(), Some(7), "{}", text(&output));
    assert!(
        stdout(&output).contains("of a $0.35 budget"),
        "{}",
        text(&output)
    );
    let done = pngs(&out);
    assert_eq!(
        stderr(&output).matches("over the budget").count(),
        10 - done,
        "{}",
        text(&output)
    );
    assert_eq!(server.jobs_submitted(), done);
}

/// Invalid lines stop the batch before anything is paid, every one listed
/// with its line number (exit 2); `--skip-invalid` runs the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_lines_stop_the_batch_before_anything_is_paid() {
    let server = mock().start().await.unwrap();
    let (_dir, lines, out) = common::folder();
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
    let refused = run_batch(&server, &lines, &out, &[]).await;
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    let err = stderr(&refused);
    assert!(err.contains("line 2 (line-00002): not valid JSON"), "{err}");
    assert!(
        err.contains("line 3 (line-00003): unknown endpoint `4-magic`"),
        "{err}"
    );
    assert!(
        err.contains(
            "line 4 (line-00004): invalid request (1 violation): seed: must be at least 100"
        ),
        "{err}"
    );
    assert!(err.contains("3 of the lines"), "{err}");
    assert_eq!(server.requests_received(), 0, "nothing was sent");
    assert!(!out.join("journal.jsonl").exists(), "nothing was written");

    let skipped = run_batch(&server, &lines, &out, &["--skip-invalid"]).await;
    assert_eq!(skipped.status.code(), Some(6), "{}", text(&skipped));
    assert!(
        stdout(&skipped).contains("batch: 2 done (0 from an earlier run), 3 failed"),
        "{}",
        text(&skipped)
    );
    assert_eq!(pngs(&out), 2);
    assert_eq!(server.jobs_submitted(), 2);
}

/// `--dry-run` prints the plan and sends nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_prints_the_plan_and_sends_nothing() {
    let server = mock().start().await.unwrap();
    let (_dir, lines, out) = common::folder();
    write_prompts(&lines, 3);
    assert!(run_batch(&server, &lines, &out, &[]).await.status.success());
    write_prompts(&lines, 5);
    let asked = server.requests_received();
    let output = run_batch(&server, &lines, &out, &["--dry-run", "--max-spend", "1"]).await;
    assert!(output.status.success(), "{}", text(&output));
    let plan = stdout(&output);
    assert!(plan.contains("5 line(s): 3 done, 2 to submit"), "{plan}");
    assert!(plan.contains("the budget has"), "{plan}");
    assert!(plan.contains("nothing was sent"), "{plan}");
    assert_eq!(server.requests_received(), asked);
    assert_eq!(server.jobs_submitted(), 3);
}

/// `--status` reads the journal (no lock needed) and sends nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_the_journal_and_sends_nothing() {
    let server = mock().start().await.unwrap();
    let (_dir, lines, out) = common::folder();
    write_prompts(&lines, 3);
    assert!(run_batch(&server, &lines, &out, &[]).await.status.success());
    // As if killed after the POSTs: intents and attempts only.
    let journal = out.join("journal.jsonl");
    let kept: String = std::fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .filter(|l| !l.contains(r#""record":"accepted""#) && !l.contains(r#""record":"done""#))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&journal, kept).unwrap();
    let asked = server.requests_received();
    let output = assert_cmd::Command::cargo_bin("ideogram")
        .unwrap()
        .args(["batch", "--status", "--out-dir"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output));
    let shown = stdout(&output);
    assert!(shown.contains("3 request(s): 0 done"), "{shown}");
    assert!(shown.contains("3 sent without an answer"), "{shown}");
    assert_eq!(
        shown.matches("sent, no answer recorded").count(),
        3,
        "{shown}"
    );
    assert_eq!(
        server.requests_received(),
        asked,
        "nothing was asked of Segmind"
    );
}
