//! Reading a hostile body costs memory near the cap, not near the body.
//! Alone in its test binary, so that the process's peak memory is this
//! test's.

use std::time::Duration;

use segmind_ideogram::{Client, Error, IdeogramTxt2ImgRequest};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The process's peak resident memory (`VmHWM`), in bytes.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_body_costs_memory_near_the_cap() {
    let Some(before) = peak_rss() else {
        // No /proc (not Linux): nothing to measure here.
        return;
    };
    const CAP: u64 = 16 * 1024 * 1024;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut head = [0u8; 8192];
        let _ = socket.read(&mut head).await;
        let _ = socket
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nConnection: close\r\n\r\n\x89PNG\r\n\x1a\n")
            .await;
        let chunk = vec![7u8; 1024 * 1024];
        // Up to 1 GiB, far past the cap, unless the client hangs up first.
        for _ in 0..1024 {
            if socket.write_all(&chunk).await.is_err() {
                return;
            }
        }
    });
    let client = Client::builder()
        .api_key("k")
        .base_url(&uri)
        .max_image_bytes(CAP)
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let err = client
        .run(&IdeogramTxt2ImgRequest::new("x"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::BodyTooLarge { limit: CAP, .. }),
        "{err:?}"
    );
    let grown = peak_rss().unwrap().saturating_sub(before);
    assert!(
        grown < 4 * CAP,
        "peak memory grew by {} MiB for a {} MiB cap",
        grown >> 20,
        CAP >> 20
    );
}
