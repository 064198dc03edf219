//! Mock conformance: every example in `spec/examples/` is answered as it
//! specifies, and over the spec-derived corpus the mock accepts exactly what
//! the generated validators accept.

use segmind_ideogram::AnyRequest;
use segmind_ideogram_mock::MockServer;
use segmind_ideogram_tests::corpus::corpus;
use segmind_ideogram_tests::{examples, request_schema_name, spec};
use serde_json::Value;

async fn submit(
    client: &reqwest::Client,
    server: &MockServer,
    slug: &str,
    body: &Value,
) -> (u16, Value) {
    let response = client
        .post(format!("{}/v2/{slug}", server.base_url()))
        .header("x-api-key", "k")
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn every_example_is_answered_as_specified() {
    let server = MockServer::builder()
        .initial_credits(1e9)
        .start()
        .await
        .unwrap();
    let client = reqwest::Client::new();
    for example in examples() {
        let response = client
            .post(format!("{}/v1/{}", server.base_url(), example.slug))
            .header("x-api-key", "k")
            .json(&example.request)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        if example.violations.is_empty() {
            assert_eq!(status, 200, "{}/{}", example.slug, example.name);
            let bytes = response.bytes().await.unwrap();
            assert_eq!(&bytes[..4], b"\x89PNG");
        } else {
            assert_eq!(status, 422, "{}/{}", example.slug, example.name);
            let body: Value = response.json().await.unwrap();
            let message = body["error"].as_str().unwrap();
            for (path, _) in &example.violations {
                let shown = if path.is_empty() {
                    "request:"
                } else {
                    path.as_str()
                };
                assert!(
                    message.contains(shown),
                    "{}/{}: `{shown}` not in {message}",
                    example.slug,
                    example.name
                );
            }
        }
    }
}

#[tokio::test]
async fn the_mock_accepts_exactly_what_the_generated_validators_accept() {
    let server = MockServer::builder()
        .initial_credits(1e9)
        .start()
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let spec = spec();
    let (mut accepted, mut rejected) = (0, 0);
    for info in segmind_ideogram::ENDPOINTS {
        for payload in corpus(&spec, &request_schema_name(&spec, info.slug)) {
            let valid = AnyRequest::from_json(info.slug, &payload).unwrap().is_ok();
            let (status, body) = submit(&client, &server, info.slug, &payload).await;
            if valid {
                assert_eq!(
                    status, 200,
                    "{}: valid payload refused: {payload} -> {body}",
                    info.slug
                );
                assert_eq!(body["status"], "QUEUED");
                accepted += 1;
            } else {
                assert_eq!(
                    status, 422,
                    "{}: invalid payload answered {status}: {payload}",
                    info.slug
                );
                rejected += 1;
            }
        }
    }
    assert_eq!(server.jobs_submitted(), accepted);
    assert!(
        accepted > 100 && rejected > 100,
        "{accepted} accepted, {rejected} rejected"
    );
}
