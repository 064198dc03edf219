//! Servers that misbehave: endless and oversized bodies, hung polls, absurd
//! waits, keys echoed back, ids that would bend a URL, HTML where JSON
//! belongs. Each test reproduces a defect the transport used to have.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{KEY, client, json, png};
use segmind_ideogram::{
    BodyKind, Client, Delivery, Error, IdeogramTxt2ImgRequest, JobStatus, RetryPolicy, WaitOptions,
};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MIB: u64 = 1024 * 1024;

fn request() -> IdeogramTxt2ImgRequest {
    IdeogramTxt2ImgRequest::new("x")
}

/// A server that answers every request with `head` and then `body_chunk`
/// over and over until the client hangs up. Returns its URL and the bytes
/// of body it managed to write.
async fn endless_server(
    head: &'static str,
    body_chunk: &'static [u8],
) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    let written = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&written);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let count = Arc::clone(&count);
            tokio::spawn(async move {
                if read_head(&mut socket).await.is_none() {
                    return;
                }
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                while socket.write_all(body_chunk).await.is_ok() {
                    count.fetch_add(body_chunk.len(), Ordering::SeqCst);
                }
            });
        }
    });
    (uri, written)
}

/// Reads a request's head (and ignores any body the client sends with it).
async fn read_head(socket: &mut tokio::net::TcpStream) -> Option<()> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut read = 0;
    while !buf[..read].windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut buf[read..]).await {
            Ok(0) | Err(_) => return None,
            Ok(k) => read += k,
        }
        if read == buf.len() {
            return None;
        }
    }
    Some(())
}

static PNG_CHUNK: [u8; 64 * 1024] = {
    let mut chunk = [0u8; 64 * 1024];
    let magic = *b"\x89PNG\r\n\x1a\n";
    let mut i = 0;
    while i < magic.len() {
        chunk[i] = magic[i];
        i += 1;
    }
    chunk
};

#[tokio::test]
async fn an_endless_image_body_stops_at_the_cap_with_an_error_naming_it() {
    // No Content-Length: the body ends only when the client hangs up.
    let (uri, written) = endless_server(
        "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nConnection: close\r\n\r\n",
        &PNG_CHUNK,
    )
    .await;
    let client = common::builder(&uri)
        .max_image_bytes(2 * MIB)
        .build()
        .unwrap();
    let err = client.run(&request()).await.unwrap_err();
    let Error::BodyTooLarge {
        status: 200,
        what: BodyKind::Image,
        limit,
        ..
    } = err
    else {
        panic!("expected BodyTooLarge, got {err:?}");
    };
    assert_eq!(limit, 2 * MIB);
    assert!(err.to_string().contains("2097152-byte cap"), "{err}");
    assert_eq!(err.delivery(), Delivery::Answered);
    // The client hung up soon after the cap, not at the end of the body.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = written.load(Ordering::SeqCst) as u64;
    assert!(sent < 2 * MIB + 32 * MIB, "the server wrote {sent} bytes");
}

#[tokio::test]
async fn a_declared_length_over_the_cap_fails_before_reading() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(png(300, 300), "image/png"))
        .expect(1)
        .mount(&server)
        .await;
    let client = common::builder(&server.uri())
        .max_image_bytes(1024)
        .build()
        .unwrap();
    let err = client.run(&request()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::BodyTooLarge {
                limit: 1024,
                what: BodyKind::Image,
                ..
            }
        ),
        "{err:?}"
    );
    // A body the client refused is not a reason to pay again.
    server.verify().await;
}

#[tokio::test]
async fn an_oversized_output_on_another_host_is_capped_too() {
    let (cdn, _) = endless_server(
        "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nConnection: close\r\n\r\n",
        &PNG_CHUNK,
    )
    .await;
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/requests/job-1"))
        .respond_with(json(
            200,
            json!({"status": "COMPLETED", "output": format!("{cdn}/x.png")}),
        ))
        .mount(&server)
        .await;
    let client = common::builder(&server.uri())
        .max_image_bytes(MIB)
        .build()
        .unwrap();
    let job = client.job("job-1").unwrap();
    let result = job.result().await.unwrap();
    let err = job.output_image(&result).await.unwrap_err();
    assert!(
        matches!(err, Error::BodyTooLarge { limit, .. } if limit == MIB),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_endless_json_answer_stops_at_the_json_cap() {
    let (uri, _) = endless_server(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n",
        b"{\"status\":\"QUEUED\",\"padding\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    )
    .await;
    let client = common::builder(&uri)
        .max_json_bytes(64 * 1024)
        .build()
        .unwrap();
    let err = client.job("job-1").unwrap().status().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::BodyTooLarge {
                what: BodyKind::Json,
                limit: 65536,
                ..
            }
        ),
        "{err:?}"
    );
}

/// A server whose status route never answers (it reads the request and
/// holds the connection), counting the requests it got.
async fn hung_server() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let _ = read_head(&mut socket).await;
                tokio::time::sleep(Duration::from_secs(600)).await;
            });
        }
    });
    (uri, seen)
}

#[tokio::test]
async fn a_hung_status_request_cannot_outlive_the_wait_deadline() {
    let (uri, requests) = hung_server().await;
    // The defaults: 120 s per request and three attempts. Only the wait's
    // deadline bounds this wait.
    let client = Client::builder()
        .api_key(KEY)
        .base_url(&uri)
        .build()
        .unwrap();
    let job = client.job("job-1").unwrap();
    let interval = Duration::from_millis(100);
    let deadline = Duration::from_millis(400);
    let started = Instant::now();
    let err = job
        .wait_with(WaitOptions::new().interval(interval).timeout(deadline))
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, Error::PollTimeout { .. }), "{err:?}");
    assert!(took >= deadline, "{took:?}");
    // The deadline plus one interval, with room for a loaded machine.
    assert!(
        took < deadline + interval + Duration::from_millis(600),
        "{took:?}"
    );
    assert!(requests.load(Ordering::SeqCst) >= 1);
}

#[tokio::test]
async fn a_wait_for_ever_does_not_overflow() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/requests/job-1/status"))
        .respond_with(json(200, json!({"status": "COMPLETED"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/requests/job-1"))
        .respond_with(json(
            200,
            json!({"status": "COMPLETED", "output": "https://x/y.png"}),
        ))
        .mount(&server)
        .await;
    let job = client(&server.uri()).job("job-1").unwrap();
    for options in [
        WaitOptions::new().timeout(Duration::MAX),
        WaitOptions::new()
            .interval(Duration::MAX)
            .timeout(Duration::MAX),
        WaitOptions::new()
            .interval(Duration::from_millis(1))
            .backoff(f64::MAX)
            .max_interval(Duration::MAX)
            .timeout(Duration::MAX),
    ] {
        let result = job.wait_with(options).await.unwrap();
        assert_eq!(result.status, JobStatus::Completed);
    }
}

#[tokio::test]
async fn absurd_retry_after_values_are_not_waited_and_do_not_panic() {
    for value in [
        "999999999",
        "1e19",
        "1e300",
        "inf",
        "-5",
        "NaN",
        "Fri, 31 Dec 9999 23:59:59 GMT",
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                json(429, json!({"error": "slow down"})).insert_header("retry-after", value),
            )
            .mount(&server)
            .await;
        let client = common::builder(&server.uri())
            .retry_policy(RetryPolicy::new().max_server_delay(Duration::from_secs(5)))
            .build()
            .unwrap();
        let started = Instant::now();
        let err = client.run(&request()).await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5), "{value}");
        assert_eq!(err.status(), Some(429), "{value}");
        if let Some(wait) = err.retry_after() {
            assert!(
                wait <= segmind_ideogram::MAX_REPORTED_SERVER_DELAY,
                "{value}"
            );
            // What a caller would do with it must not panic either.
            let _ = std::time::Instant::now().checked_add(wait).expect(value);
        }
    }
}

#[tokio::test]
async fn a_key_echoed_at_the_end_of_a_long_body_leaves_no_piece_behind() {
    let key = "sk-CANARY-9f8e7d6c5b4a";
    let mut body = "e".repeat(505);
    body.push_str(key);
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_string(body))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(format!("<html>{}{key}</html>", "e".repeat(505))),
        )
        .mount(&server)
        .await;
    let client = common::builder(&server.uri()).api_key(key).build().unwrap();
    let run = client.run(&request()).await.unwrap_err();
    let poll = client.job("job-1").unwrap().status().await.unwrap_err();
    for err in [&run, &poll] {
        for text in [err.to_string(), format!("{err:?}")] {
            for piece in key.as_bytes().windows(4) {
                let piece = std::str::from_utf8(piece).unwrap();
                assert!(!text.contains(piece), "`{piece}` of the key in: {text}");
            }
        }
    }
    assert!(matches!(run, Error::Api { status: 401, .. }));
    assert!(matches!(poll, Error::Decode { .. }), "{poll:?}");
}

#[tokio::test]
async fn job_ids_from_the_server_that_would_bend_a_url_are_refused() {
    for id in ["..", "a/b", "", "x?y", "a b"] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(json(200, json!({"request_id": id, "status": "QUEUED"})))
            .expect(1)
            .mount(&server)
            .await;
        let err = client(&server.uri()).submit(&request()).await.unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path: Some(p), .. } if p == "request_id"),
            "{id:?}: {err:?}"
        );
        // Answered: the caller must not assume nothing was queued.
        assert_eq!(err.delivery(), Delivery::Answered);
        server.verify().await;
        let gets = server
            .received_requests()
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.method.as_str() == "GET")
            .count();
        assert_eq!(gets, 0, "{id:?}");
    }
}

#[tokio::test]
async fn an_html_answer_to_a_status_poll_is_retried_like_any_get() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(common::Sequence::new(vec![
            ResponseTemplate::new(200).set_body_raw("<html>Bad gateway</html>", "text/html"),
            json(200, json!({"status": "PROCESSING"})),
        ]))
        .expect(2)
        .mount(&server)
        .await;
    let status = client(&server.uri())
        .job("job-1")
        .unwrap()
        .status()
        .await
        .unwrap();
    assert_eq!(status.status, JobStatus::Processing);
    server.verify().await;
}

#[tokio::test]
async fn an_html_answer_to_a_submission_is_not_sent_again() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("<html>ok?</html>", "text/html"))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server.uri()).submit(&request()).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    server.verify().await;
}

#[tokio::test]
async fn a_key_escaped_in_json_is_redacted_once_decoded() {
    let key = "sk-CANARY-9f8e7d6c5b4a";
    // `\u0073` is `s`: the raw body does not hold the key, the decoded one does.
    let escaped = format!("\\u0073{}", &key[1..]);
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/ideogram-txt-2-img"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_string(format!(r#"{{"error": "bad key {escaped}"}}"#)),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/ideogram-txt-2-img"))
        .respond_with(ResponseTemplate::new(200).set_body_string(format!(
            r#"{{"request_id": "a/{escaped}", "status": "QUEUED"}}"#
        )))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string(format!(
            r#"{{"status": "FAILED", "error": "rejected {escaped}"}}"#
        )))
        .mount(&server)
        .await;
    let client = common::builder(&server.uri()).api_key(key).build().unwrap();
    let run = client.run(&request()).await.unwrap_err();
    let submit = client.submit(&request()).await.unwrap_err();
    let failed = client.job("job-1").unwrap().wait().await.unwrap_err();
    assert!(matches!(run, Error::Api { status: 401, .. }), "{run:?}");
    assert!(matches!(submit, Error::Decode { .. }), "{submit:?}");
    assert!(matches!(failed, Error::JobFailed { .. }), "{failed:?}");
    for err in [&run, &submit, &failed] {
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(!text.contains(key), "the key in: {text}");
            assert!(text.contains("***"), "the redaction is shown: {text}");
        }
    }
}
