//! Segmind as it is seen to answer in the wild (spec/sources/api-facts.md,
//! last section), against a scripted stand-in: the shapes its docs do not
//! show, and one classification of what each failure means.

use crate::common;

use std::time::Duration;

use common::{builder, client, image, json, png};
use segmind_ideogram::{
    Billing, Delivery, Error, IdeogramTxt2ImgRequest, OperationKind, RetryPolicy, WaitOptions,
};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A 32-hex-digit id, as captures show them (not a UUID).
const HEX_ID: &str = "47411f110c6fa4fe05dcb9ffed2c1962";

/// A submission answered with `HEX_ID`, a completed status, and `result`.
async fn mount_completed_job(server: &MockServer, result: serde_json::Value) {
    let base = server.uri();
    Mock::given(method("POST"))
        .and(path("/v2/ideogram-txt-2-img"))
        .respond_with(json(
            200,
            json!({
                "request_id": HEX_ID,
                "status_url": format!("{base}/v2/requests/{HEX_ID}/status"),
                "response_url": format!("{base}/v2/requests/{HEX_ID}"),
            }),
        ))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v2/requests/{HEX_ID}/status")))
        .respond_with(json(
            200,
            json!({"status": "COMPLETED", "request_id": HEX_ID}),
        ))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v2/requests/{HEX_ID}")))
        .respond_with(json(200, result))
        .mount(server)
        .await;
}

/// Polls at once and every 10 ms: the stand-in's jobs are done at once.
fn quick() -> WaitOptions {
    WaitOptions::new().interval(Duration::from_millis(10))
}

async fn posts(server: &MockServer) -> usize {
    let requests = server.received_requests().await.unwrap_or_default();
    requests
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .count()
}

#[tokio::test]
async fn a_result_with_images_as_objects_delivers_the_paid_image() {
    let server = MockServer::start().await;
    let url = format!("{}/files/out.png", server.uri());
    mount_completed_job(
        &server,
        json!({
            "status": "COMPLETED",
            "request_id": HEX_ID,
            "images": [{"url": url, "content_type": "image/png", "file_name": "out.png", "file_size": 1234}],
            "metrics": {"inference_time": 9.1, "queue_time": 0.2, "cost": 0.08, "remaining_credits": 9.92, "retry_count": 0}
        }),
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/files/out.png"))
        .respond_with(image(&png(4, 4), "image/png"))
        .mount(&server)
        .await;

    let generated = client(&server.uri())
        .generate_with(&IdeogramTxt2ImgRequest::new("a lighthouse"), quick())
        .await
        .expect("the paid image is delivered");
    assert_eq!(generated.bytes().as_ref(), png(4, 4).as_slice());
    assert_eq!(generated.metadata().request_id.as_deref(), Some(HEX_ID));
    assert_eq!(posts(&server).await, 1, "one POST, one bill");
}

#[tokio::test]
async fn an_html_page_where_a_job_status_belongs_is_classified_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/requests/job-1/status"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            "<html><body>Service temporarily unavailable</body></html>",
            "text/html",
        ))
        .mount(&server)
        .await;
    let err = client(&server.uri())
        .job("job-1")
        .unwrap()
        .status()
        .await
        .unwrap_err();
    let asked = server.received_requests().await.unwrap().len();
    // The transport repeated the GET: so the error must say it may be
    // repeated too, whoever asks.
    assert!(asked > 1, "the GET was not repeated: {asked}");
    assert!(
        err.is_retryable(),
        "the transport retried the GET {asked} times, yet the error says it is not retryable: {err}"
    );
}

/// Every answer a submission or a status read may get, whatever it says.
fn answer(status: u16) -> ResponseTemplate {
    match status {
        200 => ResponseTemplate::new(200).set_body_raw("<html>gateway</html>", "text/html"),
        status => json(status, serde_json::json!({"error": "refused"})),
    }
}

#[tokio::test]
async fn the_transport_repeats_exactly_what_the_outcome_says_is_safe() {
    // One classification: the requests the transport made agree with what
    // the error says, for every status either operation lists and more.
    let policy = RetryPolicy::new()
        .max_attempts(3)
        .base_delay(std::time::Duration::from_millis(1))
        .max_delay(std::time::Duration::from_millis(2));
    for kind in [OperationKind::Submit, OperationKind::JobStatus] {
        let mut statuses = kind.documented().to_vec();
        statuses.extend([402, 409, 418, 503]);
        statuses.sort_unstable();
        statuses.dedup();
        for status in statuses {
            let server = MockServer::start().await;
            Mock::given(wiremock::matchers::any())
                .respond_with(answer(status))
                .mount(&server)
                .await;
            let client = builder(&server.uri())
                .retry_policy(policy.clone())
                .build()
                .unwrap();
            let err = match kind {
                OperationKind::Submit => client
                    .submit(&IdeogramTxt2ImgRequest::new("x"))
                    .await
                    .map(|_| ())
                    .unwrap_err(),
                _ => client
                    .job("job-1")
                    .unwrap()
                    .status()
                    .await
                    .map(|_| ())
                    .unwrap_err(),
            };
            let made = server.received_requests().await.unwrap().len();
            let outcome = err.outcome();
            let case = format!("{kind:?} answered {status}: {err}");
            assert_eq!(
                made,
                if outcome.is_safe_to_repeat() { 3 } else { 1 },
                "{case}"
            );
            assert_eq!(outcome.delivery(), Delivery::Answered, "{case}");
            if matches!(err, Error::Api { .. }) {
                let class = kind.answered(status);
                assert_eq!(outcome.billing(), class.billing(), "{case}");
                assert_eq!(
                    err.is_retryable(),
                    class.retry() != segmind_ideogram::Retry::Never,
                    "{case}"
                );
            }
            // A submission is never repeated unless certainly not billed.
            if kind == OperationKind::Submit && made > 1 {
                assert_eq!(outcome.billing(), Billing::NotBilled, "{case}");
            }
        }
    }
}
