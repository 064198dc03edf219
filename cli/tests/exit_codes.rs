//! Every subcommand ends with a code its help documents, and Ctrl-C and
//! SIGTERM mean the same: a single command stops at once with 130 and says
//! what it leaves (the job to fetch by id), the mock server stops cleanly.

use crate::common;

use common::hanging_status_server;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use segmind_ideogram_mock::MockServer;

fn ideogram() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("ideogram"));
    cmd.env_remove("SEGMIND_API_KEY").env("NO_COLOR", "1");
    cmd
}

/// The codes `ideogram PATH --help` documents.
fn documented(path: &[&str]) -> Vec<i32> {
    let output = ideogram().args(path).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout).replace('\n', " ");
    let line = help
        .split("Exit codes:")
        .nth(1)
        .unwrap_or_else(|| panic!("{path:?} documents no exit codes: {help}"));
    line.split(',')
        .filter_map(|part| part.split_whitespace().next()?.parse().ok())
        .collect()
}

/// A port nothing listens on.
fn closed_port() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_subcommand_ends_with_a_documented_code() {
    let server = MockServer::builder().api_key("k").start().await.unwrap();
    let (base, closed, hanging) = (
        server.base_url().to_owned(),
        closed_port(),
        hanging_status_server().await,
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let file = file.to_str().unwrap().to_owned();
    let cases = tokio::task::spawn_blocking(move || {
        // (the subcommand, its arguments, the key, the code it must end with)
        let cases: Vec<(Vec<&str>, Vec<&str>, &str, i32)> = vec![
            (vec!["txt-2-img"], vec!["--prompt", "", "--dry-run"], "k", 2),
            (
                vec!["txt-2-img"],
                vec!["--prompt", "x", "--base-url", &base],
                "wrong",
                3,
            ),
            (
                vec!["txt-2-img"],
                vec!["--prompt", "x", "--base-url", &closed],
                "k",
                4,
            ),
            (
                vec!["txt-2-img"],
                vec![
                    "--prompt",
                    "x",
                    "--base-url",
                    &hanging,
                    "--poll-interval",
                    "0.05",
                    "--wait-timeout",
                    "0.3",
                ],
                "k",
                5,
            ),
            (
                vec!["jobs", "status"],
                vec!["../etc", "--base-url", &base],
                "k",
                2,
            ),
            (
                vec!["jobs", "status"],
                vec!["no-such-job", "--base-url", &base],
                "k",
                3,
            ),
            (
                vec!["jobs", "status"],
                vec!["some-job", "--base-url", &closed],
                "k",
                4,
            ),
            (
                vec!["jobs", "wait"],
                vec!["../etc", "--base-url", &base],
                "k",
                2,
            ),
            (vec!["credits"], vec!["--base-url", &base], "wrong", 3),
            (vec!["credits"], vec!["--base-url", &closed], "k", 4),
            (
                vec!["batch"],
                vec!["/no/such/lines.jsonl", "--out-dir", &file],
                "k",
                2,
            ),
            (vec!["list"], vec!["colours"], "k", 2),
            (vec!["completions"], vec!["tcsh"], "k", 2),
            (vec!["man"], vec!["--dir", &file], "k", 2),
            (vec!["mock", "serve"], vec!["--queued-ms", "soon"], "k", 2),
        ];
        cases
            .into_iter()
            .map(|(path, args, key, want)| {
                let output = ideogram()
                    .env("SEGMIND_API_KEY", key)
                    .args(&path)
                    .args(&args)
                    .output()
                    .unwrap();
                let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
                let path: Vec<String> = path.iter().map(|s| (*s).to_owned()).collect();
                (path, args.join(" "), output.status.code(), want, stderr)
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    for (path, args, got, want, stderr) in cases {
        assert_eq!(got, Some(want), "ideogram {path:?} {args}: {stderr}");
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        assert!(
            documented(&path).contains(&want),
            "ideogram {path:?} ends with {want}, which its help does not document"
        );
    }
}

fn signal(child: &Child, signal: libc::c_int) {
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
}

/// Waits for the child to exit, at most `limit`.
fn exit_within(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(started.elapsed() < limit, "still running after {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs an endpoint command against `base` until it has submitted its job,
/// sends it `sig`, and returns how it ended and all it wrote on stderr.
fn interrupted(base: &str, sig: libc::c_int) -> (std::process::ExitStatus, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = ideogram()
        .env("SEGMIND_API_KEY", "k")
        .current_dir(dir.path())
        .args(["txt-2-img", "--prompt", "x", "--base-url", base])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let first = stderr.next().unwrap().unwrap();
    assert!(first.starts_with("submitted job job-1"), "{first}");
    signal(&child, sig);
    // Read to the end: a closed pipe would end the child otherwise.
    let mut lines = vec![first];
    lines.extend(stderr.map(Result::unwrap));
    (exit_within(&mut child, Duration::from_secs(5)), lines)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_and_ctrl_c_stop_a_command_with_130_and_the_job_to_fetch() {
    let hanging = hanging_status_server().await;
    tokio::task::spawn_blocking(move || {
        for sig in [libc::SIGTERM, libc::SIGINT] {
            let (status, lines) = interrupted(&hanging, sig);
            assert_eq!(
                status.code(),
                Some(130),
                "signal {sig}: {status:?} {lines:?}"
            );
            // The last line says what the interruption left: the job, by id.
            let last = lines.last().cloned().unwrap_or_default();
            assert!(
                last.starts_with("ideogram: interrupted: job job-1 goes on")
                    && last.contains("ideogram jobs wait job-1 --out txt-2-img-job-1.png"),
                "{lines:?}"
            );
        }
    })
    .await
    .unwrap();
    assert!(documented(&["txt-2-img"]).contains(&130));
}

#[test]
fn sigterm_stops_the_mock_server_cleanly() {
    let mut child = ideogram()
        .args(["mock", "serve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("http://127.0.0.1:"), "{line}");
    signal(&child, libc::SIGTERM);
    let status = exit_within(&mut child, Duration::from_secs(5));
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(documented(&["mock", "serve"]).contains(&0));
}
