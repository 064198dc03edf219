//! The `ideogram` binary end to end: every endpoint offline with --mock,
//! dry runs, invalid input, queued jobs, and key hygiene.

use crate::common;

use common::hanging_status_server;
use std::path::Path;

use assert_cmd::Command;
use segmind_ideogram::{EndpointInfo, FieldShape};
use segmind_ideogram_mock::MockServer;
use serde_json::{Value, json};

fn ideogram() -> Command {
    let mut cmd = Command::cargo_bin("ideogram").expect("binary built");
    cmd.env_remove("SEGMIND_API_KEY");
    cmd
}

/// The smallest valid request of an endpoint, from the registry: each
/// required member with a value of its shape (an image by URL, as the
/// mock never fetches one).
fn minimal_request(info: &EndpointInfo) -> Value {
    let mut request = serde_json::Map::new();
    for field in info.fields.iter().filter(|f| f.required) {
        let value = match field.shape {
            FieldShape::Text => json!("a panda in a spacesuit"),
            FieldShape::Uri => json!("https://example.com/input.png"),
            FieldShape::Choice(values) => json!(values[0]),
            FieldShape::Integer { min, .. } => json!(min.unwrap_or(0)),
            FieldShape::Number => json!(1.0),
            FieldShape::Bool => json!(false),
            other => panic!(
                "{}: no minimal value for the required `{}` ({other:?})",
                info.slug, field.name
            ),
        };
        request.insert(field.name.to_owned(), value);
    }
    Value::Object(request)
}

fn is_png(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|b| b.starts_with(b"\x89PNG\r\n\x1a\n"))
}

fn one_line(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr).trim().to_owned();
    assert_eq!(text.lines().count(), 1, "stderr must be one line: {text:?}");
    text
}

/// The reason of an input error: clap's whole message for a usage error
/// (its tips and possible values), else the project's one line.
fn input_error(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr).trim().to_owned();
    if text.starts_with("error: ") {
        assert!(
            text.ends_with("For more information, try '--help'."),
            "{text}"
        );
        text
    } else {
        one_line(stderr)
    }
}

#[test]
fn main_command_writes_a_real_image_offline() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("panda.png");
    let output = ideogram()
        .args([
            "txt-2-img",
            "--mock",
            "--prompt",
            "a panda in a spacesuit",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        out.display().to_string()
    );
    assert!(is_png(&out));
}

#[test]
fn every_endpoint_runs_offline_by_full_slug() {
    let dir = tempfile::tempdir().unwrap();
    for info in segmind_ideogram::ENDPOINTS {
        let request = dir.path().join(format!("{}.json", info.slug));
        std::fs::write(&request, minimal_request(info).to_string()).unwrap();
        let out = dir.path().join(format!("{}.png", info.slug));
        // The full slug works as an alias of the short subcommand.
        ideogram()
            .args([info.slug, "--mock", "--json"])
            .arg(&request)
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        assert!(is_png(&out), "{}", info.slug);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_image_files_are_uploaded_to_storage_or_sent_inline() {
    let server = MockServer::builder().api_key("k").start().await.unwrap();
    let base = server.base_url().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let (input, out) = (dir.path().join("input.png"), dir.path().join("out.png"));
    let folder = dir.path().to_path_buf();
    let saved = out.clone();
    let (dry, inline, sent, missing) = tokio::task::spawn_blocking(move || {
        // A fixed, short poll: the mock's jobs take a fraction of a second,
        // not the endpoint's typical latency the adaptive wait starts from.
        let run = |args: &[&str]| {
            ideogram()
                .env("SEGMIND_API_KEY", "k")
                .args(args)
                .args(["--base-url", &base, "--poll-interval", "0.02"])
                .output()
                .unwrap()
        };
        let made = run(&[
            "txt-2-img",
            "--prompt",
            "p",
            "--out",
            input.to_str().unwrap(),
        ]);
        assert!(made.status.success());
        let image = ["--prompt", "night", "--image-file", input.to_str().unwrap()];
        let dry = run(&[&["img-2-img", "--dry-run"][..], &image].concat());
        let inline = run(&[&["img-2-img", "--dry-run", "--inline-images"][..], &image].concat());
        let sent = run(&[&["img-2-img", "--out", out.to_str().unwrap()][..], &image].concat());
        let missing_file = folder.join("no-such.png");
        let missing = run(&[
            "img-2-img",
            "--prompt",
            "x",
            "--image-file",
            missing_file.to_str().unwrap(),
        ]);
        (dry, inline, sent, missing)
    })
    .await
    .unwrap();
    let shown = String::from_utf8_lossy(&dry.stdout);
    assert!(
        shown.contains("uploaded to Segmind's storage when sent"),
        "{shown}"
    );
    let shown = String::from_utf8_lossy(&inline.stdout);
    assert!(
        shown.contains("\"image_file\": \"data:image/png;base64,"),
        "{shown}"
    );
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    assert!(is_png(&saved));
    // The job was sent the storage URL of the uploaded file.
    let body = server.accepted().last().unwrap().body.clone();
    let url = body["image_file"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/files/", server.base_url())),
        "{url}"
    );
    assert_eq!(missing.status.code(), Some(2));
    let line = one_line(&missing.stderr);
    assert!(line.contains("no such file"), "{line}");
}

#[test]
fn dry_run_prints_the_validated_payload_and_cost() {
    let output = ideogram()
        .args([
            "txt-2-img",
            "--dry-run",
            "--prompt",
            "a panda",
            "--negative-prompt",
            "blurry",
            "--magic-prompt-option",
            "OFF",
            "--resolution",
            "RESOLUTION_1280_720",
            "--seed",
            "4242",
            "--style-type",
            "RENDER_3D",
            "--color-palette",
            r##"{"members": [{"color_hex": "#b470b3", "color_weight": 0.6}]}"##,
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    insta::assert_snapshot!("dry_run_txt_2_img", String::from_utf8_lossy(&output.stdout));
    let output = ideogram()
        .args([
            "3-reframe",
            "--dry-run",
            "--image",
            "https://example.com/in.png",
            "--rendering-speed",
            "QUALITY",
            "--resolution",
            "800x1280",
            "--style-reference-images",
            "https://example.com/a.png",
            "--style-reference-images",
            "https://example.com/b.png",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    insta::assert_snapshot!("dry_run_3_reframe", String::from_utf8_lossy(&output.stdout));
}

#[test]
fn invalid_input_is_one_line_and_exit_code_2() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["txt-2-img", "--dry-run", "--prompt", "x", "--seed", "5"],
            "--seed",
        ),
        (
            &[
                "txt-2-img",
                "--dry-run",
                "--prompt",
                "x",
                "--resolution",
                "1000x1000",
            ],
            "--resolution",
        ),
        (&["txt-2-img", "--dry-run"], "prompt: is required"),
        (
            &[
                "txt-2-img",
                "--dry-run",
                "--prompt",
                "x",
                "--color-palette",
                "{oops",
            ],
            "--color-palette is not valid JSON",
        ),
        (
            &[
                "txt-2-img",
                "--dry-run",
                "--prompt",
                "x",
                "--color-palette",
                r#"{"members": [{"color_hex": "pink"}]}"#,
            ],
            "color_palette.members[0].color_hex",
        ),
        (
            &[
                "3-reframe",
                "--dry-run",
                "--image",
                "https://e.com/a",
                "--style-codes",
                "Modern",
            ],
            "style_codes[0]",
        ),
        (
            &[
                "3-reframe",
                "--dry-run",
                "--image",
                "https://e.com/a",
                "--style-codes",
                "AAFF5733",
                "--style-reference-images",
                "https://e.com/b",
            ],
            "cannot both be non-empty",
        ),
        (
            &[
                "2a-img-2-img",
                "--dry-run",
                "--prompt",
                "x",
                "--image-file",
                "https://e.com/a",
                "--color-palette",
                "{}",
            ],
            "--color-palette",
        ),
        (
            &["txt-2-img", "--dry-run", "--json", "/no/such/file.json"],
            "cannot read /no/such/file.json",
        ),
        (&["frobnicate"], "unrecognized subcommand"),
        (&["txt-2-img", "--prompt", "x"], "no API key"),
    ];
    for (args, expected) in cases {
        let output = ideogram().args(*args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let line = input_error(&output.stderr);
        assert!(line.contains(expected), "{args:?}: {line}");
        assert!(output.stdout.is_empty(), "{args:?} printed to stdout");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_errors_exit_3_and_never_show_the_key() {
    let server = MockServer::builder()
        .api_key("the-right-key")
        .start()
        .await
        .unwrap();
    let base = server.base_url().to_owned();
    let output = tokio::task::spawn_blocking(move || {
        ideogram()
            .env("SEGMIND_API_KEY", "sk-CANARY-6f1d2e")
            .args(["txt-2-img", "--prompt", "x", "--base-url", &base])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let line = one_line(&output.stderr);
    assert!(line.contains("401"), "{line}");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!all.contains("sk-CANARY"), "key leaked: {all}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_errors_exit_4() {
    // A port nothing listens on: bind, note it, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = tokio::task::spawn_blocking(move || {
        ideogram()
            .env("SEGMIND_API_KEY", "k")
            .args([
                "txt-2-img",
                "--prompt",
                "x",
                "--base-url",
                &format!("http://127.0.0.1:{port}"),
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(
        output.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    one_line(&output.stderr);
}

#[test]
fn the_queue_is_the_default_with_progress_and_the_job_id_first() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("queued.png");
    let output = ideogram()
        .args([
            "txt-2-img",
            "--mock",
            "--poll-interval",
            "0.02",
            "--prompt",
            "queued panda",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let first = stderr.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("submitted job ") && first.contains("ideogram jobs wait "),
        "{stderr}"
    );
    assert!(
        stderr.contains("QUEUED") && stderr.contains("COMPLETED"),
        "{stderr}"
    );
    assert!(is_png(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_uses_v1_and_the_default_uses_v2() {
    let server = MockServer::builder().api_key("k").start().await.unwrap();
    let base = server.base_url().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.png");
    let (sync, queued) = tokio::task::spawn_blocking(move || {
        let run = |extra: &[&str]| {
            ideogram()
                .env("SEGMIND_API_KEY", "k")
                .args(["txt-2-img", "--prompt", "x", "--base-url", &base, "--out"])
                .arg(&out)
                .arg("--overwrite")
                .args(extra)
                .output()
                .unwrap()
        };
        (run(&["--sync"]), run(&["--poll-interval", "0.02"]))
    })
    .await
    .unwrap();
    assert!(
        sync.status.success(),
        "{}",
        String::from_utf8_lossy(&sync.stderr)
    );
    assert!(
        queued.status.success(),
        "{}",
        String::from_utf8_lossy(&queued.stderr)
    );
    assert_eq!((server.sync_calls(), server.jobs_submitted()), (1, 1));
}

#[test]
fn durations_that_are_not_durations_are_input_errors() {
    for (flag, value) in [
        ("--poll-interval", "NaN"),
        ("--poll-interval", "-1"),
        ("--wait-timeout", "inf"),
        ("--request-timeout", "1e300"),
    ] {
        let output = ideogram()
            .args(["txt-2-img", "--mock", "--prompt", "x", flag, value])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{flag} {value}");
        let line = input_error(&output.stderr);
        assert!(line.contains(value), "{line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_status_and_wait_follow_a_job_by_id() {
    let server = MockServer::builder()
        .api_key("k")
        .job_latency(
            std::time::Duration::from_millis(50),
            std::time::Duration::from_millis(50),
        )
        .start()
        .await
        .unwrap();
    let client = segmind_ideogram::Client::builder()
        .api_key("k")
        .base_url(server.base_url())
        .build()
        .unwrap();
    let job = client
        .submit(&segmind_ideogram::IdeogramTxt2ImgRequest::new("a job"))
        .await
        .unwrap();
    let id = job.request_id().to_owned();
    let base = server.base_url().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("job.png");
    let out2 = out.clone();
    let (status, wait) = tokio::task::spawn_blocking(move || {
        let run = |args: Vec<&str>| {
            ideogram()
                .env("SEGMIND_API_KEY", "k")
                .args(args)
                .args(["--base-url", &base])
                .output()
                .unwrap()
        };
        let out = out2.to_str().unwrap();
        (
            run(vec!["jobs", "status", &id]),
            run(vec![
                "jobs",
                "wait",
                &id,
                "--poll-interval",
                "0.02",
                "--out",
                out,
            ]),
        )
    })
    .await
    .unwrap();
    assert!(status.status.success());
    let body: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert!(body["status"].is_string());
    assert!(
        wait.status.success(),
        "{}",
        String::from_utf8_lossy(&wait.stderr)
    );
    assert!(is_png(&out));
    assert_eq!(server.jobs_submitted(), 1);
}

#[test]
fn list_shows_every_resolution_and_endpoint() {
    let output = ideogram().args(["list", "resolutions"]).output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    // Each distinct list of the registry, once, under the endpoints that take it.
    let mut lists: Vec<(&[&str], Vec<&str>)> = Vec::new();
    for info in segmind_ideogram::ENDPOINTS {
        if let Some(FieldShape::Choice(values)) = info.field("resolution").map(|f| f.shape) {
            let name = info.slug.strip_prefix("ideogram-").unwrap_or(info.slug);
            match lists.iter_mut().find(|(v, _)| *v == values) {
                Some((_, users)) => users.push(name),
                None => lists.push((values, vec![name])),
            }
        }
    }
    assert!(!lists.is_empty());
    let groups: Vec<&str> = text.split("\n\n").collect();
    assert_eq!(groups.len(), lists.len(), "{text}");
    for (group, (values, users)) in groups.iter().zip(&lists) {
        let mut lines = group.lines();
        assert_eq!(
            lines.next(),
            Some(
                format!(
                    "# resolution ({} values): {}",
                    values.len(),
                    users.join(", ")
                )
                .as_str()
            )
        );
        assert!(lines.eq(values.iter().copied()), "{group}");
    }
    let output = ideogram().args(["list", "endpoints"]).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).lines().count(),
        segmind_ideogram::ENDPOINTS.len()
    );
    let output = ideogram().args(["list", "colours"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn help_points_to_the_resolution_list() {
    let output = ideogram().args(["txt-2-img", "--help"]).output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("ideogram list resolutions"), "{help}");
    for flag in [
        "--image-file",
        "--style-type",
        "--resolution",
        "--seed",
        "--json",
        "--out",
        "--sync",
        "--dry-run",
        "--mock",
    ] {
        let subcommand = if flag == "--image-file" {
            "img-2-img"
        } else {
            "txt-2-img"
        };
        let out = ideogram().args([subcommand, "--help"]).output().unwrap();
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(flag),
            "{subcommand} lacks {flag}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_timeout_holds_when_a_status_request_hangs() {
    let base = hanging_status_server().await;
    let started = std::time::Instant::now();
    let output = tokio::task::spawn_blocking(move || {
        ideogram()
            .env("SEGMIND_API_KEY", "k")
            .args(["txt-2-img", "--prompt", "x", "--base-url", &base])
            .args(["--poll-interval", "0.2", "--wait-timeout", "1"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let took = started.elapsed();
    assert_eq!(
        output.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("submitted job job-1"), "{stderr}");
    // One second of waiting, one interval, and the process's start and end.
    assert!(took < std::time::Duration::from_secs(6), "{took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_output_that_cannot_be_written_is_refused_before_paying() {
    let server = MockServer::builder().api_key("k").start().await.unwrap();
    let base = server.base_url().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().to_path_buf();
    let outputs = tokio::task::spawn_blocking(move || {
        let run = |args: &[&str], out: &std::path::Path| {
            ideogram()
                .env("SEGMIND_API_KEY", "k")
                .args(args)
                .args(["--base-url", &base, "--out"])
                .arg(out)
                .output()
                .unwrap()
        };
        let missing = folder.join("missing/dir/x.png");
        vec![
            run(&["txt-2-img", "--prompt", "x"], &missing),
            run(&["txt-2-img", "--prompt", "x", "--sync"], &missing),
            run(&["txt-2-img", "--prompt", "x"], &folder),
            run(&["jobs", "wait", "some-job"], &missing),
        ]
    })
    .await
    .unwrap();
    for output in outputs {
        assert_eq!(output.status.code(), Some(2));
        let line = one_line(&output.stderr);
        assert!(line.contains("nothing was sent"), "{line}");
    }
    assert_eq!(server.requests_received(), 0);
}

/// A full disk after paying: the one line names the job and how to fetch it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_image_that_cannot_be_saved_names_its_job() {
    let server = MockServer::builder()
        .api_key("k")
        .job_latency(
            std::time::Duration::from_millis(10),
            std::time::Duration::from_millis(10),
        )
        .start()
        .await
        .unwrap();
    let base = server.base_url().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("x.png");
    std::os::unix::fs::symlink("/dev/full", &full).unwrap();
    let output = tokio::task::spawn_blocking(move || {
        ideogram()
            .env("SEGMIND_API_KEY", "k")
            .args(["txt-2-img", "--prompt", "x", "--poll-interval", "0.02"])
            .args(["--base-url", &base, "--overwrite", "--out"])
            .arg(&full)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(output.status.code(), Some(2));
    // The job's progress lines, then the one line of the failure.
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let line = stderr.lines().last().unwrap_or_default();
    assert!(line.contains("No space left on device"), "{line}");
    let id = line
        .split("ideogram jobs wait ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no job id in: {line}"));
    assert!(
        line.contains(&format!("job {id} may be paid for")),
        "{line}"
    );
    assert_eq!(server.jobs_submitted(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_serve_limits_the_rate_it_is_given() {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("ideogram"))
        .args(["mock", "serve", "--rate-limit", "2", "--rate-window", "60"])
        .args([
            "--retry-after",
            "999999999",
            "--retired",
            "ideogram-3-reframe",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let base = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line.trim().to_owned()
    })
    .await
    .unwrap();
    let client = segmind_ideogram::Client::builder()
        .api_key("any")
        .base_url(&base)
        .retry_policy(segmind_ideogram::RetryPolicy::none())
        .build()
        .unwrap();
    let request = segmind_ideogram::IdeogramTxt2ImgRequest::new("x");
    assert!(client.submit(&request).await.is_ok());
    assert!(client.submit(&request).await.is_ok());
    let third = client.submit(&request).await.unwrap_err();
    assert_eq!(third.status(), Some(429), "{third}");
    // The absurd wait the server names is reported capped, not waited.
    assert_eq!(
        third.retry_after(),
        Some(segmind_ideogram::MAX_REPORTED_SERVER_DELAY)
    );
    let retired = client
        .submit(&segmind_ideogram::Ideogram3ReframeRequest::new(
            "https://e.com/a.png",
        ))
        .await
        .unwrap_err();
    assert_eq!(retired.status(), Some(410), "{retired}");
    child.kill().unwrap();
    let _ = child.wait();
}

/// A credits answer that holds no credits at all (an error in a 200, an
/// empty object) is not an empty account: it printed `0.0000`, exit 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credits_without_credits_in_the_answer_are_an_error() {
    let base = common::scripted_server(|_| Some(r#"{"error":"Invalid API key"}"#)).await;
    let output = tokio::task::spawn_blocking(move || {
        ideogram()
            .env("SEGMIND_API_KEY", "k")
            .args(["credits", "--base-url", &base])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("holds no credits"), "{stderr}");
    assert!(output.stdout.is_empty());
}
