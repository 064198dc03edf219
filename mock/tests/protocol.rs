//! The mock speaks Segmind's protocol: real HTTP on 127.0.0.1 with reqwest.

use crate::common;

use std::time::Duration;

use common::{KEY, charge, get, http, keyed, post, post_raw, queued, remaining_credits, start};
use reqwest::StatusCode;
use segmind_ideogram::AnyRequest;
use serde_json::{Value, json};

/// Whether a credits header (written with four decimals) says `expected`.
fn close_to_header(header: f64, expected: f64) -> bool {
    (header - expected).abs() < 5e-5
}

fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

#[tokio::test(start_paused = true)]
async fn sync_call_answers_a_real_png_of_the_requested_size_and_charges_credits() {
    let server = start(keyed().initial_credits(1.0)).await;
    let body = json!({"prompt": "a panda", "resolution": "RESOLUTION_1280_720", "seed": 4242});
    let first = post(
        &server,
        "/v1/ideogram-img-2-img",
        &json!({"prompt": "x", "image_file": "https://e.com/a.png"}),
    )
    .await;
    assert_eq!(first.status(), StatusCode::OK);
    let img_2_img = charge("ideogram-img-2-img");
    assert!(close_to_header(remaining_credits(&first), 1.0 - img_2_img));
    let response = post(&server, "/v1/ideogram-txt-2-img", &body).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/png");
    assert_eq!(response.headers()["x-seed-value"], "4242");
    let left = 1.0 - img_2_img - charge("ideogram-txt-2-img");
    assert!(close_to_header(remaining_credits(&response), left));
    let bytes = response.bytes().await.unwrap();
    assert_eq!(png_size(&bytes), (1280, 720));
    // Deterministic: same prompt and seed, same picture.
    let again = post(&server, "/v1/ideogram-txt-2-img", &body)
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes, again);
    // Without a resolution: the size the request says, the spec's default.
    let no_size = json!({"image": "https://e.com/a.png"});
    let reframe = post(&server, "/v1/ideogram-3-reframe", &no_size).await;
    let default = AnyRequest::from_json("ideogram-3-reframe", &no_size)
        .unwrap()
        .unwrap()
        .output_size()
        .pixels();
    assert_eq!(Some(png_size(&reframe.bytes().await.unwrap())), default);
    assert_eq!(server.sync_calls(), 4);
}

#[tokio::test(start_paused = true)]
async fn errors_are_answered_as_segmind_does() {
    let server = start(keyed().initial_credits(0.06)).await;
    let url = |p: &str| format!("{}{p}", server.base_url());
    let body = json!({"prompt": "a panda"});

    let no_key = http()
        .post(url("/v1/ideogram-txt-2-img"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(no_key.status(), StatusCode::UNAUTHORIZED);
    assert!(
        no_key.json::<Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("API key")
    );
    let wrong_key = http()
        .post(url("/v1/ideogram-txt-2-img"))
        .header("x-api-key", "nope")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_key.status(), StatusCode::UNAUTHORIZED);

    let text = post_raw(
        &server,
        "/v1/ideogram-txt-2-img",
        "text/plain",
        body.to_string(),
    )
    .await;
    assert_eq!(text.status(), StatusCode::NOT_ACCEPTABLE);

    let broken = post_raw(
        &server,
        "/v1/ideogram-txt-2-img",
        "application/json",
        "{not json",
    )
    .await;
    assert_eq!(broken.status(), StatusCode::BAD_REQUEST);

    let invalid = post(
        &server,
        "/v1/ideogram-txt-2-img",
        &json!({"prompt": "a", "seed": 5, "style_type": "PHOTO"}),
    )
    .await;
    assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let message = invalid.json::<Value>().await.unwrap()["error"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("seed: must be at least 100") && message.contains("style_type"),
        "{message}"
    );

    let unknown = post(&server, "/v1/ideogram-4-magic", &body).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert!(unknown.json::<Value>().await.unwrap()["error"].is_string());

    let wrong_method = get(&url("/v1/ideogram-txt-2-img")).await;
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        wrong_method.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );

    assert_eq!(
        post(&server, "/v1/ideogram-txt-2-img", &body)
            .await
            .status(),
        StatusCode::OK
    );
    let broke = post(&server, "/v1/ideogram-txt-2-img", &body).await;
    assert_eq!(broke.status(), StatusCode::NOT_ACCEPTABLE, "out of credits");
    assert_eq!(server.sync_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn queued_job_goes_queued_processing_completed_with_absolute_urls() {
    let server =
        start(keyed().job_latency(Duration::from_millis(300), Duration::from_millis(300))).await;
    let body = json!({"prompt": "a panda", "seed": 4242});
    let submitted: Value = queued(&server, KEY, &body).await;
    assert_eq!(submitted["status"], "QUEUED");
    let id = submitted["request_id"].as_str().unwrap();
    let base = server.base_url();
    assert_eq!(
        submitted["status_url"],
        format!("{base}/v2/requests/{id}/status")
    );
    assert_eq!(
        submitted["response_url"],
        format!("{base}/v2/requests/{id}")
    );
    assert_eq!(submitted["poll_url"], format!("{base}/v1/requests/{id}"));

    let mut seen: Vec<String> = Vec::new();
    for _ in 0..200 {
        let status: Value = get(submitted["status_url"].as_str().unwrap())
            .await
            .json()
            .await
            .unwrap();
        let s = status["status"].as_str().unwrap().to_owned();
        if seen.last() != Some(&s) {
            seen.push(s.clone());
        }
        if s == "COMPLETED" {
            assert!(status["metrics"]["inference_time"].as_f64().unwrap() > 0.0);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(seen, ["QUEUED", "PROCESSING", "COMPLETED"]);

    let result: Value = get(submitted["response_url"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(result["status"], "COMPLETED");
    let output = result["output"].as_str().unwrap();
    assert!(output.starts_with(base));
    let image = http()
        .get(output)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let sync = post(&server, "/v1/ideogram-txt-2-img", &body)
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(image, sync, "queued and sync give the same picture");
    let legacy: Value = get(submitted["poll_url"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(legacy["status"], "COMPLETED");
    assert_eq!(server.jobs_submitted(), 1);

    // Every request about the job was counted, and the one that first saw
    // it done was a short while after it finished.
    let stats = server.job_stats();
    assert_eq!(stats.len(), 1);
    let polls = u32::try_from(seen.len()).unwrap();
    assert!(stats[0].polls > polls, "{stats:?}");
    assert_eq!(stats[0].took, Duration::from_millis(600));
    let delay = stats[0].notice_delay.expect("noticed");
    assert!(delay < Duration::from_millis(500), "{delay:?}");
}

#[tokio::test(start_paused = true)]
async fn job_latency_ranges_are_drawn_per_job_from_the_seed() {
    let latencies = |seed: u64| async move {
        let server = start(keyed().seed(seed).job_latency_range(
            Duration::from_millis(10),
            Duration::from_millis(100),
            Duration::from_millis(900),
        ))
        .await;
        for n in 0..20 {
            post(
                &server,
                "/v2/ideogram-txt-2-img",
                &json!({"prompt": format!("p{n}")}),
            )
            .await;
        }
        let mut took: Vec<Duration> = server.job_stats().into_iter().map(|s| s.took).collect();
        took.sort();
        took
    };
    let a = latencies(7).await;
    assert_eq!(a, latencies(7).await, "the same seed, the same draws");
    assert!(
        a.iter()
            .all(|t| *t >= Duration::from_millis(110) && *t <= Duration::from_millis(910))
    );
    assert!(
        a.last().unwrap().saturating_sub(*a.first().unwrap()) > Duration::from_millis(200),
        "{a:?}"
    );
}

#[tokio::test]
async fn every_answer_says_it_is_a_mock_and_how_long_its_jobs_take() {
    use segmind_ideogram::MOCK_JOB_TIME_HEADER;
    let server = start(keyed().job_latency_range(
        Duration::from_millis(500),
        Duration::from_millis(9000),
        Duration::from_millis(12_500),
    ))
    .await;
    let submitted = post(&server, "/v2/ideogram-txt-2-img", &json!({"prompt": "x"})).await;
    assert_eq!(submitted.status(), StatusCode::OK);
    // From submission to completion: queued 0.5 s, then 9–12.5 s.
    assert_eq!(submitted.headers()[MOCK_JOB_TIME_HEADER], "9500-13000");
    let id = submitted.json::<Value>().await.unwrap()["request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let status = get(&format!("{}/v2/requests/{id}/status", server.base_url())).await;
    assert_eq!(status.headers()[MOCK_JOB_TIME_HEADER], "9500-13000");
    // Refusals and unknown routes too: whatever a client meets says so.
    let refused = http()
        .post(format!("{}/v2/ideogram-txt-2-img", server.base_url()))
        .json(&json!({"prompt": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(refused.headers()[MOCK_JOB_TIME_HEADER], "9500-13000");
    let nowhere = get(&format!("{}/nowhere", server.base_url())).await;
    assert_eq!(nowhere.headers()[MOCK_JOB_TIME_HEADER], "9500-13000");

    // Told not to, it cannot be told from Segmind.
    let quiet = start(keyed().announce(false)).await;
    let submitted = post(&quiet, "/v2/ideogram-txt-2-img", &json!({"prompt": "x"})).await;
    assert_eq!(submitted.status(), StatusCode::OK);
    assert!(submitted.headers().get(MOCK_JOB_TIME_HEADER).is_none());
}

#[tokio::test(start_paused = true)]
async fn failed_jobs_are_422_and_results_expire_to_404() {
    let server = start(
        keyed()
            .job_latency(Duration::ZERO, Duration::ZERO)
            .result_ttl(Duration::from_millis(1500))
            .fail_word("forbidden"),
    )
    .await;
    let failed: Value = queued(&server, KEY, &json!({"prompt": "a forbidden panda"})).await;
    let status = get(failed["status_url"].as_str().unwrap()).await;
    assert_eq!(status.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = status.json().await.unwrap();
    assert_eq!(body["status"], "FAILED");
    assert!(body["error"].as_str().unwrap().contains("content blocked"));
    let result = get(failed["response_url"].as_str().unwrap()).await;
    assert_eq!(result.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let sync = post(
        &server,
        "/v1/ideogram-txt-2-img",
        &json!({"prompt": "forbidden"}),
    )
    .await;
    assert_eq!(sync.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let ok: Value = queued(&server, KEY, &json!({"prompt": "a panda"})).await;
    assert_eq!(
        get(ok["response_url"].as_str().unwrap()).await.status(),
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(1700)).await;
    let expired = get(ok["response_url"].as_str().unwrap()).await;
    assert_eq!(expired.status(), StatusCode::NOT_FOUND);
    assert!(
        expired.json::<Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
    assert_eq!(
        get(&format!("{}/v2/requests/nope/status", server.base_url()))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(start_paused = true)]
async fn rate_limit_answers_429_with_the_reset_header() {
    let server = start(keyed().rate_limit_per_minute(2)).await;
    let body = json!({"prompt": "a panda"});
    assert_eq!(
        post(&server, "/v2/ideogram-txt-2-img", &body)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        post(&server, "/v1/ideogram-txt-2-img", &body)
            .await
            .status(),
        StatusCode::OK
    );
    let limited = post(&server, "/v2/ideogram-txt-2-img", &body).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let reset = limited.headers()["x-rate-limit-reset-at-utc"]
        .to_str()
        .unwrap()
        .to_owned();
    let reset = httpdate::parse_http_date(&reset).expect("HTTP-date");
    let wait = reset.duration_since(std::time::SystemTime::now()).unwrap();
    assert!(
        wait > Duration::from_secs(50) && wait <= Duration::from_secs(62),
        "{wait:?}"
    );
    assert_eq!(server.jobs_submitted(), 1);
}

#[tokio::test(start_paused = true)]
async fn injected_server_errors_are_reproducible_from_the_seed() {
    async fn statuses(seed: u64) -> Vec<u16> {
        let server = start(keyed().seed(seed).server_error_rate(0.5)).await;
        let mut out = Vec::new();
        for _ in 0..30 {
            out.push(
                post(&server, "/v2/ideogram-txt-2-img", &json!({"prompt": "p"}))
                    .await
                    .status()
                    .as_u16(),
            );
        }
        out
    }
    let a = statuses(7).await;
    assert_eq!(a, statuses(7).await);
    assert!(
        a.iter().all(|s| [200, 500, 502, 503, 504].contains(s)),
        "{a:?}"
    );
    assert!(a.contains(&200) && a.iter().any(|s| *s >= 500), "{a:?}");
}

#[tokio::test(start_paused = true)]
async fn dropped_connections_cut_the_image_mid_body() {
    let server = start(keyed().drop_rate(1.0)).await;
    let response = post(&server, "/v1/ideogram-txt-2-img", &json!({"prompt": "p"})).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.bytes().await.is_err(),
        "the body must be cut short"
    );
}

#[tokio::test(start_paused = true)]
async fn added_latency_delays_answers() {
    let server = start(keyed().added_latency(Duration::from_millis(150))).await;
    let started = tokio::time::Instant::now();
    post(&server, "/v2/ideogram-txt-2-img", &json!({"prompt": "p"})).await;
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test(start_paused = true)]
async fn the_accepted_log_keeps_the_newest_entries_within_its_byte_cap() {
    let server = start(keyed().accepted_log_bytes(1)).await;
    for n in 0..3 {
        let body = json!({"prompt": format!("prompt {n}")});
        post(&server, "/v1/ideogram-txt-2-img", &body).await;
    }
    let log = server.accepted();
    assert_eq!(log.len(), 1, "only the newest fits");
    assert_eq!(log[0].body["prompt"], "prompt 2");
    assert_eq!(server.sync_calls(), 3, "the counters keep counting");
}
