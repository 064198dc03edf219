//! Retries: which failures are repeated, how often, and after how long.
//! Delays are measured on tokio's paused clock, so the test takes no time.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use common::{Sequence, builder, client, image, json, paused_builder, png};
use segmind_ideogram::{
    ApiErrorKind, Delivery, Error, IdeogramTxt2ImgRequest, RetryPolicy, WaitOptions,
};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::time::Instant;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn request() -> IdeogramTxt2ImgRequest {
    IdeogramTxt2ImgRequest::new("x")
}

fn rate_limited() -> ResponseTemplate {
    json(429, json!({"error": "too many requests"}))
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.map_or(0, |r| r.len())
}

#[tokio::test(start_paused = true)]
async fn retry_after_in_seconds_is_waited_out() {
    let server = MockServer::start().await;
    let limited = rate_limited().insert_header("retry-after", "7");
    Mock::given(method("POST"))
        .respond_with(Sequence::new(vec![
            limited.clone(),
            limited,
            image(&png(1, 1), "image/png"),
        ]))
        .mount(&server)
        .await;
    let client = paused_builder(&server.uri()).build().unwrap();

    let started = Instant::now();
    client
        .run(&request())
        .await
        .expect("third attempt succeeds");
    let waited = started.elapsed();
    assert_eq!(requests(&server).await, 3);
    assert!(
        waited >= Duration::from_secs(14) && waited < Duration::from_secs(15),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_as_an_http_date_is_waited_out() {
    let server = MockServer::start().await;
    // On a whole second, so the HTTP-date's truncation loses nothing: the
    // wait is 30 to 31 s less the (real) time before the client reads it.
    let next_second = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1;
    let at =
        httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + Duration::from_secs(next_second + 30));
    let waited = waited_out(&server, "retry-after", &at).await;
    assert!(
        waited > Duration::from_secs(25) && waited <= Duration::from_secs(31),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_rate_limit_reset_header_is_waited_out() {
    let server = MockServer::start().await;
    // A wall-clock time: a loaded machine spends some of it before the 429
    // even arrives, so it is far enough ahead for that not to matter (the
    // paused clock makes the wait itself free).
    let reset = SystemTime::now() + Duration::from_secs(30);
    let rfc3339 = humantime::format_rfc3339_millis(reset).to_string();
    let waited = waited_out(&server, "x-rate-limit-reset-at-utc", &rfc3339).await;
    assert!(
        waited > Duration::from_secs(25) && waited <= Duration::from_secs(30),
        "{waited:?}"
    );
}

/// Answers a 429 carrying `header: value`, then an image, and returns how
/// long (on the paused clock) the client waited before its second attempt.
async fn waited_out(server: &MockServer, header: &str, value: &str) -> Duration {
    Mock::given(method("POST"))
        .respond_with(Sequence::new(vec![
            rate_limited().insert_header(header, value),
            image(&png(1, 1), "image/png"),
        ]))
        .mount(server)
        .await;
    let client = paused_builder(&server.uri()).build().unwrap();
    let started = Instant::now();
    client
        .run(&request())
        .await
        .expect("second attempt succeeds");
    let waited = started.elapsed();
    assert_eq!(requests(server).await, 2);
    waited
}

#[tokio::test(start_paused = true)]
async fn server_errors_on_a_get_back_off_with_jitter_then_give_up() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json(503, json!({"error": "busy"})))
        .mount(&server)
        .await;
    let policy = RetryPolicy::new()
        .max_attempts(4)
        .base_delay(Duration::from_secs(1))
        .max_delay(Duration::from_secs(2));
    let client = paused_builder(&server.uri())
        .retry_policy(policy)
        .build()
        .unwrap();

    let started = Instant::now();
    let err = client.job("job-1").unwrap().status().await.unwrap_err();
    let waited = started.elapsed();
    assert_eq!(err.api_kind(), Some(ApiErrorKind::Unavailable));
    assert_eq!(requests(&server).await, 4);
    // Full jitter: each wait is in [0, min(2 s, 1 s × 2^n)]: at most 1 + 2 + 2 s.
    assert!(waited <= Duration::from_secs(5), "{waited:?}");
}

#[tokio::test]
async fn a_post_answered_with_a_server_error_is_sent_exactly_once() {
    // A 500 came from Segmind; a gateway's 502 or 504 may hide a finished,
    // billed generation. None is sent again; the caller decides.
    for status in [500, 502, 503, 504] {
        for path in ["/v1/ideogram-txt-2-img", "/v2/ideogram-txt-2-img"] {
            let server = MockServer::start().await;
            Mock::given(method("POST"))
                .respond_with(json(status, json!({"error": "upstream"})))
                .expect(1)
                .mount(&server)
                .await;
            let client = client(&server.uri());
            let err = if path.starts_with("/v1") {
                client.run(&request()).await.unwrap_err()
            } else {
                client.submit(&request()).await.unwrap_err()
            };
            assert_eq!(err.status(), Some(status), "{path}");
            assert!(err.is_retryable(), "the caller may try again: {err}");
            assert_eq!(err.delivery(), Delivery::Answered);
            server.verify().await;
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_server_delay_beyond_the_policy_is_not_waited() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(rate_limited().insert_header("retry-after", "3600"))
        .mount(&server)
        .await;
    let client = paused_builder(&server.uri()).build().unwrap();

    let started = Instant::now();
    let err = client.run(&request()).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(requests(&server).await, 1);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert!(err.is_retryable());
}

#[tokio::test]
async fn non_retryable_statuses_are_not_repeated() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json(422, json!({"error": "bad seed"})))
        .mount(&server)
        .await;
    let err = client(&server.uri()).run(&request()).await.unwrap_err();
    assert_eq!(err.api_kind(), Some(ApiErrorKind::Unprocessable));
    assert_eq!(requests(&server).await, 1);
}

/// A server that reads each request and answers with `answer(n)` for the
/// n-th connection (0-based), or holds it open when that is `None`.
async fn raw_server(answer: fn(usize) -> Option<&'static str>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let mut read = 0;
                while !buf[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf[read..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(k) => read += k,
                    }
                }
                match answer(n) {
                    Some(response) => {
                        let _ = socket.write_all(response.as_bytes()).await;
                        let _ = socket.shutdown().await;
                    }
                    // Never answer; keep the socket open.
                    None => tokio::time::sleep(Duration::from_secs(30)).await,
                }
            });
        }
    });
    (uri, count)
}

#[tokio::test]
async fn a_post_that_timed_out_waiting_for_the_answer_is_never_repeated() {
    let (uri, connections) = raw_server(|_| None).await;
    let client = common::builder(&uri)
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();

    let err = client.run(&request()).await.unwrap_err();
    let Error::Transport(source) = &err else {
        panic!("expected Transport, got {err:?}");
    };
    assert!(source.is_timeout(), "{source}");
    assert_eq!(err.delivery(), Delivery::MaybeSent);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        connections.load(Ordering::SeqCst),
        1,
        "the POST may have been billed"
    );
}

#[tokio::test]
async fn a_post_whose_connection_dropped_after_sending_is_never_repeated() {
    // Headers promise 1000 bytes; the connection closes after 10.
    let (uri, connections) = raw_server(|_| {
        Some("HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 1000\r\n\r\n\u{89}PNG12345")
    })
    .await;
    let err = common::client(&uri).run(&request()).await.unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert_eq!(err.delivery(), Delivery::MaybeSent);
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn gets_are_repeated_after_a_dropped_connection() {
    const COMPLETED: &str = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 22\r\nConnection: close\r\n\r\n{\"status\":\"COMPLETED\"}";
    // The first connection is dropped without an answer.
    let (uri, connections) = raw_server(|n| Some(if n == 0 { "" } else { COMPLETED })).await;
    let status = common::client(&uri)
        .job("job-1")
        .unwrap()
        .status()
        .await
        .expect("retried");
    assert_eq!(status.status.as_str(), "COMPLETED");
    assert_eq!(connections.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn gets_are_repeated_after_server_errors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(Sequence::new(vec![
            json(500, json!({"error": "oops"})),
            json(502, json!({"error": "oops"})),
            json(200, json!({"status": "PROCESSING"})),
        ]))
        .mount(&server)
        .await;
    let status = client(&server.uri())
        .job("job-1")
        .unwrap()
        .status()
        .await
        .unwrap();
    assert_eq!(status.status.as_str(), "PROCESSING");
    assert_eq!(requests(&server).await, 3);
}

/// Answers from a sequence and counts the requests it received.
struct Counted(Sequence, Arc<AtomicUsize>);

impl wiremock::Respond for Counted {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        self.1.fetch_add(1, Ordering::SeqCst);
        self.0.respond(request)
    }
}

#[tokio::test]
async fn the_before_send_hook_runs_before_each_attempt_and_can_stop_it() {
    let server = MockServer::start().await;
    let received = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .respond_with(Counted(
            Sequence::new(vec![
                rate_limited().insert_header("retry-after", "0"),
                json(200, json!({"request_id": "job-1", "status": "QUEUED"})),
            ]),
            Arc::clone(&received),
        ))
        .mount(&server)
        .await;
    let client = client(&server.uri());
    let request = segmind_ideogram::AnyRequest::from(request());

    // Each call of the hook sees the POSTs made before it: none, then the 429.
    let seen = std::sync::Mutex::new(Vec::new());
    let hook = || {
        seen.lock().unwrap().push(received.load(Ordering::SeqCst));
        Ok(())
    };
    let job = client.submit_any_with_hook(&request, &hook).await.unwrap();
    assert_eq!(job.request_id(), "job-1");
    assert_eq!(*seen.lock().unwrap(), [0, 1]);

    // A failing hook: that attempt is not made, and the error says so.
    let calls = AtomicUsize::new(0);
    let refusing = || {
        calls.fetch_add(1, Ordering::SeqCst);
        Err(std::io::Error::other("journal full"))
    };
    let err = client
        .submit_any_with_hook(&request, &refusing)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::BeforeSend(_)), "{err:?}");
    assert_eq!(err.delivery(), Delivery::NotSent);
    assert!(err.to_string().contains("journal full"), "{err}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(received.load(Ordering::SeqCst), 2, "nothing more was sent");
}

/// A failure after the submission (here a poll refused with 401) names the
/// job and says the request was answered: the caller fetches the job, it
/// does not submit again. (Before, the poll's own error came back alone.)
#[tokio::test]
async fn a_failure_after_the_submission_keeps_the_job_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json(
            200,
            json!({"request_id": "job-7", "status": "QUEUED"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(json(401, json!({"error": "no"})))
        .mount(&server)
        .await;
    // Polled at once: the adaptive wait would first sleep for the
    // endpoint's typical latency.
    let client = builder(&server.uri())
        .wait_options(WaitOptions::new().interval(Duration::from_millis(1)))
        .build()
        .unwrap();
    let err = client.generate(&request()).await.unwrap_err();
    let Error::AfterPayment {
        request_id, source, ..
    } = &err
    else {
        panic!("expected AfterPayment, got {err:?}");
    };
    assert_eq!(request_id.as_deref(), Some("job-7"));
    assert_eq!(source.status(), Some(401), "{source:?}");
    assert_eq!(err.delivery(), Delivery::Answered);
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("job job-7"), "{err}");
    let posts = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method == wiremock::http::Method::POST)
        .count();
    assert_eq!(posts, 1);
}

/// A submission answered without a `status` (which the client does not
/// use) still gives its job: the job is paid for once Segmind answers.
#[tokio::test]
async fn a_submission_answer_without_a_status_keeps_its_job() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json(200, json!({"request_id": "job-9"})))
        .mount(&server)
        .await;
    let job = client(&server.uri()).submit(&request()).await.unwrap();
    assert_eq!(job.request_id(), "job-9");
    assert_eq!(requests(&server).await, 1);
}
