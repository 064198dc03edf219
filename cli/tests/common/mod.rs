//! Shared pieces of the CLI's batch tests: input files, the command, and
//! what the server and the output folder say afterwards.

#![allow(dead_code)] // Each test file uses a different part.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use segmind_ideogram_mock::{MockServer, Mode};
use serde_json::{Value, json};

pub const KEY: &str = "batch-key";

/// `n` lines over every kind of endpoint, short names and full slugs, some
/// with explicit ids.
pub fn write_lines(path: &Path, n: usize) {
    let mut text = String::new();
    for i in 0..n {
        let line = match i % 4 {
            0 => json!({"endpoint": "txt-2-img", "request": {"prompt": format!("line {i}")}}),
            1 => {
                json!({"endpoint": "ideogram-turbo-img-2-img", "request": {"prompt": format!("line {i}"), "image_file": "https://example.com/in.png"}})
            }
            2 => {
                json!({"id": format!("reframe-{i}"), "endpoint": "3-reframe", "request": {"image": format!("https://example.com/line-{i}.png")}})
            }
            _ => {
                json!({"endpoint": "2a-img-2-img", "request": {"prompt": format!("line {i}"), "image_file": "https://example.com/in.png", "seed": 100 + i}})
            }
        };
        text.push_str(&line.to_string());
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

/// `n` text-to-image lines, one endpoint and price.
pub fn write_prompts(path: &Path, n: usize) {
    let text: String = (0..n)
        .map(|i| {
            json!({"endpoint": "txt-2-img", "request": {"prompt": format!("prompt {i}")}})
                .to_string()
                + "\n"
        })
        .collect();
    std::fs::write(path, text).unwrap();
}

/// `n` prompts with the ids `prompt-0`, `prompt-1`, ...
pub fn write_named_prompts(path: &Path, n: usize) {
    let text: String = (0..n)
        .map(|i| {
            json!({"id": format!("prompt-{i}"), "endpoint": "txt-2-img", "request": {"prompt": format!("prompt {i}")}})
                .to_string()
                + "\n"
        })
        .collect();
    std::fs::write(path, text).unwrap();
}

/// A scratch folder with the input file's and the output folder's paths;
/// the folder lives as long as the first element.
pub fn folder() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let (lines, out) = (dir.path().join("lines.jsonl"), dir.path().join("out"));
    (dir, lines, out)
}

/// How many times each distinct body was queued.
pub fn submissions(server: &MockServer) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for accepted in server
        .accepted()
        .into_iter()
        .filter(|a| a.mode == Mode::Queued)
    {
        *counts.entry(accepted.body.to_string()).or_default() += 1;
    }
    counts
}

/// Asserts that no body was queued twice, and returns how many were queued.
pub fn each_once(server: &MockServer) -> usize {
    let counts = submissions(server);
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "submitted more than once: {twice:?}");
    counts.len()
}

/// The journal's records of this kind.
pub fn records(dir: &Path, kind: &str) -> Vec<Value> {
    std::fs::read_to_string(dir.join("journal.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["record"] == kind)
        .collect()
}

/// Real PNG files in `dir`.
pub fn pngs(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter(|e| {
                    let path = e.as_ref().unwrap().path();
                    path.extension().is_some_and(|x| x == "png")
                        && std::fs::read(&path).is_ok_and(|b| b.starts_with(b"\x89PNG"))
                })
                .count()
        })
        .unwrap_or(0)
}

/// `ideogram batch LINES --out-dir OUT` against `base`, quick to poll and
/// quick to decide from the history (unless `extra` sets the grace);
/// `extra` flags appended.
pub fn batch_command(lines: &Path, out: &Path, base: &str, extra: &[&str]) -> Process {
    let mut cmd = Process::new(assert_cmd::cargo::cargo_bin("ideogram"));
    cmd.env("SEGMIND_API_KEY", KEY)
        .env_remove("NO_COLOR")
        .args(["batch"])
        .arg(lines)
        .arg("--out-dir")
        .arg(out)
        .args(["--poll-interval", "0.02", "--base-url", base]);
    if !extra.contains(&"--history-grace") {
        cmd.args(["--history-grace", "0.3"]);
    }
    cmd.args(extra);
    cmd
}

/// Runs the batch to completion off the async threads (the mock lives on them).
pub async fn run_batch(
    server: &MockServer,
    lines: &Path,
    out: &Path,
    extra: &[&str],
) -> std::process::Output {
    let base = server.base_url().to_owned();
    let (lines, out) = (lines.to_owned(), out.to_owned());
    let extra: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        batch_command(&lines, &out, &base, &extra).output().unwrap()
    })
    .await
    .unwrap()
}

/// stdout and stderr, for assertion messages.
pub fn text(output: &std::process::Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A loopback HTTP server that answers each request by its head (method,
/// path, headers): `Some(body)` as a 200 JSON answer, `None` never (the
/// request hangs). For answers the mock does not give.
pub async fn scripted_server(answer: fn(&[u8]) -> Option<&'static str>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let mut read = 0;
                while !buf[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf[read..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(k) => read += k,
                    }
                }
                match answer(&buf[..read]) {
                    Some(body) => {
                        let answer = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = socket.write_all(answer.as_bytes()).await;
                    }
                    None => tokio::time::sleep(std::time::Duration::from_secs(600)).await,
                }
            });
        }
    });
    uri
}

/// A server that queues every POST as `job-1` and never answers a GET.
pub async fn hanging_status_server() -> String {
    scripted_server(|head| {
        head.starts_with(b"POST")
            .then_some(r#"{"request_id":"job-1","status":"QUEUED"}"#)
    })
    .await
}
