//! What the client traces, and that the API key never appears there, nor in
//! any `Debug` or error. Alone in its test binary, and every test here
//! installs a subscriber first: a test without one could leave a callsite
//! marked as uninteresting (tracing caches that per process), and a span
//! would silently go unrecorded.

mod common;

use common::{Captured, image, json, png};
use segmind_ideogram::{
    ApiErrorKind, Client, Error, IdeogramTxt2ImgRequest, RetryPolicy, WaitOptions,
};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn the_key_never_appears_in_debug_display_or_traces() {
    const CANARY: &str = "sk-CANARY-123";
    let captured = Captured::default();
    let _guard = tracing::subscriber::set_default(captured.subscriber());

    let server = MockServer::start().await;
    // A server that echoes the key back in its error message.
    Mock::given(method("POST"))
        .respond_with(json(
            401,
            json!({"error": format!("key {CANARY} is not valid")}),
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(format!("oops {CANARY}"), "text/plain"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(json(
            422,
            json!({"status": "FAILED", "error": format!("bad {CANARY}")}),
        ))
        .mount(&server)
        .await;

    let builder = Client::builder().api_key(CANARY).base_url(server.uri());
    let client = builder
        .clone()
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let mut texts = vec![format!("{builder:?}"), format!("{client:?}")];

    let request = IdeogramTxt2ImgRequest::new("x");
    let api = client.run(&request).await.unwrap_err();
    assert_eq!(api.api_kind(), Some(ApiErrorKind::Unauthorized));
    let decode = client.run(&request).await.unwrap_err();
    assert!(matches!(decode, Error::Decode { .. }));
    let job = client.job("job-1").unwrap();
    texts.push(format!("{job:?}"));
    texts.push(serde_json::to_string(&job).unwrap());
    let failed = job.wait_with(WaitOptions::new()).await.unwrap_err();
    assert!(matches!(failed, Error::JobFailed { .. }));

    // A transport failure: nothing listens on this port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let refused = Client::builder()
        .api_key(CANARY)
        .base_url(format!("http://127.0.0.1:{port}"))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
        .run(&request)
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::Connect(_)));

    let insecure = Client::builder()
        .api_key(CANARY)
        .base_url("http://api.example.com")
        .build()
        .unwrap_err();
    assert!(matches!(insecure, Error::InsecureBaseUrl { .. }));

    for err in [&api, &decode, &failed, &refused, &insecure] {
        texts.push(err.to_string());
        texts.push(format!("{err:?}"));
        let mut source = std::error::Error::source(err);
        while let Some(inner) = source {
            texts.push(inner.to_string());
            source = inner.source();
        }
    }
    texts.push(captured.text());
    assert!(
        captured.text().contains("segmind.request"),
        "spans were recorded: {}",
        captured.text()
    );
    for text in &texts {
        assert!(!text.contains(CANARY), "the key leaked into: {text}");
        assert!(
            !text.contains("CANARY"),
            "part of the key leaked into: {text}"
        );
    }
}

#[tokio::test]
async fn a_refused_connection_is_retried_even_for_a_post() {
    let captured = Captured::default();
    let _guard = tracing::subscriber::set_default(captured.subscriber());
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let client = common::client(&format!("http://127.0.0.1:{port}"));

    let err = client
        .run(&IdeogramTxt2ImgRequest::new("x"))
        .await
        .unwrap_err();
    let Error::Connect(source) = &err else {
        panic!("expected Connect, got {err:?}");
    };
    assert!(source.is_connect());
    assert!(err.is_retryable());
    assert_eq!(err.delivery(), segmind_ideogram::Delivery::NotSent);
    let text = captured.text();
    assert_eq!(text.matches("retrying").count(), 2, "{text}");
    assert!(text.contains("attempt=3"), "{text}");
}

#[tokio::test]
async fn each_attempt_is_a_span_with_endpoint_status_and_latency() {
    let captured = Captured::default();
    let _guard = tracing::subscriber::set_default(captured.subscriber());
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(image(&png(1, 1), "image/png"))
        .mount(&server)
        .await;
    common::client(&server.uri())
        .run(&IdeogramTxt2ImgRequest::new("x"))
        .await
        .unwrap();
    let text = captured.text();
    let line = text
        .lines()
        .find(|l| l.contains("segmind.request") && l.contains("close"))
        .unwrap_or_else(|| panic!("no span: {text}"));
    for field in [
        "endpoint=\"ideogram-txt-2-img\"",
        "method=POST",
        "attempt=1",
        "status=200",
        "latency_ms=",
    ] {
        assert!(line.contains(field), "{field} missing from {line}");
    }
}
