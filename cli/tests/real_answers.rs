//! The command line against the mock's realistic profile: Segmind as it is
//! seen to answer in the wild (`spec/sources/api-facts.md`, last section),
//! not as its docs show it. Every paid image is saved, and an answer that
//! refuses every request of the account stops a batch at once. These run
//! the binary (`ideogram batch` and an endpoint command) so that they hold
//! for whatever drives the batch.

use crate::common;

use std::time::Duration;

use common::{KEY, folder, pngs, run_batch, text, write_prompts};
use segmind_ideogram_mock::{MockServer, Mode};

/// `ideogram txt-2-img` against `server`, saving to `out`, off the async
/// threads (the mock lives on them).
async fn generate(server: &MockServer, out: &std::path::Path) -> std::process::Output {
    generate_with(server, out, &[]).await
}

async fn generate_with(
    server: &MockServer,
    out: &std::path::Path,
    extra: &[&str],
) -> std::process::Output {
    let base = server.base_url().to_owned();
    let target = out.to_owned();
    let extra: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("ideogram"))
            .env("SEGMIND_API_KEY", KEY)
            .args([
                "txt-2-img",
                "--prompt",
                "a lighthouse",
                "--poll-interval",
                "0.02",
            ])
            .args(["--base-url", &base])
            .args(&extra)
            .arg("--out")
            .arg(&target)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

/// A realistic mock whose jobs end quickly.
fn realistic() -> segmind_ideogram_mock::MockBuilder {
    MockServer::builder()
        .api_key(KEY)
        .realistic()
        .job_latency(Duration::from_millis(20), Duration::from_millis(30))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_402_stops_a_batch_after_at_most_the_submissions_in_flight() {
    // Credits for two jobs (the fallback price is 0.05): the third
    // submission is answered 402, as Segmind answers a queued submission
    // on an empty balance.
    let server = realistic().initial_credits(0.1).start().await.unwrap();
    let (_dir, lines, out) = folder();
    write_prompts(&lines, 20);
    let concurrency = 4;
    let output = run_batch(
        &server,
        &lines,
        &out,
        &["--concurrency", "4", "--no-credit-check"],
    )
    .await;
    let posts = server.generation_posts();
    let paid = server.jobs_submitted() as u64;
    assert_eq!(paid, 2, "{}", text(&output));
    // After the first 402 no submission starts: only those already in
    // flight may still reach the server.
    assert!(
        posts <= paid + concurrency,
        "{posts} POSTs for {paid} paid jobs at -j {concurrency}: the batch went on after a 402\n{}",
        text(&output)
    );
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("batch stopped"), "{}", text(&output));
    assert!(stderr.contains("402"), "{}", text(&output));
    // The two paid jobs are followed and their images saved all the same.
    assert_eq!(pngs(&out), 2, "{}", text(&output));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_saves_paid_images_listed_as_objects() {
    // Results list `images` as objects, ids are 32 hex digits, FAILED
    // answers carry no request_id: none of it may cost an image.
    let server = realistic().fail_word("forbidden").start().await.unwrap();
    let (_dir, lines, out) = folder();
    write_prompts(&lines, 5);
    let mut text_lines = std::fs::read_to_string(&lines).unwrap();
    text_lines.push_str(
        &serde_json::json!({"endpoint": "txt-2-img", "request": {"prompt": "a forbidden thing"}})
            .to_string(),
    );
    text_lines.push('\n');
    std::fs::write(&lines, text_lines).unwrap();
    let output = run_batch(&server, &lines, &out, &["--concurrency", "3"]).await;
    assert_eq!(output.status.code(), Some(6), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("batch: 5 done (0 from an earlier run), 1 failed"),
        "{}",
        text(&output)
    );
    assert_eq!(pngs(&out), 5, "{}", text(&output));
    // One POST per line: nothing was paid for twice.
    assert_eq!(server.generation_posts(), 6);
    assert_eq!(server.jobs_submitted(), 6);
    let ids: Vec<String> = server
        .accepted()
        .into_iter()
        .filter(|a| a.mode == Mode::Queued)
        .map(|a| a.request_id)
        .collect();
    assert!(
        ids.iter()
            .all(|id| id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit())),
        "{ids:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_generation_saves_an_image_listed_as_an_object() {
    let server = realistic().start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lighthouse.png");
    let output = generate(&server, &out).await;
    assert!(output.status.success(), "{}", text(&output));
    assert!(std::fs::read(&out).unwrap().starts_with(b"\x89PNG"));
    assert_eq!(server.generation_posts(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_answer_after_payment_says_how_to_fetch_the_image() {
    // Every status and result answer is an HTML page: the job is paid for,
    // its image cannot be read now, and at the wait's deadline (polling on
    // meanwhile) the one line says how to get it.
    let server = realistic().garbage_poll_rate(1.0).start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("paid.png");
    let output = generate_with(&server, &out, &["--wait-timeout", "2"]).await;
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    let job = server.accepted().remove(0).request_id;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.contains(&format!(
            "`ideogram jobs wait {job} --out {}`",
            out.display()
        )),
        "{}",
        text(&output)
    );
    assert_eq!(
        server.generation_posts(),
        1,
        "the job was not submitted again"
    );
}
