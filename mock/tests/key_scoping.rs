//! A job belongs to the key that created it: any other key is answered as
//! if the id were unknown, even when the server accepts every key. And no
//! key is ever shown by what a test can print.

use crate::common;

use std::time::Duration;

use common::{get_as, http, post_as, queued};
use reqwest::StatusCode;
use segmind_ideogram_mock::{KeyFingerprint, MockServer};
use serde_json::{Value, json};

const OWNER: &str = "sg_owner_0f9e8d7c6b5a";
const OTHER: &str = "sg_other_a1b2c3d4e5f6";

#[tokio::test]
async fn another_keys_job_is_answered_as_unknown_on_every_route() {
    let server = MockServer::builder()
        .job_latency(Duration::ZERO, Duration::ZERO)
        .start()
        .await
        .unwrap();
    let submitted = queued(&server, OWNER, &json!({"prompt": "a panda"})).await;
    let url = |name: &str| submitted[name].as_str().unwrap().to_owned();
    let routes = [url("status_url"), url("response_url"), url("poll_url")];
    let result: Value = get_as(&routes[1], OWNER).await.json().await.unwrap();
    let output = result["output"].as_str().expect("completed").to_owned();

    let unknown = get_as(
        &format!("{}/v2/requests/no-such-job/status", server.base_url()),
        OTHER,
    )
    .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    for route in &routes {
        let response = get_as(route, OTHER).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{route}");
        let message = response.json::<Value>().await.unwrap()["error"].clone();
        assert!(
            message.as_str().unwrap().contains("not found or expired"),
            "the same answer as an unknown id: {message}"
        );
        assert_eq!(
            get_as(route, OWNER).await.status(),
            StatusCode::OK,
            "{route}"
        );
    }
    assert_eq!(get_as(&output, OTHER).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(get_as(&output, OWNER).await.status(), StatusCode::OK);
    let public = http().get(&output).send().await.unwrap();
    assert_eq!(
        public.status(),
        StatusCode::OK,
        "without a key the output URL is public, like a storage URL"
    );

    let stats = server.job_stats();
    assert_eq!(
        stats[0].polls, 4,
        "only the owner's requests count as polls"
    );
}

#[tokio::test]
async fn requests_are_logged_with_a_fingerprint_and_nothing_prints_a_key() {
    let server = MockServer::builder().api_key(OWNER).start().await.unwrap();
    let body = json!({"prompt": "a panda"});
    for path in ["/v1/ideogram-txt-2-img", "/v2/ideogram-txt-2-img"] {
        assert_eq!(
            post_as(&server, OWNER, path, &body).await.status(),
            StatusCode::OK
        );
    }
    let accepted = server.accepted();
    assert!(
        accepted
            .iter()
            .all(|a| a.key == KeyFingerprint::of(OWNER) && a.key != KeyFingerprint::of(OTHER))
    );
    let builder = MockServer::builder().api_key(OWNER);
    let printed = format!(
        "{accepted:?} {server:?} {builder:?} {} {:?}",
        accepted[0].key,
        server.job_stats()
    );
    assert!(!printed.contains(OWNER), "{printed}");
    assert!(!printed.contains("sg_owner"), "{printed}");
}
