//! The batch spends the user's money at most once per line, against a
//! hostile world: a full disk, HTML where JSON belongs, two runs on one
//! folder, kills at random moments, absurd waits, torn journals, budgets,
//! credits, rate limits and a wrong key. Every test counts what the server
//! received.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{
    batch_command, each_once, pngs, records, run_batch, text, write_lines, write_prompts,
};
use segmind_ideogram_mock::MockServer;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_while_saving_keeps_the_job_and_the_rerun_pays_nothing() {
    let server = mock().start().await.unwrap();
    let (_dir, lines, out) = common::folder();
    write_prompts(&lines, 12);
    std::fs::create_dir_all(&out).unwrap();
    // Writing these images fails as a full disk does: ENOSPC.
    for n in [2, 5, 7, 11] {
        std::os::unix::fs::symlink("/dev/full", out.join(format!("line-{n:05}.png"))).unwrap();
    }
    let first = run_batch(&server, &lines, &out, &["--concurrency", "4"]).await;
    assert_eq!(first.status.code(), Some(6), "{}", text(&first));
    assert!(
        stderr(&first).contains("No space left on device"),
        "{}",
        text(&first)
    );
    assert_eq!(records(&out, "trouble").len(), 4);
    assert_eq!(server.jobs_submitted(), 12);

    for n in [2, 5, 7, 11] {
        std::fs::remove_file(out.join(format!("line-{n:05}.png"))).unwrap();
    }
    let second = run_batch(&server, &lines, &out, &[]).await;
    assert!(second.status.success(), "{}", text(&second));
    assert!(
        stdout(&second).contains("batch: 12 done (8 from an earlier run)"),
        "{}",
        text(&second)
    );
    assert_eq!(pngs(&out), 12);
    assert_eq!(
        server.jobs_submitted(),
        12,
        "the rerun resumed the four jobs"
    );
    assert_eq!(each_once(&server), 12);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_where_json_belongs_never_costs_a_second_job() {
    let server = mock().garbage_poll_rate(0.5).seed(3).start().await.unwrap();
    let (_dir, lines, out) = common::folder();
    write_lines(&lines, 20);
    let mut runs = 0;
    loop {
        runs += 1;
        let output = run_batch(&server, &lines, &out, &["--concurrency", "4"]).await;
        if output.status.success() {
            break;
        }
        assert_eq!(output.status.code(), Some(6), "{}", text(&output));
        assert!(runs < 6, "the batch does not converge: {}", text(&output));
    }
    assert_eq!(pngs(&out), 20);
    assert_eq!(server.jobs_submitted(), 20);
    assert_eq!(each_once(&server), 20);
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
    let started = Instant::now();
    while records(&out, "intent").is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the first batch never started"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kills_at_random_moments_then_a_rerun_submit_each_line_once() {
    let server = mock().start().await.unwrap();
    let (_dir, lines, out) = common::folder();
    write_lines(&lines, 80);
    // A fixed sequence of "random" moments, so a failure repeats.
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..12 {
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
    assert!(stdout(&last).contains("batch: 80 done"), "{}", text(&last));
    assert_eq!(pngs(&out), 80);
    assert_eq!(
        each_once(&server),
        80,
        "every line was submitted, none twice"
    );
    assert_eq!(server.jobs_submitted(), 80);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_intent_without_its_job_id_is_reconciled_from_the_history() {
    let server = mock().start().await.unwrap();
    let (_dir, lines, out) = common::folder();
    write_prompts(&lines, 3);
    let first = run_batch(&server, &lines, &out, &[]).await;
    assert!(first.status.success(), "{}", text(&first));
    // As if the process had died right after each POST: only the intents remain.
    keep_only_intents(&out);
    for n in 1..=3 {
        std::fs::remove_file(out.join(format!("line-{n:05}.png"))).unwrap();
    }

    // Found in the history: resumed, not paid again.
    let found = run_batch(&server, &lines, &out, &[]).await;
    assert!(found.status.success(), "{}", text(&found));
    assert!(
        stdout(&found).contains("3 reconciled from Segmind's request history"),
        "{}",
        text(&found)
    );
    assert_eq!(server.jobs_submitted(), 3);
    assert_eq!(pngs(&out), 3);

    // Another account's history (a fresh server) certainly lacks them: after
    // the grace period they are submitted, once.
    keep_only_intents(&out);
    let empty = mock().start().await.unwrap();
    let absent = run_batch(&empty, &lines, &out, &[]).await;
    assert!(absent.status.success(), "{}", text(&absent));
    assert_eq!(empty.jobs_submitted(), 3);
    assert_eq!(each_once(&empty), 3);

    // When the history cannot be read, nothing is submitted until the user says so.
    keep_only_intents(&out);
    let down = mock().history_outage(true).start().await.unwrap();
    let unresolved = run_batch(&down, &lines, &out, &[]).await;
    assert_eq!(unresolved.status.code(), Some(6), "{}", text(&unresolved));
    assert_eq!(down.jobs_submitted(), 0);
    assert!(
        stderr(&unresolved).contains("--resubmit-unresolved"),
        "{}",
        text(&unresolved)
    );
    assert!(
        stdout(&unresolved).contains("3 unresolved"),
        "{}",
        text(&unresolved)
    );
    let forced = run_batch(&down, &lines, &out, &["--resubmit-unresolved"]).await;
    assert!(forced.status.success(), "{}", text(&forced));
    assert_eq!(down.jobs_submitted(), 3);
}

/// Rewrites the journal with only its intent records.
fn keep_only_intents(out: &std::path::Path) {
    let path = out.join("journal.jsonl");
    let kept: String = records(out, "intent")
        .into_iter()
        .map(|r| r.to_string() + "\n")
        .collect();
    std::fs::write(path, kept).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_journal_tail_swallows_nothing() {
    let server = mock().start().await.unwrap();
    let (_dir, lines, out) = common::folder();
    write_prompts(&lines, 3);
    assert!(run_batch(&server, &lines, &out, &[]).await.status.success());
    // A kill in the middle of a write, then a new line in the input.
    let journal = out.join("journal.jsonl");
    let mut bytes = std::fs::read(&journal).unwrap();
    bytes.extend_from_slice(br#"{"record":"intent","line":"line-000"#);
    std::fs::write(&journal, bytes).unwrap();
    write_prompts(&lines, 4);
    let second = run_batch(&server, &lines, &out, &[]).await;
    assert!(second.status.success(), "{}", text(&second));
    assert!(
        stderr(&second).contains("torn last record"),
        "{}",
        text(&second)
    );
    assert_eq!(server.jobs_submitted(), 4);
    // The new line's records were not swallowed: a third run does nothing.
    let third = run_batch(&server, &lines, &out, &[]).await;
    assert!(
        stdout(&third).contains("batch: 4 done (4 from an earlier run)"),
        "{}",
        text(&third)
    );
    assert_eq!(server.jobs_submitted(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_is_never_passed_and_the_lines_it_leaves_are_listed() {
    let server = mock().start().await.unwrap();
    let (_dir, lines, out) = common::folder();
    write_prompts(&lines, 10);
    let budget = 0.35;
    let output = run_batch(
        &server,
        &lines,
        &out,
        &["--max-spend", "0.35", "--concurrency", "3"],
    )
    .await;
    assert_eq!(output.status.code(), Some(7), "{}", text(&output));
    let spent: f64 = records(&out, "done")
        .iter()
        .map(|r| r["cost_usd"].as_f64().unwrap())
        .sum();
    assert!(spent <= budget + 1e-9, "spent {spent} of {budget}");
    let done = records(&out, "done").len();
    assert!((2..10).contains(&done), "{}", text(&output));
    assert_eq!(
        server.jobs_submitted(),
        done,
        "only the lines that fit were submitted"
    );
    let err = stderr(&output);
    assert_eq!(err.matches("over the budget").count(), 10 - done, "{err}");
    assert!(
        stdout(&output).contains("of a $0.35 budget"),
        "{}",
        text(&output)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credit_check_refuses_a_batch_the_account_cannot_pay() {
    let server = mock().initial_credits(0.2).start().await.unwrap();
    let (_dir, lines, out) = common::folder();
    write_prompts(&lines, 10);
    let output = run_batch(&server, &lines, &out, &[]).await;
    assert_eq!(output.status.code(), Some(7), "{}", text(&output));
    let line = stderr(&output);
    assert_eq!(line.trim().lines().count(), 1, "{line}");
    assert!(line.contains("$1.130") && line.contains("$0.200"), "{line}");
    assert_eq!(server.requests_received(), 1, "only the credits were asked");
    assert_eq!(server.jobs_submitted(), 0);

    // Without the check, the first 406 stops the batch.
    let output = run_batch(
        &server,
        &lines,
        &out,
        &["--no-credit-check", "--concurrency", "1"],
    )
    .await;
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(stderr(&output).contains("406"), "{}", text(&output));
    assert!(server.jobs_submitted() <= 4, "{}", server.jobs_submitted());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paced_batch_sees_no_429() {
    let server = mock()
        .rate_limit(4, Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let (_dir, lines, out) = common::folder();
    write_lines(&lines, 12);
    let output = run_batch(
        &server,
        &lines,
        &out,
        &[
            "--rate-limit",
            "4",
            "--rate-window",
            "1",
            "--concurrency",
            "8",
        ],
    )
    .await;
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(server.rate_limited(), 0);
    assert_eq!(each_once(&server), 12);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_stops_the_batch_at_the_first_answer() {
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
    let output = run_batch(
        &server,
        &lines,
        &out,
        &["--no-credit-check", "--concurrency", "1"],
    )
    .await;
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert_eq!(
        stderr(&output).matches("401").count(),
        1,
        "{}",
        text(&output)
    );
    assert_eq!(server.requests_received(), 2, "one POST, then nothing");
    assert_eq!(server.jobs_submitted(), 0);
    assert!(records(&out, "intent").len() <= 1);
}

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
        let interrupted = Instant::now();
        let sent = std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
            .await
            .unwrap();
        assert!(
            interrupted.elapsed() < Duration::from_secs(2),
            "{retry_after}: took {:?}",
            interrupted.elapsed()
        );
        assert_eq!(
            output.status.code(),
            Some(130),
            "{retry_after}: {}",
            text(&output)
        );
        assert!(!stderr(&output).contains("panicked"), "{}", text(&output));
        assert_eq!(server.jobs_submitted(), 2);
        // Every line is accounted for: the two jobs are recorded, the rest
        // were never sent.
        assert_eq!(records(&out, "submitted").len(), 2, "{}", text(&output));
        let open_intents = records(&out, "intent").len()
            - records(&out, "submitted").len()
            - records(&out, "not_sent").len();
        assert_eq!(open_intents, 0, "{}", text(&output));
    }
}
