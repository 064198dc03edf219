//! The official Python SDK (`segmind` 1.3.0, from PyPI, unchanged) works
//! against the mock: `run_sync` and `run` for every endpoint, errors as
//! `SegmindError` with the right status, failed jobs as `InferenceFailed`.
//!
//! `tests/python/setup-venv.sh` installs the SDK into `target/python-venv`
//! once; the test skips (passes with a message) only when PyPI cannot be
//! reached. Any other failure to set it up fails the test.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use segmind_ideogram::AnyRequest;
use segmind_ideogram_mock::{Accepted, MockServer, Mode};
use segmind_ideogram_tests::{PYPI_UNREACHABLE, root};

/// `setup-venv.sh`'s exit code when PyPI cannot be reached.
const API_KEY: &str = "sdk-check-key";
const FAIL_WORD: &str = "FORBIDDENWORD";

struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Runs `command` to the end, or kills it after `limit`.
fn run(mut command: Command, limit: Duration) -> Finished {
    let shown = format!("{command:?}");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {shown}: {e}"));
    let stdout = drain(&mut child, true);
    let stderr = drain(&mut child, false);
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for child") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{shown} took longer than {limit:?}\n--- stderr\n{}",
                stderr.join().unwrap_or_default()
            );
        }
        thread::sleep(Duration::from_millis(20));
    };
    Finished {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

fn drain(child: &mut Child, stdout: bool) -> thread::JoinHandle<String> {
    let mut pipe: Box<dyn Read + Send> = if stdout {
        Box::new(child.stdout.take().expect("piped stdout"))
    } else {
        Box::new(child.stderr.take().expect("piped stderr"))
    };
    thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

/// Loopback must not go through a proxy the environment may set for PyPI.
fn no_proxy_for_loopback(command: &mut Command) {
    let mut hosts = std::env::var("NO_PROXY").unwrap_or_default();
    if !hosts.is_empty() {
        hosts.push(',');
    }
    hosts.push_str("127.0.0.1,localhost");
    command.env("NO_PROXY", &hosts).env("no_proxy", &hosts);
}

/// The venv's python, or `None` when PyPI is unreachable.
fn sdk_python() -> Option<PathBuf> {
    let mut setup = Command::new("bash");
    setup
        .arg(root().join("tests/python/setup-venv.sh"))
        .current_dir(root());
    let done = run(setup, Duration::from_secs(300));
    match done.status.code() {
        Some(0) => {}
        Some(PYPI_UNREACHABLE) => {
            eprintln!(
                "skipping: PyPI unreachable, the Python SDK could not be installed\n{}",
                done.stderr
            );
            return None;
        }
        _ => panic!(
            "tests/python/setup-venv.sh failed ({}):\n{}{}",
            done.status, done.stdout, done.stderr
        ),
    }
    let python = PathBuf::from(done.stdout.lines().last().unwrap_or_default().trim());
    assert!(
        python.is_file(),
        "setup-venv.sh printed no python: {:?}",
        done.stdout
    );
    Some(python)
}

fn sdk_check(python: &Path, v1_url: &str) -> Finished {
    let mut check = Command::new(python);
    check
        .arg(root().join("tests/python/sdk_check.py"))
        .arg(v1_url)
        .args(["--fail-word", FAIL_WORD, "--wrong-key"])
        .env("SEGMIND_API_KEY", API_KEY)
        .env("PYTHONDONTWRITEBYTECODE", "1");
    no_proxy_for_loopback(&mut check);
    run(check, Duration::from_secs(90))
}

/// The valid payload `sdk_check.py` sends for `slug` (the same choice).
fn valid_payload(slug: &str) -> serde_json::Value {
    let valid: Vec<_> = segmind_ideogram_tests::examples()
        .into_iter()
        .filter(|e| e.slug == slug && e.violations.is_empty())
        .collect();
    valid
        .iter()
        .find(|e| e.name == "document")
        .or_else(|| valid.first())
        .unwrap_or_else(|| panic!("no valid example for {slug}"))
        .request
        .clone()
}

/// `f` on a blocking thread, its panic passed on as is.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(f).await {
        Ok(value) => value,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_python_sdk_works_against_the_mock() {
    let Some(python) = blocking(sdk_python).await else {
        return;
    };
    let server = MockServer::builder()
        .api_key(API_KEY)
        .job_latency(Duration::from_millis(50), Duration::from_millis(50))
        .initial_credits(1e6)
        .fail_word(FAIL_WORD)
        .start()
        .await
        .unwrap();
    let v1_url = server.v1_url();
    let done = blocking(move || sdk_check(&python, &v1_url)).await;
    eprintln!("{}{}", done.stdout, done.stderr);
    assert!(
        done.status.success(),
        "sdk_check.py failed ({}):\n{}{}",
        done.status,
        done.stdout,
        done.stderr
    );
    assert!(done.stdout.contains("sdk_check: ok"), "{}", done.stdout);

    // Per endpoint (sdk_check.py reads them from the spec, as the registry
    // is generated from it): one run_sync; run and submit_async each queue
    // a job. Invalid payloads, the unknown slug, the wrong key and the
    // failed sync call are not accepted; the failed job is.
    let slugs: Vec<&str> = segmind_ideogram::ENDPOINTS.iter().map(|e| e.slug).collect();
    assert!(
        done.stdout.contains(&format!("{} endpoints", slugs.len())),
        "{}",
        done.stdout
    );
    assert_eq!(server.sync_calls(), slugs.len());
    assert_eq!(server.jobs_submitted(), 2 * slugs.len() + 1);
    let accepted = server.accepted();
    let mut per_slug: BTreeMap<(&str, bool), Vec<&Accepted>> = BTreeMap::new();
    for a in &accepted {
        per_slug
            .entry((a.slug.as_str(), a.mode == Mode::Sync))
            .or_default()
            .push(a);
    }
    for slug in slugs {
        let payload = valid_payload(slug);
        let sync = &per_slug[&(slug, true)];
        assert_eq!(sync.len(), 1, "{slug}");
        // The SDK sends the keyword arguments as the JSON body, unchanged.
        assert_eq!(sync[0].body, payload, "{slug} run_sync body");
        assert_eq!(
            sync[0].user_agent.as_deref(),
            Some("segmind-python-sdk/1.3.0"),
            "{slug}: it really is the official SDK talking"
        );
        let queued: Vec<_> = per_slug[&(slug, false)]
            .iter()
            .filter(|a| a.body == payload)
            .collect();
        assert_eq!(queued.len(), 2, "{slug}: run and submit_async");
    }
    let failed_queued = accepted.iter().any(|a| {
        a.mode == Mode::Queued
            && AnyRequest::from_json(&a.slug, &a.body)
                .and_then(Result::ok)
                .is_some_and(|request| {
                    request
                        .prompt_text()
                        .is_some_and(|prompt| prompt.contains(FAIL_WORD))
                })
    });
    assert!(failed_queued, "the failed job was queued");
}
