//! A client that connects and never finishes its request head is
//! disconnected after the header-read timeout (a slowloris defence), while
//! requests that arrive in time are served as before.
//!
//! On tokio's paused clock: the mock is served on the test's runtime and
//! its header timer is tokio's, so the waits pass at once.

use crate::common;

use std::time::Duration;

use common::{get, keyed, start};
use reqwest::StatusCode;
use segmind_ideogram_mock::{MockConfig, MockServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

const TIMEOUT: Duration = Duration::from_millis(400);

/// Much longer than the timeout: a connection still open by then is held.
const HELD: Duration = Duration::from_secs(3);

async fn server(timeout: Option<Duration>) -> MockServer {
    start(keyed().header_read_timeout(timeout)).await
}

async fn connect(server: &MockServer) -> TcpStream {
    TcpStream::connect(server.base_url().trim_start_matches("http://"))
        .await
        .unwrap()
}

/// How long until the server closes the connection (EOF or reset), or
/// `None` when it is still open after [`HELD`].
async fn closed_after(stream: &mut TcpStream, started: Instant) -> Option<Duration> {
    let mut buf = [0u8; 1024];
    let read = tokio::time::timeout(HELD, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                // hyper may answer 408 before closing; keep reading to the end.
                Ok(_) => {}
            }
        }
    })
    .await;
    read.ok().map(|()| started.elapsed())
}

#[tokio::test(start_paused = true)]
async fn half_a_request_line_is_disconnected_after_the_timeout() {
    let server = server(Some(TIMEOUT)).await;
    let mut stream = connect(&server).await;
    let started = Instant::now();
    stream.write_all(b"GET /v2/requests/abc/sta").await.unwrap();
    let closed = closed_after(&mut stream, started)
        .await
        .expect("the connection must be closed");
    assert!(closed >= TIMEOUT - Duration::from_millis(50), "{closed:?}");
    assert!(closed < TIMEOUT * 4, "{closed:?}");

    let status = get(&format!("{}/v2/requests/abc/status", server.base_url())).await;
    assert_eq!(status.status(), StatusCode::NOT_FOUND, "others are served");
}

#[tokio::test(start_paused = true)]
async fn trickling_bytes_does_not_extend_the_deadline() {
    let server = server(Some(TIMEOUT)).await;
    let mut stream = connect(&server).await;
    let started = Instant::now();
    let head = b"GET /v2/requests/abc/status HTTP/1.1\r\nhost: x\r\nx-api-key: test-key\r\n";
    let mut closed = None;
    for byte in head {
        if stream.write_all(&[*byte]).await.is_err() {
            closed = Some(started.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let closed = match closed {
        Some(at) => at,
        None => closed_after(&mut stream, started).await.expect("closed"),
    };
    assert!(
        closed < TIMEOUT * 4,
        "a byte every 25 ms held it {closed:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_kept_alive_connection_is_served_until_it_goes_quiet() {
    let server = server(Some(TIMEOUT)).await;
    let mut stream = connect(&server).await;
    let request = b"GET /v2/requests/abc/status HTTP/1.1\r\nhost: x\r\nx-api-key: test-key\r\n\r\n";
    for _ in 0..2 {
        stream.write_all(request).await.unwrap();
        let mut buf = [0u8; 1024];
        let n = stream.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 404"), "{:?}", &buf[..n]);
    }
    let started = Instant::now();
    let closed = closed_after(&mut stream, started).await.expect("closed");
    assert!(closed >= TIMEOUT - Duration::from_millis(50), "{closed:?}");
}

#[tokio::test(start_paused = true)]
async fn without_a_timeout_the_connection_is_held() {
    let server = server(None).await;
    let mut stream = connect(&server).await;
    stream.write_all(b"GET /v2/requests/abc/sta").await.unwrap();
    assert_eq!(closed_after(&mut stream, Instant::now()).await, None);
}

#[test]
fn the_default_timeout_is_ten_seconds() {
    assert_eq!(
        MockConfig::default().header_read_timeout,
        Some(Duration::from_secs(10))
    );
}
