//! The endpoint commands and `jobs wait` never write over a file: an output
//! path that exists (or the path the real format would take) is refused
//! before anything is paid for, unless `--overwrite`; a path that appears
//! while the job runs gets a free name instead; and the default name is
//! unique per job.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use segmind_ideogram_mock::MockServer;

const KEY: &str = "k";
const PRECIOUS: &[u8] = b"precious";

fn is_png(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|b| b.starts_with(b"\x89PNG\r\n\x1a\n"))
}

fn text(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs `ideogram ARGS --base-url BASE` in `dir`, off the async threads
/// (the mock lives on them).
async fn run(dir: &Path, base: &str, args: &[&str]) -> Output {
    let (dir, base) = (dir.to_owned(), base.to_owned());
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        Command::cargo_bin("ideogram")
            .unwrap()
            .current_dir(&dir)
            .env("SEGMIND_API_KEY", KEY)
            .args(&args)
            .args(["--base-url", &base, "--poll-interval", "0.02"])
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

async fn server() -> MockServer {
    MockServer::builder()
        .api_key(KEY)
        .job_latency(
            std::time::Duration::from_millis(10),
            std::time::Duration::from_millis(10),
        )
        .start()
        .await
        .unwrap()
}

/// The files in `dir`, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_file_is_refused_before_anything_is_paid_for() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let keep = dir.path().join("keep.png");
    std::fs::write(&keep, PRECIOUS).unwrap();
    // The asked path, and the path the real format (PNG) would take, in
    // both protocols.
    for args in [
        &["txt-2-img", "--prompt", "x", "--out", "keep.jpg"][..],
        &["txt-2-img", "--prompt", "x", "--out", "keep.png"],
        &["txt-2-img", "--prompt", "x", "--out", "keep"],
        &["txt-2-img", "--prompt", "x", "--out", "keep.jpg", "--sync"],
    ] {
        let output = run(dir.path(), server.base_url(), args).await;
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("keep.png") && stderr.contains("--overwrite"),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("nothing was sent"), "{stderr}");
        // --overwrite replaces only the file named: the message says what
        // it would do for another file where the real format goes.
        let named = args[4] == "keep.png";
        assert_eq!(
            stderr.contains("pass --overwrite to replace it"),
            named,
            "{args:?}: {stderr}"
        );
        if !named {
            assert!(
                stderr.contains("where the image goes if it comes back as PNG")
                    && stderr.contains(&format!("replaces {} only", args[4])),
                "{args:?}: {stderr}"
            );
        }
    }
    assert_eq!(std::fs::read(&keep).unwrap(), PRECIOUS);
    assert_eq!(server.generation_posts(), 0);
    assert_eq!(server.requests_received(), 0);
    assert_eq!(files(dir.path()), ["keep.png"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overwrite_replaces_the_named_file_and_no_other() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let keep = dir.path().join("keep.png");
    std::fs::write(&keep, PRECIOUS).unwrap();
    let output = run(
        dir.path(),
        server.base_url(),
        &[
            "txt-2-img",
            "--prompt",
            "x",
            "--out",
            "keep.png",
            "--overwrite",
        ],
    )
    .await;
    assert!(output.status.success(), "{}", text(&output));
    assert!(is_png(&keep));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "keep.png");

    // `--overwrite` names keep.jpg; the PNG that comes back would land on
    // other.png, which was not named: it gets a free name, and says so.
    let other = dir.path().join("other.png");
    std::fs::write(&other, PRECIOUS).unwrap();
    let output = run(
        dir.path(),
        server.base_url(),
        &[
            "txt-2-img",
            "--prompt",
            "x",
            "--out",
            "other.jpg",
            "--overwrite",
            "--sync",
        ],
    )
    .await;
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(std::fs::read(&other).unwrap(), PRECIOUS);
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "other-1.png"
    );
    assert!(is_png(&dir.path().join("other-1.png")));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("other.png exists") && stderr.contains("other-1.png"),
        "{stderr}"
    );
    assert_eq!(server.generation_posts(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_name_is_unique_per_job() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let mut written = Vec::new();
    for extra in [&[][..], &[], &["--sync"], &["--sync"]] {
        let args = [
            &["3-reframe", "--image", "https://example.com/in.png"][..],
            extra,
        ]
        .concat();
        let output = run(dir.path(), server.base_url(), &args).await;
        assert!(output.status.success(), "{}", text(&output));
        let path = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        assert!(
            path.starts_with("3-reframe-") && path.ends_with(".png"),
            "{path}"
        );
        assert!(is_png(&dir.path().join(&path)));
        written.push(path);
    }
    // Four jobs, four images, each named after its job.
    let ids: Vec<String> = server
        .accepted()
        .into_iter()
        .map(|a| a.request_id)
        .collect();
    assert_eq!(ids.len(), 4);
    for (path, id) in written.iter().zip(&ids) {
        assert_eq!(path, &format!("3-reframe-{id}.png"));
    }
    assert_eq!(files(dir.path()).len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_wait_has_a_default_name_and_never_overwrites() {
    let server = server().await;
    let client = segmind_ideogram::Client::builder()
        .api_key(KEY)
        .base_url(server.base_url())
        .build()
        .unwrap();
    let job = client
        .submit(&segmind_ideogram::IdeogramTxt2ImgRequest::new("a job"))
        .await
        .unwrap();
    let id = job.request_id().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let taken: PathBuf = dir.path().join("taken.png");
    std::fs::write(&taken, PRECIOUS).unwrap();
    let before = server.requests_received();
    let refused = run(
        dir.path(),
        server.base_url(),
        &["jobs", "wait", &id, "--out", "taken.png"],
    )
    .await;
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--overwrite"));
    assert_eq!(server.requests_received(), before, "nothing sent");
    assert_eq!(std::fs::read(&taken).unwrap(), PRECIOUS);

    let output = run(dir.path(), server.base_url(), &["jobs", "wait", &id]).await;
    assert!(output.status.success(), "{}", text(&output));
    let name = format!("job-{id}.png");
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), name);
    assert!(is_png(&dir.path().join(&name)));
    // A second wait for the same job keeps the first image.
    let again = run(dir.path(), server.base_url(), &["jobs", "wait", &id]).await;
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    let forced = run(
        dir.path(),
        server.base_url(),
        &["jobs", "wait", &id, "--overwrite"],
    )
    .await;
    assert!(forced.status.success(), "{}", text(&forced));
    assert_eq!(server.jobs_submitted(), 1);
}

/// Each `--mock` run starts a mock of its own: its job ids must not repeat
/// the last run's, or the second image is named `…-1` after the first
/// run's job (a restarted `ideogram mock serve` gave the same ids too).
#[test]
fn mock_runs_in_one_folder_name_their_images_after_their_own_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..2)
        .map(|_| {
            let output = Command::cargo_bin("ideogram")
                .unwrap()
                .current_dir(dir.path())
                .args(["txt-2-img", "--mock", "--prompt", "x"])
                .output()
                .unwrap();
            assert!(output.status.success(), "{}", text(&output));
            String::from_utf8_lossy(&output.stdout).trim().to_owned()
        })
        .collect();
    assert_ne!(names[0], names[1]);
    for name in &names {
        assert!(!name.ends_with("-1.png"), "{names:?}");
        assert!(is_png(&dir.path().join(name)));
    }
}

/// Without `--out` the image goes to the working folder under the job's
/// name: a folder the image cannot be written to is refused before
/// anything is paid (a `--sync` image, held in memory only, was paid for
/// and lost).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_default_folder_that_cannot_be_written_is_refused_before_paying() {
    let server = server().await;
    let dir = tempfile::tempdir().unwrap();
    let gone = dir.path().join("gone");
    std::fs::create_dir(&gone).unwrap();
    let binary = assert_cmd::cargo::cargo_bin("ideogram");
    let base = server.base_url().to_owned();
    for extra in ["--sync", "--wait-timeout=5"] {
        let (gone, binary, base) = (gone.clone(), binary.clone(), base.clone());
        std::fs::create_dir_all(&gone).unwrap();
        let output = tokio::task::spawn_blocking(move || {
            // The working folder is removed under the command (as root, no
            // permission stops a write; a removed folder does).
            std::process::Command::new("sh")
                .arg("-c")
                .arg(r#"cd "$1" && rmdir "$1" && shift && exec "$@""#)
                .arg("sh")
                .arg(&gone)
                .arg(&binary)
                .args(["txt-2-img", "--prompt", "x", "--base-url", &base, extra])
                .env("SEGMIND_API_KEY", KEY)
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        assert_eq!(output.status.code(), Some(2), "{extra}: {}", text(&output));
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("nothing was sent"),
            "{}",
            text(&output)
        );
    }
    assert_eq!(server.generation_posts(), 0);
}
