//! Error answers mapped onto `Error`, the API key kept out of every string,
//! and the clear-text guard.

use crate::common;

use std::time::{Duration, SystemTime};

use common::{KEY, json};
use segmind_ideogram::{
    ApiErrorKind, Client, Delivery, Error, IdeogramTxt2ImgRequest, RetryPolicy,
};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn no_retry(base: &str, key: &str) -> Client {
    Client::builder()
        .api_key(key)
        .base_url(base)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn every_documented_status_maps_to_its_kind_with_the_servers_message() {
    let server = MockServer::start().await;
    let client = no_retry(&server.uri(), KEY);
    let cases = [
        (400, ApiErrorKind::BadRequest),
        (401, ApiErrorKind::Unauthorized),
        (403, ApiErrorKind::Forbidden),
        (404, ApiErrorKind::NotFound),
        (405, ApiErrorKind::MethodNotAllowed),
        (406, ApiErrorKind::InsufficientCredits),
        (422, ApiErrorKind::Unprocessable),
        (429, ApiErrorKind::RateLimited { reset_at: None }),
        (500, ApiErrorKind::Internal),
        (502, ApiErrorKind::BadGateway),
        (503, ApiErrorKind::Unavailable),
        (504, ApiErrorKind::GatewayTimeout),
        (418, ApiErrorKind::Other(418)),
    ];
    for (status, kind) in cases {
        server.reset().await;
        let message = format!("problem number {status}");
        let response = if status == 405 {
            // Segmind answers 405 with an HTML page.
            ResponseTemplate::new(405)
                .set_body_raw(format!("<html><body>{message}</body></html>"), "text/html")
        } else {
            json(status, json!({"error": message}))
        };
        Mock::given(method("POST"))
            .respond_with(response)
            .expect(1)
            .mount(&server)
            .await;

        let err = client
            .run(&IdeogramTxt2ImgRequest::new("x"))
            .await
            .unwrap_err();
        assert_eq!(err.api_kind(), Some(kind), "{status}");
        assert_eq!(err.status(), Some(status));
        assert_eq!(
            err.is_retryable(),
            matches!(status, 429 | 500 | 502 | 503 | 504)
        );
        let Error::Api {
            message: got, body, ..
        } = &err
        else {
            panic!("expected Api, got {err:?}");
        };
        assert!(got.contains(&message), "{status}: {got}");
        assert!(body.contains(&message));
        assert!(err.to_string().contains(&message), "{err}");
        server.verify().await;
    }
}

#[tokio::test]
async fn a_rate_limit_carries_its_reset_time_and_wait() {
    let server = MockServer::start().await;
    let reset = SystemTime::now() + Duration::from_secs(3600);
    Mock::given(method("POST"))
        .respond_with(
            json(429, json!({"error": "slow down"}))
                .insert_header("x-rate-limit-reset-at-utc", httpdate::fmt_http_date(reset)),
        )
        .mount(&server)
        .await;
    let err = no_retry(&server.uri(), KEY)
        .run(&IdeogramTxt2ImgRequest::new("x"))
        .await
        .unwrap_err();
    let Some(ApiErrorKind::RateLimited { reset_at: Some(at) }) = err.api_kind() else {
        panic!("expected a reset time: {err:?}");
    };
    let drift = at.duration_since(reset).unwrap_or_else(|e| e.duration());
    assert!(drift <= Duration::from_secs(1), "{drift:?}");
    let wait = err.retry_after().expect("retry_after");
    assert!(
        wait > Duration::from_secs(3590) && wait <= Duration::from_secs(3600),
        "{wait:?}"
    );
}

#[test]
fn clear_text_http_is_refused_unless_loopback_or_opted_in() {
    let build = |url: &str, allow: bool| {
        Client::builder()
            .api_key(KEY)
            .base_url(url)
            .allow_insecure_http(allow)
            .build()
    };
    let err = build("http://api.segmind.com", false).unwrap_err();
    assert!(matches!(&err, Error::InsecureBaseUrl { url } if url == "http://api.segmind.com/"));
    assert!(
        err.to_string().contains("allow_insecure_http(true)"),
        "{err}"
    );
    assert!(build("http://api.segmind.com", true).is_ok());
    for loopback in ["http://127.0.0.1:9", "http://localhost:9", "http://[::1]:9"] {
        assert!(build(loopback, false).is_ok(), "{loopback}");
    }
    assert!(build("https://api.segmind.com", false).is_ok());
}

#[test]
fn a_missing_or_unusable_key_is_a_config_error() {
    let no_key = Client::builder().build().unwrap_err();
    assert!(matches!(no_key, Error::Config(_)));
    assert!(matches!(Client::new("   "), Err(Error::Config(_))));
    assert!(matches!(Client::new("bad\nkey"), Err(Error::Config(_))));
}

#[tokio::test]
async fn a_failure_status_on_the_image_download_is_an_api_error() {
    let server = MockServer::start().await;
    let output = format!("{}/files/gone.png", server.uri());
    Mock::given(method("POST"))
        .respond_with(json(200, json!({"output": output})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(json(403, json!({"error": "link expired"})))
        .mount(&server)
        .await;
    let err = no_retry(&server.uri(), KEY)
        .run(&IdeogramTxt2ImgRequest::new("x"))
        .await
        .unwrap_err();
    assert_eq!(err.api_kind(), Some(ApiErrorKind::Forbidden));
    assert!(err.to_string().contains("link expired"));
    // Paid for: the error says where the output is, and that it was answered.
    let Error::AfterPayment { output_url, .. } = &err else {
        panic!("expected AfterPayment, got {err:?}");
    };
    assert_eq!(output_url.as_deref(), Some(output.as_str()));
    assert_eq!(err.delivery(), Delivery::Answered);
}

#[tokio::test]
async fn an_api_redirect_to_another_host_is_not_followed_with_the_key() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("location", format!("{}/v1/steal", elsewhere.uri()).as_str()),
        )
        .mount(&server)
        .await;
    let err = no_retry(&server.uri(), KEY)
        .run(&IdeogramTxt2ImgRequest::new("x"))
        .await
        .unwrap_err();
    assert_eq!(err.api_kind(), Some(ApiErrorKind::Other(307)));
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_custom_http_client_builder_is_used_but_cannot_take_the_key_elsewhere() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    Mock::given(method("POST"))
        .and(wiremock::matchers::header("x-corporate-proxy", "yes"))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("location", format!("{}/v1/steal", elsewhere.uri()).as_str()),
        )
        .expect(1)
        .mount(&server)
        .await;
    // A builder that would follow any redirect: the client's policy wins.
    let client = segmind_ideogram::Client::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .retry_policy(segmind_ideogram::RetryPolicy::none())
        .http_client_builder(|| {
            let mut headers = reqwest::header::HeaderMap::new();
            headers.insert("x-corporate-proxy", "yes".parse().unwrap());
            reqwest::Client::builder()
                .default_headers(headers)
                .redirect(reqwest::redirect::Policy::limited(10))
        })
        .build()
        .unwrap();
    let err = client
        .run(&IdeogramTxt2ImgRequest::new("x"))
        .await
        .unwrap_err();
    assert_eq!(err.api_kind(), Some(ApiErrorKind::Other(307)));
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
    server.verify().await;
}
