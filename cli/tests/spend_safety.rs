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
    common::write_named_prompts(&lines, 12);
    std::fs::create_dir_all(&out).unwrap();
    // Writing these images fails as a full disk does: ENOSPC.
    for n in [1, 4, 6, 10] {
        std::os::unix::fs::symlink("/dev/full", out.join(format!("prompt-{n}.png"))).unwrap();
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

    for n in [1, 4, 6, 10] {
        std::fs::remove_file(out.join(format!("prompt-{n}.png"))).unwrap();
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
    // As if the process had died right after each POST: no answers recorded.
    keep_only_sent(&out);
    remove_pngs(&out);

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
    keep_only_sent(&out);
    let empty = mock().start().await.unwrap();
    let absent = run_batch(&empty, &lines, &out, &[]).await;
    assert!(absent.status.success(), "{}", text(&absent));
    assert_eq!(empty.jobs_submitted(), 3);
    assert_eq!(each_once(&empty), 3);

    // When the history cannot be read, nothing is submitted until the user says so.
    keep_only_sent(&out);
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

/// The journal a kill right after each POST leaves: the intents and the
/// attempts, no answers.
fn keep_only_sent(out: &std::path::Path) {
    keep_records(out, |r| r["record"] == "intent" || r["record"] == "sending");
}

/// Rewrites the journal with only the records `keep` accepts (and its header).
fn keep_records(out: &std::path::Path, keep: impl Fn(&serde_json::Value) -> bool) {
    let path = out.join("journal.jsonl");
    let kept: String = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .filter(|l| {
            let value: serde_json::Value = serde_json::from_str(l).unwrap();
            value.get("record").is_none() || keep(&value)
        })
        .map(|l| l.to_owned() + "\n")
        .collect();
    std::fs::write(path, kept).unwrap();
}

/// The journal's header line (what wrote it), with its newline.
fn header(out: &std::path::Path) -> String {
    std::fs::read_to_string(out.join("journal.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| l.contains(r#""format""#))
        .map(|l| l.to_owned() + "\n")
        .collect()
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

/// One txt-2-img line of the input, with its id and prompt.
fn request_line(id: &str, prompt: &str) -> String {
    serde_json::json!({"id": id, "endpoint": "txt-2-img", "request": {"prompt": prompt}})
        .to_string()
        + "\n"
}

fn remove_pngs(out: &std::path::Path) {
    for entry in std::fs::read_dir(out).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "png") {
            std::fs::remove_file(path).unwrap();
        }
    }
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
    // Submitted one at a time until the account's credits ran out.
    assert!(
        (1..=4).contains(&server.jobs_submitted()),
        "{}",
        server.jobs_submitted()
    );

    // A budget below the credits caps what the batch may commit: it starts.
    let server = mock().initial_credits(0.2).start().await.unwrap();
    let (_dir, lines, out) = common::folder();
    write_prompts(&lines, 10);
    let output = run_batch(&server, &lines, &out, &["--max-spend", "0.15"]).await;
    assert_eq!(output.status.code(), Some(7), "{}", text(&output));
    assert!(
        stderr(&output).contains("left unsubmitted by the $0.15 budget"),
        "{}",
        text(&output)
    );
    assert!(
        (1..=2).contains(&server.jobs_submitted()),
        "{}",
        text(&output)
    );
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

/// Lines without an `"id"` are named after their request: deleting a
/// finished line, or inserting one, renames no other line, so the rerun
/// pays only for the new one. (Named by position, every line after the
/// edit was taken for a new one and paid for again.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_the_input_renames_no_line_and_repays_nothing() {
    let server = mock().start().await.unwrap();
    let (_dir, lines, out) = common::folder();
    write_prompts(&lines, 4);
    let first = run_batch(&server, &lines, &out, &[]).await;
    assert!(first.status.success(), "{}", text(&first));
    assert_eq!(server.jobs_submitted(), 4);

    let input = std::fs::read_to_string(&lines).unwrap();
    let new = serde_json::json!({"endpoint": "txt-2-img", "request": {"prompt": "new"}});
    let edited: String = std::iter::once(new.to_string())
        .chain(input.lines().skip(1).map(str::to_owned))
        .map(|l| l + "\n")
        .collect();
    std::fs::write(&lines, edited).unwrap();
    let second = run_batch(&server, &lines, &out, &[]).await;
    assert!(second.status.success(), "{}", text(&second));
    assert!(
        stdout(&second).contains("4 done (3 from an earlier run)"),
        "{}",
        text(&second)
    );
    assert_eq!(server.jobs_submitted(), 5, "only the new line was paid for");
    assert_eq!(each_once(&server), 5);
    assert_eq!(pngs(&out), 5, "the deleted line's image stays");
}

/// The history's grace counts from the moment the POST was sent, not from
/// the intent (written before the submission waited for its turn): a POST
/// that reached Segmind just before a kill is not "certainly absent" while
/// its history row may still be on its way; the rerun asks again once the
/// grace has passed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_history_grace_counts_from_the_post_not_from_the_queueing() {
    let scratch = mock().start().await.unwrap();
    let (_dir, lines, out) = common::folder();
    write_prompts(&lines, 1);
    let first = run_batch(&scratch, &lines, &out, &[]).await;
    assert!(first.status.success(), "{}", text(&first));
    // What a SIGKILL right after the POST leaves: an intent written 20 s
    // before (the line waited its turn), and the attempt, sent just now.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let mut intent = records(&out, "intent")[0].clone();
    intent["at"] = serde_json::json!(now - 20.0);
    let mut kept = header(&out) + &format!("{intent}\n");
    if let Some(mut sending) = records(&out, "sending").into_iter().next() {
        sending["at"] = serde_json::json!(now);
        kept.push_str(&format!("{sending}\n"));
    }
    std::fs::write(out.join("journal.jsonl"), kept).unwrap();
    remove_pngs(&out);
    // Segmind took that POST; its history row lands 3 s later.
    let server = mock()
        .history_lag(Duration::from_secs(3))
        .start()
        .await
        .unwrap();
    let client = segmind_ideogram::Client::builder()
        .api_key(common::KEY)
        .base_url(server.base_url())
        .build()
        .unwrap();
    client
        .submit(&segmind_ideogram::IdeogramTxt2ImgRequest::new("prompt 0"))
        .await
        .unwrap();

    // The rerun finds it once the grace has passed, and pays nothing.
    let rerun = run_batch(&server, &lines, &out, &["--history-grace", "5"]).await;
    assert!(rerun.status.success(), "{}", text(&rerun));
    assert!(
        stdout(&rerun).contains("1 reconciled from Segmind's request history"),
        "{}",
        text(&rerun)
    );
    assert_eq!(server.jobs_submitted(), 1, "the line was paid for twice");
}

/// Two lines with the same request (variants of one prompt): a line whose
/// answer was lost is never given the job another line already owns; its
/// own paid job is found and fetched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_lines_each_keep_their_own_job() {
    let server = mock().start().await.unwrap();
    let (_dir, lines, out) = common::folder();
    let line = |id: &str| request_line(id, "same");
    std::fs::write(&lines, line("a") + &line("b")).unwrap();
    let first = run_batch(&server, &lines, &out, &["--concurrency", "1"]).await;
    assert!(first.status.success(), "{}", text(&first));
    assert_eq!(server.jobs_submitted(), 2);
    let job_of = |line: &str| {
        records(&out, "submitted")
            .into_iter()
            .find(|r| r["line"] == line)
            .unwrap()["request_id"]
            .clone()
    };
    let (a_job, b_job) = (job_of("a"), job_of("b"));
    // As if killed right after b's POST: b keeps only what was sent.
    keep_records(&out, |r| {
        r["line"] == "a" || r["record"] == "intent" || r["record"] == "sending"
    });
    std::fs::remove_file(out.join("b.png")).unwrap();

    let rerun = run_batch(&server, &lines, &out, &[]).await;
    assert!(rerun.status.success(), "{}", text(&rerun));
    assert_eq!(job_of("b"), b_job, "b was given a's job: {a_job}");
    assert!(out.join("b.png").exists());
    assert_eq!(server.jobs_submitted(), 2);
}

/// A line whose request was edited while its job ran: the job is paid
/// for, so it is still fetched (under another name), and the edited
/// request is submitted as a new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_of_an_edited_line_is_still_fetched() {
    let server = mock().start().await.unwrap();
    let (_dir, lines, out) = common::folder();
    let line = |prompt: &str| request_line("a", prompt);
    std::fs::write(&lines, line("first")).unwrap();
    let first = run_batch(&server, &lines, &out, &[]).await;
    assert!(first.status.success(), "{}", text(&first));
    // As if interrupted while the job ran: its id is known, its image not saved.
    keep_records(&out, |r| r["record"] != "done");
    remove_pngs(&out);
    let old = records(&out, "submitted")[0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_owned();

    std::fs::write(&lines, line("second")).unwrap();
    let rerun = run_batch(&server, &lines, &out, &[]).await;
    assert!(rerun.status.success(), "{}", text(&rerun));
    assert_eq!(server.jobs_submitted(), 2, "one job per request, not more");
    assert!(out.join("a.png").exists());
    assert!(
        out.join(format!("a-{}.png", &old[..8])).exists(),
        "{}",
        text(&rerun)
    );
    assert!(
        stderr(&rerun).contains("no longer in the input"),
        "{}",
        text(&rerun)
    );
}

/// Ctrl-C while a POST hangs: the batch exits promptly (the attempt is in
/// the journal, so the rerun looks it up instead of paying again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_with_a_post_in_flight_exits_promptly() {
    let server = mock()
        .added_latency(Duration::from_secs(30))
        .start()
        .await
        .unwrap();
    let (_dir, lines, out) = common::folder();
    write_prompts(&lines, 1);
    let mut child = batch_command(&lines, &out, server.base_url(), &["--no-credit-check"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    until_recorded(&out, "intent").await;
    // The POST is on its way (and hangs for 30 s).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let signalled = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(signalled.success());
    let stopped = Instant::now();
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert_eq!(status.code(), Some(130));
    // Not a timing target: the request hangs for 30 s, and the old grace was 5 s.
    assert!(
        stopped.elapsed() < Duration::from_secs(4),
        "took {:?}",
        stopped.elapsed()
    );
    assert!(records(&out, "submitted").is_empty());
    assert_eq!(records(&out, "sending").len(), 1, "the attempt is recorded");
}

/// A finished line whose request is edited: the new image does not
/// overwrite the paid one, which is moved aside under its request's name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_finished_line_keeps_its_earlier_image() {
    let server = mock().start().await.unwrap();
    let (_dir, lines, out) = common::folder();
    let line = |prompt: &str| request_line("hero", prompt);
    std::fs::write(&lines, line("first")).unwrap();
    assert!(run_batch(&server, &lines, &out, &[]).await.status.success());
    let first = std::fs::read(out.join("hero.png")).unwrap();
    let old = records(&out, "done")[0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_owned();

    std::fs::write(&lines, line("second")).unwrap();
    let rerun = run_batch(&server, &lines, &out, &[]).await;
    assert!(rerun.status.success(), "{}", text(&rerun));
    assert_eq!(server.jobs_submitted(), 2);
    let kept = out.join(format!("hero-{}.png", &old[..8]));
    assert_eq!(std::fs::read(&kept).unwrap(), first, "{}", text(&rerun));
    assert!(out.join("hero.png").exists());
    assert_eq!(pngs(&out), 2);
}

/// A credit check that refuses the new lines still lets the jobs already
/// paid for be fetched: refusing them would let their results expire.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_credit_check_still_fetches_paid_jobs() {
    let server = mock().initial_credits(0.2).start().await.unwrap();
    let (_dir, lines, out) = common::folder();
    std::fs::write(&lines, request_line("paid", "paid")).unwrap();
    assert!(run_batch(&server, &lines, &out, &[]).await.status.success());
    // As if interrupted while the job ran: its id is known, its image not saved.
    keep_records(&out, |r| r["record"] != "done");
    remove_pngs(&out);

    let more: String = (0..10)
        .map(|i| request_line(&format!("new-{i}"), &format!("new {i}")))
        .collect();
    std::fs::write(&lines, request_line("paid", "paid") + &more).unwrap();
    let rerun = run_batch(&server, &lines, &out, &[]).await;
    assert_eq!(rerun.status.code(), Some(7), "{}", text(&rerun));
    assert!(out.join("paid.png").exists(), "{}", text(&rerun));
    assert_eq!(server.jobs_submitted(), 1, "nothing new was submitted");
}
