//! The runner and the ledger's calls against a mock Segmind that fails in
//! the ways money cares about: saves that fail after payment, HTML where
//! JSON belongs, budgets and credits, a wrong key, answers lost in flight,
//! edited requests, missing files, dropped futures. Every test counts what
//! the server received.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use segmind_ideogram::AnyRequest;
use segmind_ideogram_ledger::{
    Budget, Event, Item, Ledger, Outcome, Phase, Settings, Stop, Submission, Verdict,
};

/// A save that fails after the job was paid for (here, a full disk) keeps
/// the job: the rerun fetches it and pays nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_save_keeps_the_job_and_the_rerun_pays_nothing() {
    let server = mock().start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    // Writing these images fails as a full disk does: ENOSPC.
    let pid = std::process::id();
    for n in [1, 4] {
        std::os::unix::fs::symlink(
            "/dev/full",
            out.join(format!(".prompt-{n}.png.{pid}.partial")),
        )
        .unwrap();
    }
    let (first, seen) = run_plain(&server, &out, prompts(6)).await;
    assert_eq!(
        (first.tally.done, first.tally.pending),
        (4, 2),
        "{}",
        seen.text()
    );
    assert!(
        seen.text().contains("No space left on device"),
        "{}",
        seen.text()
    );
    assert_eq!(server.jobs_submitted(), 6);
    // A failed save removes its scratch file (here, the link to /dev/full).
    for n in [1, 4] {
        assert!(!out.join(format!(".prompt-{n}.png.{pid}.partial")).exists());
    }
    let (second, seen) = run_plain(&server, &out, prompts(6)).await;
    assert_eq!(
        (second.tally.done, second.tally.already_done),
        (2, 4),
        "{}",
        seen.text()
    );
    assert_eq!(pngs(&out), 6);
    assert_eq!(server.jobs_submitted(), 6, "the rerun resumed the two jobs");
    assert_eq!(each_once(&server), 6);
}

/// Status answers that are HTML pages never cost a second job.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_where_json_belongs_never_costs_a_second_job() {
    let server = mock().garbage_poll_rate(0.5).seed(3).start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for run_number in 0.. {
        let (summary, seen) = run_plain(&server, &out, prompts(12)).await;
        if summary.tally.done + summary.tally.already_done == 12 {
            break;
        }
        assert!(
            run_number < 6,
            "the batch does not converge: {}",
            seen.text()
        );
    }
    assert_eq!(pngs(&out), 12);
    assert_eq!(server.jobs_submitted(), 12);
    assert_eq!(each_once(&server), 12);
}

/// A budget is never passed; the requests it leaves out are reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_is_never_passed_and_what_it_leaves_is_listed() {
    let server = mock().real_price(0.05).start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // 0.113 is reserved per request until its cost is known.
    let (summary, seen) = run(
        &server,
        &out,
        prompts(10),
        Budget::at_most(usd(0.35)),
        |s| Settings {
            concurrency: 3,
            ..s
        },
    )
    .await;
    assert!(billed(&server) <= 0.35 + 1e-9, "billed {}", billed(&server));
    let done = summary.tally.done as usize;
    assert!((3..10).contains(&done), "{}", seen.text());
    assert_eq!(server.jobs_submitted(), done, "only what fit was submitted");
    assert_eq!(summary.tally.over_budget as usize, 10 - done);
    assert!(summary.money.spent <= usd(0.35));
}

/// The credit check refuses what the account cannot pay, before any POST,
/// yet still fetches jobs already paid for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_credit_check_submits_nothing_and_still_fetches_paid_jobs() {
    let server = mock().initial_credits(0.2).start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (summary, seen) = run_plain(&server, &out, prompts(10)).await;
    assert!(
        summary
            .refused
            .as_deref()
            .is_some_and(|r| r.contains("credits")),
        "{}",
        seen.text()
    );
    assert_eq!(server.jobs_submitted(), 0);
    assert_eq!(summary.tally.not_run, 10);

    // One job paid for, its answer lost; then the credit check refuses.
    let rich = mock().initial_credits(0.3).start().await.unwrap();
    let paid = tempfile::tempdir().unwrap();
    let out = paid.path().join("out");
    run_plain(&rich, &out, prompts(1)).await;
    keep_only(&out, |e| !matches!(e, Event::Done { .. }));
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "png") {
            std::fs::remove_file(path).unwrap();
        }
    }
    let poor = rich; // the same account, now nearly empty
    let (summary, seen) = run(&poor, &out, prompts(10), Budget::unlimited(), |s| s).await;
    assert!(summary.refused.is_some(), "{}", seen.text());
    assert_eq!(poor.jobs_submitted(), 1, "nothing new was submitted");
    assert_eq!(pngs(&out), 1, "the paid job was fetched: {}", seen.text());
}

/// A wrong key stops the batch at the first answer: at most the POSTs in
/// flight were sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_stops_the_batch_at_the_first_answer() {
    let server = segmind_ideogram_mock::MockServer::builder()
        .api_key("the-right-key")
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (summary, seen) = run(&server, &out, prompts(30), Budget::unlimited(), |s| {
        Settings {
            concurrency: 4,
            ..s
        }
    })
    .await;
    assert!(
        matches!(summary.stop, Some(Stop::Fatal(ref why)) if why.contains("401")),
        "{:?}",
        summary.stop
    );
    let refused = server.requests_received();
    assert!(refused <= 5, "{refused} requests: {}", seen.text());
    assert_eq!(summary.tally.not_run + summary.tally.failed, 30);
}

/// The history's grace counts from the POST: an attempt sent just before a
/// kill is asked about again once the grace has passed, and found.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_history_grace_counts_from_the_post() {
    let server = mock()
        .history_lag(Duration::from_millis(400))
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run(&server, &out, prompts(1), Budget::unlimited(), |s| s).await;
    as_if_killed_after_sending(&out);
    // The history shows the row 0.4 s after the POST; the grace is 0.7 s.
    let (summary, seen) = run(&server, &out, prompts(1), Budget::unlimited(), |s| {
        Settings {
            history_grace: Duration::from_millis(700),
            ..s
        }
    })
    .await;
    assert_eq!(summary.tally.done, 1, "{}", seen.text());
    assert_eq!(summary.tally.reconciled, 1);
    assert_eq!(server.jobs_submitted(), 1);
}

/// Two identical requests (variants of one prompt): each is paid for once,
/// and after a lost answer each finds its own job.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_requests_each_keep_their_own_job() {
    let server = mock().start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let twins = || vec![prompt("a", "same"), prompt("b", "same")];
    let (summary, seen) = run_plain(&server, &out, twins()).await;
    assert_eq!(summary.tally.done, 2);
    assert!(
        seen.text().contains("a, b send the same request"),
        "{}",
        seen.text()
    );
    as_if_killed_after_sending(&out);
    let (summary, seen) = run_plain(&server, &out, twins()).await;
    assert_eq!(summary.tally.done, 2, "{}", seen.text());
    assert_eq!(server.jobs_submitted(), 2);
    let ledger = Ledger::open_file(journal(&out), Budget::unlimited()).unwrap();
    let jobs: std::collections::HashSet<String> = ledger.with_book(|book| {
        book.iter()
            .filter_map(|(_, s)| s.job_id().map(ToString::to_string))
            .collect()
    });
    assert_eq!(jobs.len(), 2, "each has its own job");
}

/// A request edited while its job ran: the job is paid for, so it is still
/// fetched (under another name), and the edited request submitted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_job_of_an_edited_request_is_still_fetched() {
    let server = mock().start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_plain(&server, &out, vec![prompt("a", "first")]).await;
    // Its answer was recorded, its image not.
    keep_only(&out, |e| !matches!(e, Event::Done { .. }));
    std::fs::remove_file(out.join("a.png")).unwrap();
    let (summary, seen) = run_plain(&server, &out, vec![prompt("a", "second")]).await;
    assert_eq!(summary.tally.done, 2, "{}", seen.text());
    assert_eq!(server.jobs_submitted(), 2);
    assert!(out.join("a.png").exists());
    assert_eq!(pngs(&out), 2, "the first request's image is kept too");
}

/// A request edited while its submission was unanswered: its attempt is
/// looked up with the body it was sent with, and its job fetched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_request_with_an_unanswered_attempt_is_reconciled_and_fetched() {
    let server = mock().start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_plain(&server, &out, vec![prompt("a", "first")]).await;
    as_if_killed_after_sending(&out);
    let (summary, seen) = run_plain(&server, &out, vec![prompt("a", "second")]).await;
    assert_eq!(summary.tally.done, 2, "{}", seen.text());
    assert_eq!(summary.tally.reconciled, 1);
    assert_eq!(server.jobs_submitted(), 2);
    assert_eq!(pngs(&out), 2);
    assert_eq!(
        summary.money.reserved,
        segmind_ideogram_ledger::Usd::ZERO,
        "nothing held for ever"
    );
}

/// A request edited and then edited back: its file holds its own image.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_edited_and_edited_back_keeps_its_own_image() {
    let server = mock().start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_plain(&server, &out, vec![prompt("a", "first")]).await;
    let first = std::fs::read(out.join("a.png")).unwrap();
    let (edited, seen) = run_plain(&server, &out, vec![prompt("a", "second")]).await;
    assert_eq!(edited.tally.done, 1, "{}", seen.text());
    let second = std::fs::read(out.join("a.png")).unwrap();
    assert_ne!(first, second);
    let (back, seen) = run_plain(&server, &out, vec![prompt("a", "first")]).await;
    assert_eq!(back.tally.already_done, 1, "{}", seen.text());
    assert_eq!(
        std::fs::read(out.join("a.png")).unwrap(),
        first,
        "its own image"
    );
    assert_eq!(server.jobs_submitted(), 2, "nothing paid again");
    assert_eq!(pngs(&out), 2, "the other request's image is kept aside");
}

/// A done request whose file is gone is fetched again, without paying.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_image_is_fetched_again() {
    let server = mock().start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_plain(&server, &out, prompts(2)).await;
    std::fs::remove_file(out.join("prompt-1.png")).unwrap();
    let (summary, seen) = run_plain(&server, &out, prompts(2)).await;
    assert_eq!(
        (summary.tally.done, summary.tally.already_done),
        (1, 1),
        "{}",
        seen.text()
    );
    assert!(out.join("prompt-1.png").exists());
    assert_eq!(server.jobs_submitted(), 2);
}

/// Lost answers: found in the history, resumed; absent from another
/// account's history, submitted once; unreadable history, nothing
/// submitted until the user says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempts_without_answers_are_decided_by_the_history() {
    let server = mock().start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_plain(&server, &out, prompts(3)).await;
    as_if_killed_after_sending(&out);
    let (found, _) = run_plain(&server, &out, prompts(3)).await;
    assert_eq!((found.tally.done, found.tally.reconciled), (3, 3));
    assert_eq!(server.jobs_submitted(), 3);

    as_if_killed_after_sending(&out);
    let empty = mock().start().await.unwrap();
    let (absent, seen) = run_plain(&empty, &out, prompts(3)).await;
    assert_eq!(absent.tally.done, 3, "{}", seen.text());
    assert_eq!(each_once(&empty), 3);

    as_if_killed_after_sending(&out);
    let down = mock().history_outage(true).start().await.unwrap();
    let (unknown, seen) = run_plain(&down, &out, prompts(3)).await;
    assert_eq!(unknown.tally.unresolved, 3, "{}", seen.text());
    assert_eq!(down.jobs_submitted(), 0);
    let spent_before = unknown.money.spent;
    let (forced, seen) = run(&down, &out, prompts(3), Budget::unlimited(), |s| Settings {
        resubmit_unresolved: true,
        ..s
    })
    .await;
    assert_eq!(forced.tally.done, 3, "{}", seen.text());
    assert_eq!(down.jobs_submitted(), 3);
    // The abandoned attempts count as spent: they may have been billed.
    assert!(forced.money.spent > spent_before + usd(0.1));
}

/// The library alone: a submission whose future is dropped after the POST
/// went out is recorded uncertain, cannot be submitted again, and is
/// reconciled: its job found and fetched, nothing paid twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_submission_is_reconciled_not_paid_again() {
    let server = mock()
        .accepted_answer_delay(Duration::from_millis(1500))
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open_file(dir.path().join("spend.jsonl"), Budget::unlimited()).unwrap();
    let client = client(&server, None);
    let item = prompt("order-1", "a lighthouse");
    let key = Ledger::key(item.id.as_str(), &item.request).unwrap();
    let ticket = ledger.begin(key.clone(), &item.request).unwrap();
    let dropped =
        tokio::time::timeout(Duration::from_millis(400), ledger.submit(&client, ticket)).await;
    assert!(dropped.is_err(), "the answer takes longer than the timeout");
    let state = ledger.state(&key).unwrap();
    assert!(matches!(state.phase, Phase::Uncertain { .. }), "{state:?}");
    assert!(
        ledger.begin(key.clone(), &item.request).is_err(),
        "not while unresolved"
    );
    // Segmind has the job (the POST arrived before the future was dropped).
    assert_eq!(server.jobs_submitted(), 1);
    // The history is trusted once its grace has passed.
    tokio::time::sleep(Duration::from_millis(150)).await;
    let dangling = ledger.dangling(&|_| None);
    let verdicts = ledger
        .reconcile(&client, &dangling, Duration::from_millis(100))
        .await
        .unwrap();
    let Verdict::Found { job_id } = &verdicts[0].1 else {
        panic!("{verdicts:?}");
    };
    let job = client.job(job_id.clone()).unwrap();
    let result = job.wait_with(quick_wait()).await.unwrap();
    let image = job.output_image(&result).await.unwrap();
    let path =
        segmind_ideogram_ledger::files::save_durably(&image, &dir.path().join("order-1")).unwrap();
    ledger
        .done(&key, job_id, None, &path.display().to_string(), None)
        .unwrap();
    assert_eq!(server.jobs_submitted(), 1);
    assert!(matches!(
        ledger.state(&key).unwrap().phase,
        Phase::Done { .. }
    ));
}

/// The library alone: a submission dropped before it was sent gives its
/// reservation back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_dropped_before_sending_holds_nothing() {
    let server = mock().start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open_file(dir.path().join("spend.jsonl"), Budget::unlimited()).unwrap();
    let pacer = segmind_ideogram::Pacer::per_window(1, Duration::from_secs(3600));
    let client = client(&server, Some(&pacer));
    // The pacer's one turn goes to a first submission.
    let first = prompt("x", "first");
    let key = Ledger::key(first.id.as_str(), &first.request).unwrap();
    let ticket = ledger.begin(key, &first.request).unwrap();
    assert!(matches!(
        ledger.submit(&client, ticket).await,
        Submission::Accepted(_)
    ));
    // The second waits for a turn that will not come for an hour.
    let item = prompt("y", "second");
    let key = Ledger::key(item.id.as_str(), &item.request).unwrap();
    let ticket = ledger.begin(key.clone(), &item.request).unwrap();
    let waited =
        tokio::time::timeout(Duration::from_millis(200), ledger.submit(&client, ticket)).await;
    assert!(waited.is_err());
    assert_eq!(ledger.state(&key).unwrap().phase, Phase::Fresh);
    assert_eq!(
        ledger.money().reserved,
        ledger.reservation("ideogram-txt-2-img")
    );
    assert_eq!(server.jobs_submitted(), 1);
}

/// A journal of the earlier format is migrated, and its paid job fetched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_earlier_journal_is_migrated_and_its_job_fetched() {
    let server = mock().start().await.unwrap();
    let client = client(&server, None);
    let item = prompt("a", "migrated");
    let job = client.submit_any(&item.request).await.unwrap();
    let key = Ledger::key(item.id.as_str(), &item.request).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let v2 = format!(
        "{{\"format\":\"ideogram-batch-journal\",\"version\":2}}\n\
         {{\"record\":\"intent\",\"line\":\"a\",\"fingerprint\":\"{fp}\",\"endpoint\":\"ideogram-txt-2-img\",\"at\":1.0,\"reserved_usd\":0.113}}\n\
         {{\"record\":\"sending\",\"line\":\"a\",\"fingerprint\":\"{fp}\",\"at\":1.0}}\n\
         {{\"record\":\"submitted\",\"line\":\"a\",\"fingerprint\":\"{fp}\",\"request_id\":\"{id}\"}}\n",
        fp = key.fingerprint,
        id = job.request_id()
    );
    std::fs::write(journal(&out), v2).unwrap();
    let (summary, seen) = run_plain(&server, &out, vec![item]).await;
    assert_eq!(summary.tally.done, 1, "{}", seen.text());
    assert_eq!(server.jobs_submitted(), 1, "followed, not submitted again");
    assert!(out.join("journal.jsonl.v2").exists());
}

/// Requests of an unknown cost run one at a time under a budget until one
/// ends; a runner with a pacer at the limit sees no 429.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paced_run_sees_no_429() {
    let server = mock()
        .rate_limit(10, Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let pacer = segmind_ideogram::Pacer::per_window(10, Duration::from_secs(1));
    let ledger = Arc::new(Ledger::open_file(journal(&out), Budget::unlimited()).unwrap());
    let seen = Arc::new(Seen::default());
    let runner = segmind_ideogram_ledger::Runner::new(
        client(&server, Some(&pacer)),
        Some(pacer),
        ledger,
        Settings {
            concurrency: 8,
            ..settings(&out, &server)
        },
        seen.clone(),
        prompts(12),
    )
    .unwrap();
    let summary = runner.run().await;
    assert_eq!(summary.tally.done, 12, "{}", seen.text());
    assert_eq!(server.rate_limited(), 0);
}

/// What a request of an endpoint the item list has twice looks like.
#[allow(dead_code)]
fn any(item: &Item) -> &AnyRequest {
    &item.request
}

/// Outcomes are reported per request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_is_reported_once() {
    let server = mock().fail_word("blocked").start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let items = vec![prompt("ok", "fine"), prompt("no", "blocked")];
    let (summary, seen) = run_plain(&server, &out, items).await;
    let outcomes = seen.outcomes();
    assert_eq!(outcomes["ok"], Outcome::Done);
    assert_eq!(outcomes["no"], Outcome::Failed, "{}", seen.text());
    assert_eq!(seen.ended.lock().unwrap().len(), 2);
    assert_eq!(summary.tally.failed, 1);
    // The failed job cost nothing and may be submitted again.
    let (again, _) = run_plain(&server, &out, vec![prompt("no", "blocked")]).await;
    assert_eq!(again.tally.failed, 1);
    assert_eq!(server.jobs_submitted(), 3);
}

/// A run whose client gives one attempt a second.
async fn run_with_timeout(
    server: &segmind_ideogram_mock::MockServer,
    out: &std::path::Path,
    items: Vec<Item>,
) -> (segmind_ideogram_ledger::Summary, Arc<Seen>) {
    std::fs::create_dir_all(out).unwrap();
    let client = segmind_ideogram::Client::builder()
        .api_key(KEY)
        .base_url(server.base_url())
        .wait_options(server.wait_options())
        .timeout(Duration::from_secs(1))
        .retry_policy(
            segmind_ideogram::RetryPolicy::new()
                .max_attempts(6)
                .base_delay(Duration::from_millis(10)),
        )
        .build()
        .unwrap();
    let ledger = Arc::new(Ledger::open_file(journal(out), Budget::unlimited()).unwrap());
    let seen = Arc::new(Seen::default());
    let runner = segmind_ideogram_ledger::Runner::new(
        client,
        None,
        ledger,
        settings(out, server),
        seen.clone(),
        items,
    )
    .unwrap();
    (runner.run().await, seen)
}

/// A credit check that hangs ends by its deadline (one request timeout,
/// not one per attempt), and the run goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_credit_check_ends_by_its_deadline() {
    let server = mock()
        .credits_delay(Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let (summary, seen) = run_with_timeout(&server, &dir.path().join("out"), prompts(2)).await;
    assert_eq!(summary.tally.done, 2, "{}", seen.text());
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert!(
        seen.text().contains("were not read within 1s"),
        "{}",
        seen.text()
    );
}

/// A credits answer that names no credits is not an empty account: the
/// run says it goes on without the check, and submits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credits_answer_without_credits_skips_the_check() {
    let server = mock().credits_unstated(true).start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (summary, seen) = run_with_timeout(&server, &dir.path().join("out"), prompts(2)).await;
    assert!(summary.refused.is_none(), "{:?}", summary.refused);
    assert_eq!(summary.tally.done, 2, "{}", seen.text());
    assert_eq!(server.jobs_submitted(), 2);
    assert!(
        seen.text()
            .contains("holds no credits; going on without the credit check"),
        "{}",
        seen.text()
    );
}

/// A download that hangs ends by its deadline; the paid job stays the
/// line's (followed again by a rerun, never paid again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_download_ends_by_its_deadline_and_keeps_the_job() {
    let server = mock()
        .output_delay(Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let started = std::time::Instant::now();
    let (summary, seen) = run_with_timeout(&server, &out, prompts(1)).await;
    assert_eq!(summary.tally.pending, 1, "{}", seen.text());
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert!(
        seen.text().contains("not downloaded within 1s"),
        "{}",
        seen.text()
    );
    let (rerun, seen) = run_with_timeout(&server, &out, prompts(1)).await;
    assert_eq!(rerun.tally.pending, 1, "{}", seen.text());
    assert_eq!(server.jobs_submitted(), 1, "followed again, not paid again");
    let ledger = Ledger::open_file(journal(&out), Budget::unlimited()).unwrap();
    let key = Ledger::key("prompt-0", &prompts(1)[0].request).unwrap();
    assert!(matches!(
        ledger.state(&key).unwrap().phase,
        Phase::Accepted { .. }
    ));
}

/// An output that answers 404 once (storage catching up) is fetched again
/// in the same run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_output_missing_at_first_is_fetched_again_in_the_run() {
    let server = mock().output_missing_first(1).start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (summary, seen) = run_plain(&server, &out, prompts(2)).await;
    assert_eq!(summary.tally.done, 2, "{}", seen.text());
    assert_eq!(pngs(&out), 2);
    assert_eq!(server.jobs_submitted(), 2);
}

/// Local image files: each distinct file is uploaded once, the request
/// counts by the file's content, and a rerun pays nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_images_are_uploaded_once_and_keep_their_key() {
    let server = mock().start().await.unwrap();
    let client = client(&server, None);
    // A real PNG, from the mock's own answer.
    let png = client
        .run(&segmind_ideogram::IdeogramTxt2ImgRequest::new("a source"))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.png");
    std::fs::write(&file, png.bytes()).unwrap();
    let items = || {
        (0..3)
            .map(|i| Item {
                id: format!("variation-{i}"),
                request: AnyRequest::from(segmind_ideogram::IdeogramImg2ImgRequest::new(
                    segmind_ideogram::ImageInput::file(&file),
                    format!("variation {i}"),
                )),
            })
            .collect::<Vec<_>>()
    };
    let out = dir.path().join("out");
    let (summary, seen) = run_plain(&server, &out, items()).await;
    assert_eq!(summary.tally.done, 3, "{}", seen.text());
    let urls: std::collections::HashSet<String> = server
        .accepted()
        .into_iter()
        .filter(|a| a.mode == segmind_ideogram_mock::Mode::Queued)
        .map(|a| a.body["image_file"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(urls.len(), 1, "one upload for the three: {urls:?}");
    let (again, seen) = run_plain(&server, &out, items()).await;
    assert_eq!(again.tally.already_done, 3, "{}", seen.text());
    assert_eq!(server.jobs_submitted(), 3);
}

/// The pipeline: with two POSTs in flight and jobs that take a second and
/// a half, every submission goes out while the first jobs still run (a
/// place is held by a POST, not by a job waiting in Segmind's queue).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submissions_go_on_while_jobs_wait() {
    let server = mock()
        .job_latency(Duration::ZERO, Duration::from_millis(1500))
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (summary, seen) = run(&server, &out, prompts(10), Budget::unlimited(), |s| {
        Settings {
            concurrency: 2,
            ..s
        }
    })
    .await;
    assert_eq!(summary.tally.done, 10, "{}", seen.text());
    let mut at: Vec<std::time::SystemTime> = server.accepted().into_iter().map(|a| a.at).collect();
    at.sort();
    let spread = at[at.len() - 1].duration_since(at[0]).unwrap();
    assert!(
        spread < Duration::from_millis(1500),
        "the last POST came {spread:?} after the first: the submissions waited for jobs"
    );
}

/// A 429 the client gives up waiting on (its reset is further than the
/// client waits) is submitted again by the run: nothing was billed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_past_the_clients_patience_is_sent_again() {
    let server = mock()
        .rate_limit(2, Duration::from_millis(1500))
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let client = segmind_ideogram::Client::builder()
        .api_key(KEY)
        .base_url(server.base_url())
        .wait_options(server.wait_options())
        .retry_policy(
            segmind_ideogram::RetryPolicy::new()
                .max_attempts(2)
                .base_delay(Duration::from_millis(10))
                .max_server_delay(Duration::from_millis(100)),
        )
        .build()
        .unwrap();
    let ledger = Arc::new(Ledger::open_file(journal(&out), Budget::unlimited()).unwrap());
    let seen = Arc::new(Seen::default());
    let runner = segmind_ideogram_ledger::Runner::new(
        client,
        None,
        ledger,
        Settings {
            concurrency: 4,
            ..settings(&out, &server)
        },
        seen.clone(),
        prompts(5),
    )
    .unwrap();
    let summary = runner.run().await;
    assert!(server.rate_limited() > 0, "no 429 was sent");
    assert_eq!(summary.tally.done, 5, "{}", seen.text());
    assert_eq!(each_once(&server), 5);
}

/// A file in the output folder that the ledger knows nothing of is the
/// user's: the image takes a free name instead of replacing it (it was
/// renamed over). A file holding the very image (a run killed before it
/// recorded the save) is still taken as the line's own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_file_in_the_way_is_kept_and_the_image_takes_a_free_name() {
    let server = mock().start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("a.png"), b"precious").unwrap();
    std::fs::write(out.join("a-1.png"), b"precious too").unwrap();
    let (summary, seen) = run_plain(&server, &out, vec![prompt("a", "a fox")]).await;
    assert_eq!(summary.tally.done, 1, "{}", seen.text());
    let kept = |name: &str, text: &[u8]| std::fs::read(out.join(name)).unwrap() == text;
    assert!(kept("a.png", b"precious"), "a.png was replaced");
    assert!(kept("a-1.png", b"precious too"), "a-1.png was replaced");
    let saved = std::fs::read(out.join("a-2.png")).unwrap();
    assert!(saved.starts_with(b"\x89PNG"), "{}", seen.text());
    assert!(seen.text().contains("a-2.png"), "{}", seen.text());

    // The same image at a line's own name, unrecorded: the line's own.
    let other = dir.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("a.png"), &saved).unwrap();
    let again = mock().start().await.unwrap();
    let (summary, seen) = run_plain(&again, &other, vec![prompt("a", "a fox")]).await;
    assert_eq!(summary.tally.done, 1, "{}", seen.text());
    assert_eq!(pngs(&other), 1, "{}", seen.text());
}

/// Two items of one id name one image: refused before anything is sent
/// (both used to be paid, and both reported as the one file).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_sharing_an_id_are_refused_before_anything_is_sent() {
    let server = mock().start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let ledger = Arc::new(Ledger::open_file(journal(&out), Budget::unlimited()).unwrap());
    let refused = segmind_ideogram_ledger::Runner::new(
        client(&server, None),
        None,
        ledger,
        settings(&out, &server),
        Arc::new(Seen::default()),
        vec![
            prompt("a", "a fox"),
            prompt("b", "a cat"),
            prompt("a", "an owl"),
        ],
    )
    .err()
    .expect("refused");
    assert_eq!(refused.kind(), std::io::ErrorKind::InvalidInput);
    assert!(
        refused
            .to_string()
            .contains("items 1 and 3 share the id `a`"),
        "{refused}"
    );
    assert_eq!(server.requests_received(), 0);
}
