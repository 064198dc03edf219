//! Both stores under a kill storm: a batch run by the library in a child
//! process, SIGKILLed at random moments again and again, then run to its
//! end. Nothing is lost (every image saved) and nothing paid twice (every
//! body queued once), with the JSON Lines store and the SQLite one.

use crate::common;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use segmind_ideogram_ledger::{Budget, JsonlStore, Ledger, Runner, Settings};

const CHILD: &str = "KILL_STORM_CHILD";

/// In a child process: runs the batch of `KILL_STORM_LINES` prompts into
/// `KILL_STORM_OUT` against the mock at `KILL_STORM_URL`.
#[test]
fn child_entry() {
    let Ok(store) = std::env::var(CHILD) else {
        return;
    };
    let out = std::path::PathBuf::from(std::env::var("KILL_STORM_OUT").unwrap());
    let url = std::env::var("KILL_STORM_URL").unwrap();
    let lines: usize = std::env::var("KILL_STORM_LINES").unwrap().parse().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let ledger = Arc::new(match store.as_str() {
            "jsonl" => Ledger::open(
                JsonlStore::open(out.join("journal.jsonl")).unwrap(),
                Budget::unlimited(),
            )
            .unwrap(),
            #[cfg(feature = "sqlite")]
            "sqlite" => Ledger::open(
                segmind_ideogram_ledger::store::sqlite::SqliteStore::open(
                    out.join("ledger.sqlite"),
                )
                .unwrap(),
                Budget::unlimited(),
            )
            .unwrap(),
            other => panic!("no store {other}"),
        });
        let client = segmind_ideogram::Client::builder()
            .api_key(KEY)
            .base_url(&url)
            .wait_options(quick_wait())
            .retry_policy(
                segmind_ideogram::RetryPolicy::new()
                    .max_attempts(6)
                    .base_delay(Duration::from_millis(10)),
            )
            .build()
            .unwrap();
        let settings = Settings {
            concurrency: 8,
            wait: quick_wait(),
            history_grace: Duration::from_millis(150),
            ..Settings::new(&out)
        };
        let runner = Runner::new(
            client,
            None,
            ledger,
            settings,
            Arc::new(Seen::default()),
            prompts(lines),
        )
        .unwrap();
        let summary = runner.run().await;
        assert_eq!(summary.tally.open(), 0, "{summary:?}");
    });
}

/// `child_entry` as the test harness names it: its module path without the
/// test binary's name.
fn child_test_name() -> String {
    let module = module_path!().split_once("::").map_or("", |(_, m)| m);
    if module.is_empty() {
        "child_entry".to_owned()
    } else {
        format!("{module}::child_entry")
    }
}

async fn storm(store: &str) {
    let server = mock()
        .job_latency(Duration::from_millis(20), Duration::from_millis(60))
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let lines = 20;
    let child = || {
        Command::new(std::env::current_exe().unwrap())
            .args(["--exact", &child_test_name()])
            .args(["--nocapture", "--test-threads", "1"])
            .env(CHILD, store)
            .env("KILL_STORM_OUT", &out)
            .env("KILL_STORM_URL", server.base_url())
            .env("KILL_STORM_LINES", lines.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // A fixed sequence of "random" moments, so a failure repeats.
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    for _ in 0..4 {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let mut running = child();
        tokio::time::sleep(Duration::from_millis(100 + (seed >> 33) % 400)).await;
        let _ = running.kill();
        tokio::task::spawn_blocking(move || running.wait().unwrap())
            .await
            .unwrap();
    }
    let last = child();
    let output = tokio::task::spawn_blocking(move || last.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(pngs(&out), lines, "every paid image saved");
    assert_eq!(each_once(&server), lines, "every body queued once");
    assert_eq!(server.jobs_submitted(), lines);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_jsonl_store_loses_nothing_and_pays_nothing_twice() {
    storm("jsonl").await;
}

#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_store_loses_nothing_and_pays_nothing_twice() {
    storm("sqlite").await;
}
