//! Requests to a mock server over real HTTP, shared by the test files.
// Each test file uses its own subset.
#![allow(dead_code)]

use reqwest::StatusCode;
use segmind_ideogram_mock::{MockBuilder, MockServer};
use serde_json::Value;

pub const KEY: &str = "test-key";

/// What the mock charges for a call to `slug`: the documented price (its
/// minimum), or its fallback for an endpoint whose page gives none. From
/// the registry, so a page's new price changes nothing here.
pub fn charge(slug: &str) -> f64 {
    let info = segmind_ideogram::endpoint(slug).expect("a slug of the registry");
    info.price_usd.map_or_else(
        || segmind_ideogram_mock::MockConfig::default().fallback_price_usd,
        |price| price.min_usd,
    )
}

/// Whether two amounts of dollars are the same (sums of prices are not exact).
pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// The `x-remaining-credits` header of an answer (four decimals), as a number.
pub fn remaining_credits(response: &reqwest::Response) -> f64 {
    let header = &response.headers()["x-remaining-credits"];
    header.to_str().unwrap().parse().unwrap()
}

/// A server's settings, accepting [`KEY`] only.
pub fn keyed() -> MockBuilder {
    MockServer::builder().api_key(KEY)
}

pub async fn start(builder: MockBuilder) -> MockServer {
    builder.start().await.unwrap()
}

/// One HTTP client for every test: building one loads the TLS roots (with
/// the workspace's features, the system's through OpenSSL: tens of
/// milliseconds each). It keeps no idle connection, so nothing of one
/// test's runtime outlives it.
pub fn http() -> reqwest::Client {
    static CLIENT: std::sync::LazyLock<reqwest::Client> = std::sync::LazyLock::new(|| {
        reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .expect("an HTTP client")
    });
    CLIENT.clone()
}

pub async fn post(server: &MockServer, path: &str, body: &Value) -> reqwest::Response {
    post_as(server, KEY, path, body).await
}

pub async fn post_as(
    server: &MockServer,
    key: &str,
    path: &str,
    body: &Value,
) -> reqwest::Response {
    http()
        .post(format!("{}{path}", server.base_url()))
        .header("x-api-key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// A POST with this content type and raw body.
pub async fn post_raw(
    server: &MockServer,
    path: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    http()
        .post(format!("{}{path}", server.base_url()))
        .header("x-api-key", KEY)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Queues a txt-2-img job under `key`: the submission's JSON.
pub async fn queued(server: &MockServer, key: &str, body: &Value) -> Value {
    post_as(server, key, "/v2/ideogram-txt-2-img", body)
        .await
        .json()
        .await
        .unwrap()
}

pub async fn get(url: &str) -> reqwest::Response {
    get_as(url, KEY).await
}

pub async fn get_as(url: &str, key: &str) -> reqwest::Response {
    http()
        .get(url)
        .header("x-api-key", key)
        .send()
        .await
        .unwrap()
}

/// The status and the `error` message of an error answer.
pub async fn error_of(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    let message = body["error"].as_str().expect("an error message").to_owned();
    (status, message)
}
