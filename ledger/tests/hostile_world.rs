//! The cases that made the earlier batch pay twice or lose a paid image,
//! each against a mock Segmind that behaves that way: three requests, the
//! process "killed" after Segmind created the jobs but before their answers
//! were recorded (the journal keeps the intents and attempts only), then a
//! rerun. Each posts no body twice and saves every paid image.

use crate::common;

use std::time::Duration;

use common::*;
use segmind_ideogram_ledger::{Budget, Outcome};
use segmind_ideogram_mock::{HistoryPaging, MockBuilder};

/// Runs three prompts, "kills" the run after its POSTs, and reruns up to
/// `reruns` times; asserts no body was posted twice and every image saved.
async fn killed_then_rerun(builder: MockBuilder, reruns: usize) {
    let server = builder.start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (first, seen) = run_plain(&server, &out, prompts(3)).await;
    assert_eq!(first.tally.done, 3, "{}", seen.text());
    as_if_killed_after_sending(&out);
    for round in 0..=reruns {
        let (summary, seen) = run_plain(&server, &out, prompts(3)).await;
        assert_eq!(
            server.jobs_submitted(),
            3,
            "a rerun paid again (round {round}): {}",
            seen.text()
        );
        if summary.tally.done + summary.tally.already_done == 3 {
            assert_eq!(each_once(&server), 3);
            assert_eq!(pngs(&out), 3);
            // What the ledger says was spent is what was billed.
            assert!(
                (summary.money.spent.as_dollars() - billed(&server)).abs() < 1e-6,
                "spent {} billed {}",
                summary.money.spent,
                billed(&server)
            );
            return;
        }
        assert_eq!(
            summary.tally.open(),
            summary.tally.unresolved,
            "{}",
            seen.text()
        );
    }
    panic!("the paid images were not all saved after {reruns} reruns");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_history_clock_400_s_behind() {
    killed_then_rerun(mock().history_clock_skew(-400_000), 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dates_without_a_zone_in_local_time_utc_minus_8() {
    killed_then_rerun(mock().history_zoneless(-480), 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn days_asked_for_are_utc_minus_8_days() {
    killed_then_rerun(mock().history_day_zone(-480), 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_model_named_with_a_prefix() {
    killed_then_rerun(mock().history_model_prefix("segmind/"), 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_without_the_seed() {
    killed_then_rerun(mock().history_omits("seed"), 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn count_is_the_rows_of_the_page() {
    killed_then_rerun(
        mock()
            .history_page_cap(1)
            .history_paging(HistoryPaging::CountPerPage),
        0,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_is_ignored() {
    killed_then_rerun(mock().history_paging(HistoryPaging::IgnoresPage), 0).await;
}

/// A history that ignores `page` and holds more rows than one page can
/// never show some of them: those lines stay unresolved (reported, not
/// paid again), the rest are found.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_beyond_a_page_the_server_ignores_are_unresolved_not_paid_again() {
    let server = mock()
        .history_page_cap(2)
        .history_paging(HistoryPaging::IgnoresPage)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_plain(&server, &out, prompts(3)).await;
    as_if_killed_after_sending(&out);
    let (summary, seen) = run_plain(&server, &out, prompts(3)).await;
    assert_eq!(server.jobs_submitted(), 3, "{}", seen.text());
    assert_eq!(summary.tally.done, 2, "{}", seen.text());
    assert_eq!(summary.tally.unresolved, 1, "{}", seen.text());
    let (_, _, why) = seen
        .ended
        .lock()
        .unwrap()
        .iter()
        .find(|(_, o, _)| *o == Outcome::Unresolved)
        .cloned()
        .unwrap();
    assert!(why.contains("paging cannot be trusted"), "{why}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_move_between_pages() {
    killed_then_rerun(
        mock()
            .history_page_cap(1)
            .history_paging(HistoryPaging::Unstable),
        4,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_once_per_output() {
    killed_then_rerun(mock().history_rows_per_request(3).history_page_cap(2), 0).await;
}

/// The same input into a second folder: each folder keeps to its own jobs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_folder_takes_none_of_the_first_folders_jobs() {
    let server = mock().start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (dir.path().join("first"), dir.path().join("second"));
    let (done, _) = run_plain(&server, &first, prompts(3)).await;
    assert_eq!(done.tally.done, 3);
    // The history must be able to tell the two runs apart by time.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (again, seen) = run_plain(&server, &second, prompts(3)).await;
    assert_eq!(again.tally.done, 3, "{}", seen.text());
    as_if_killed_after_sending(&second);
    let (rerun, seen) = run_plain(&server, &second, prompts(3)).await;
    assert_eq!(rerun.tally.done, 3, "{}", seen.text());
    assert_eq!(rerun.tally.reconciled, 3);
    assert_eq!(server.jobs_submitted(), 6, "{}", seen.text());
    // Its own three jobs, not the first folder's.
    let first_jobs = jobs_of(&first);
    let second_jobs = jobs_of(&second);
    assert_eq!(second_jobs.len(), 3);
    assert!(
        first_jobs.is_disjoint(&second_jobs),
        "{first_jobs:?} {second_jobs:?}"
    );
}

fn jobs_of(out: &std::path::Path) -> std::collections::HashSet<String> {
    let mut jobs = std::collections::HashSet::new();
    let mut store = segmind_ideogram_ledger::JsonlStore::open(journal(out)).unwrap();
    use segmind_ideogram_ledger::Store as _;
    store
        .replay(&mut |e| {
            if let segmind_ideogram_ledger::Event::Done { job_id, .. } = e {
                jobs.insert(job_id);
            }
        })
        .unwrap();
    jobs
}

/// A fatal answer after ten accepted jobs: new submissions stop, but the
/// ten are followed and their images saved, in this run and the next.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fatal_answer_stops_submissions_and_keeps_what_was_paid() {
    // The spend limit is crossed by the tenth job: the eleventh gets 406.
    let server = mock()
        .job_latency(Duration::from_millis(300), Duration::from_millis(300))
        .real_price(0.1)
        .spend_limit(0.95)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for run_number in 0..3 {
        let (summary, seen) = run(&server, &out, prompts(20), Budget::unlimited(), |s| {
            Settings {
                concurrency: 8,
                ..s
            }
        })
        .await;
        assert!(
            matches!(summary.stop, Some(segmind_ideogram_ledger::Stop::Fatal(_))),
            "run {run_number}: {:?}\n{}",
            summary.stop,
            seen.text()
        );
        let paid = server.jobs_submitted();
        assert_eq!(
            pngs(&out),
            paid,
            "run {run_number}: every paid image saved\n{}",
            seen.text()
        );
        assert_eq!(paid, 10, "{}", seen.text());
        assert_eq!(each_once(&server), paid);
        assert_eq!(summary.tally.done + summary.tally.already_done, 10);
    }
}

use segmind_ideogram_ledger::Settings;

/// Real costs far above the documented price: the budget is passed by at
/// most one job's real cost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_holds_when_the_price_lies() {
    let server = mock().real_price(0.5).start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (summary, seen) = run(&server, &out, prompts(20), Budget::at_most(usd(1.0)), |s| {
        Settings {
            concurrency: 8,
            ..s
        }
    })
    .await;
    let billed = billed(&server);
    assert!(
        billed <= 1.0 + 0.5 + 1e-9,
        "billed ${billed}: {}",
        seen.text()
    );
    assert!(billed >= 0.5, "something was spent");
    assert!((summary.money.spent.as_dollars() - billed).abs() < 1e-9);
    assert!(summary.tally.over_budget > 0);
    assert_eq!(
        pngs(&out),
        server.jobs_submitted(),
        "every paid image is saved"
    );
    let outcomes = seen.outcomes();
    assert_eq!(
        outcomes
            .values()
            .filter(|o| **o == Outcome::OverBudget)
            .count() as u64,
        summary.tally.over_budget
    );
}
