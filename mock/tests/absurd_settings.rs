//! Settings at their extremes: rate-limit windows from zero to
//! `Duration::MAX`, and latencies, TTLs and timeouts no clock can add. The
//! server answers sensibly and never panics.

use crate::common;

use std::time::{Duration, SystemTime};

use common::{get, keyed, post, start};
use reqwest::StatusCode;
use segmind_ideogram_mock::MockServer;
use serde_json::{Value, json};

const SUBMIT: &str = "/v2/ideogram-txt-2-img";

async fn limited(limit: u32, window: Duration) -> MockServer {
    start(keyed().rate_limit(limit, window)).await
}

async fn submit(server: &MockServer) -> reqwest::Response {
    post(server, SUBMIT, &json!({"prompt": "a panda"})).await
}

fn reset_header(response: &reqwest::Response) -> String {
    response.headers()["x-rate-limit-reset-at-utc"]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_short_window_frees_its_slots_when_it_passes() {
    let window = Duration::from_millis(300);
    let server = limited(1, window).await;
    assert_eq!(submit(&server).await.status(), StatusCode::OK);
    let limited = submit(&server).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let reset = httpdate::parse_http_date(&reset_header(&limited)).unwrap();
    let wait = reset
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO);
    assert!(wait <= Duration::from_secs(2), "{wait:?}");
    tokio::time::sleep(window + Duration::from_millis(50)).await;
    assert_eq!(submit(&server).await.status(), StatusCode::OK);
    assert_eq!(server.jobs_submitted(), 2);
}

#[tokio::test]
async fn a_per_minute_limit_resets_about_a_minute_later() {
    let server = start(keyed().rate_limit_per_minute(1)).await;
    assert_eq!(submit(&server).await.status(), StatusCode::OK);
    let limited = submit(&server).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let reset = httpdate::parse_http_date(&reset_header(&limited)).unwrap();
    let wait = reset.duration_since(SystemTime::now()).unwrap();
    assert!(
        wait > Duration::from_secs(55) && wait <= Duration::from_secs(62),
        "{wait:?}"
    );
}

#[tokio::test]
async fn a_zero_window_never_limits_and_a_zero_limit_always_does() {
    let open = limited(1, Duration::ZERO).await;
    for _ in 0..5 {
        assert_eq!(submit(&open).await.status(), StatusCode::OK);
    }
    let closed = limited(0, Duration::ZERO).await;
    assert_eq!(
        submit(&closed).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(closed.jobs_submitted(), 0);
}

#[tokio::test]
async fn an_endless_window_announces_the_last_http_date() {
    let server = limited(1, Duration::MAX).await;
    assert_eq!(submit(&server).await.status(), StatusCode::OK);
    for _ in 0..2 {
        let limited = submit(&server).await;
        assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(reset_header(&limited), "Fri, 31 Dec 9999 23:59:59 GMT");
    }
    assert_eq!(server.jobs_submitted(), 1);
}

#[tokio::test]
async fn endless_jobs_ttls_and_timeouts_are_served_without_a_panic() {
    let server = start(
        keyed()
            .job_latency_range(Duration::MAX, Duration::MAX, Duration::MAX)
            .result_ttl(Duration::MAX)
            .header_read_timeout(Duration::MAX),
    )
    .await;
    let _ = server.wait_options();
    for _ in 0..3 {
        let submitted: Value = submit(&server).await.json().await.unwrap();
        let status: Value = get(submitted["status_url"].as_str().unwrap())
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(status["status"], "QUEUED", "it never starts");
    }
    let stats = server.job_stats();
    assert_eq!(stats.len(), 3);
    assert!(stats.iter().all(|s| s.took == Duration::MAX));

    let finished = start(
        keyed()
            .job_latency_range(Duration::ZERO, Duration::ZERO, Duration::ZERO)
            .result_ttl(Duration::MAX),
    )
    .await;
    let submitted: Value = submit(&finished).await.json().await.unwrap();
    let result = get(submitted["response_url"].as_str().unwrap()).await;
    assert_eq!(result.status(), StatusCode::OK, "done, and kept for ever");
    let result: Value = result.json().await.unwrap();
    assert_eq!(result["status"], "COMPLETED");
}
