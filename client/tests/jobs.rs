//! Queued (v2) jobs: submission, polling, failure, expiry, deadlines, and
//! downloading the output.

use crate::common;

use std::time::Duration;

use common::{KEY, Sequence, image, json, png};
use segmind_ideogram::{
    Error, Ideogram3ReframeRequest, IdeogramTxt2ImgRequest, ImageFormat, JobHandle, JobStatus,
    WaitOptions,
};
use serde_json::json;
use tokio::time::Instant;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer};

async fn mount_submit(server: &MockServer, slug: &str, id: &str) {
    let base = server.uri();
    Mock::given(method("POST"))
        .and(path(format!("/v2/{slug}")))
        .and(header("x-api-key", KEY))
        .respond_with(json(
            200,
            json!({
                "request_id": id,
                "status": "QUEUED",
                "poll_url": format!("{base}/v1/requests/{id}"),
                "status_url": format!("{base}/v2/requests/{id}/status"),
                "response_url": format!("{base}/v2/requests/{id}"),
            }),
        ))
        .expect(1)
        .mount(server)
        .await;
}

/// Answers job-1's status polls with `statuses` in turn (the last one
/// repeats) and its result with `result`.
async fn mount_job(server: &MockServer, statuses: &[&str], result: serde_json::Value) {
    Mock::given(method("GET"))
        .and(path("/v2/requests/job-1/status"))
        .respond_with(Sequence::new(statuses.iter().map(|s| status(s)).collect()))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/requests/job-1"))
        .respond_with(json(200, result))
        .mount(server)
        .await;
}

fn status(value: &str) -> wiremock::ResponseTemplate {
    json(200, json!({"status": value, "request_id": "job-1"}))
}

#[tokio::test]
async fn polls_queued_then_processing_then_completed_and_downloads_from_elsewhere() {
    let server = MockServer::start().await;
    let cdn = MockServer::start().await;
    let pixels = png(4, 4);
    mount_submit(&server, "ideogram-txt-2-img", "job-1").await;
    Mock::given(method("GET"))
        .and(path("/v2/requests/job-1/status"))
        .respond_with(Sequence::new(vec![
            status("QUEUED"),
            status("PROCESSING"),
            status("COMPLETED"),
        ]))
        .expect(3)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/requests/job-1"))
        .respond_with(json(
            200,
            json!({
                "request_id": "job-1",
                "status": "COMPLETED",
                "output": format!("{}/outputs/job-1.png", cdn.uri()),
                "metrics": {"inference_time": 9.5, "cost": 0.08, "queue_time": 1.0},
            }),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/outputs/job-1.png"))
        .respond_with(image(&pixels, "image/png"))
        .expect(1)
        .mount(&cdn)
        .await;
    let client = common::client(&server.uri());

    let started = Instant::now();
    let every = WaitOptions::new().interval(Duration::from_millis(50));
    let image = client
        .generate_with(&IdeogramTxt2ImgRequest::new("x"), every)
        .await
        .expect("generate");
    assert_eq!(image.format(), ImageFormat::Png);
    assert_eq!(image.bytes().as_ref(), pixels.as_slice());
    assert_eq!(image.metadata().request_id.as_deref(), Some("job-1"));
    assert_eq!(image.metadata().cost, Some(0.08));
    assert_eq!(image.metadata().generation_time, Some(9.5));
    // Three polls, 50 ms apart.
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(100), "{waited:?}");

    // The key never goes to the host the output lives on.
    let downloads = cdn.received_requests().await.unwrap();
    assert!(
        downloads
            .iter()
            .all(|r| !r.headers.contains_key("x-api-key"))
    );
}

#[tokio::test]
async fn a_failed_job_served_as_422_is_job_failed() {
    let server = MockServer::start().await;
    let failed = json(
        422,
        json!({"status": "FAILED", "error": "content blocked", "metrics": {"cost": 0.0}}),
    );
    Mock::given(method("GET"))
        .respond_with(failed)
        .mount(&server)
        .await;
    let job = common::client(&server.uri()).job("job-1").unwrap();

    // The status query reports the state; it is not an error by itself.
    let state = job.status().await.expect("a FAILED status is a status");
    assert_eq!(state.status, JobStatus::Failed);
    assert_eq!(state.error.as_deref(), Some("content blocked"));

    for err in [
        job.wait_with(WaitOptions::new()).await.unwrap_err(),
        job.result().await.unwrap_err(),
    ] {
        let Error::JobFailed {
            request_id,
            message,
            metrics,
        } = &err
        else {
            panic!("expected JobFailed, got {err:?}");
        };
        assert_eq!(request_id, "job-1");
        assert_eq!(message, "content blocked");
        assert_eq!(metrics.as_ref().and_then(|m| m.cost), Some(0.0));
        assert!(err.to_string().contains("content blocked"));
    }
    // Each GET was made once: FAILED is not retried.
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn failed_in_a_200_body_is_terminal_too() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json(
            200,
            json!({"status": "FAILED", "error": "worker crashed"}),
        ))
        .mount(&server)
        .await;
    let err = common::client(&server.uri())
        .job("job-1")
        .unwrap()
        .wait_with(WaitOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::JobFailed { message, .. } if message == "worker crashed"));
}

#[tokio::test]
async fn a_422_without_a_job_status_is_an_api_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json(422, json!({"error": "malformed id"})))
        .mount(&server)
        .await;
    let err = common::client(&server.uri())
        .job("job-1")
        .unwrap()
        .status()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert!(err.to_string().contains("malformed id"));
}

#[tokio::test]
async fn an_unknown_or_expired_job_is_job_expired() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json(404, json!({"error": "not found"})))
        .mount(&server)
        .await;
    let job = common::client(&server.uri()).job("old-job").unwrap();
    for err in [
        job.status().await.unwrap_err(),
        job.wait_with(WaitOptions::new()).await.unwrap_err(),
    ] {
        assert!(matches!(&err, Error::JobExpired { request_id } if request_id == "old-job"));
        assert_eq!(
            err.to_string(),
            "job old-job is unknown or expired (results are kept one hour)"
        );
    }
}

#[tokio::test]
async fn a_missed_deadline_is_poll_timeout_and_the_job_can_be_awaited_again() {
    let server = MockServer::start().await;
    mount_job(
        &server,
        &["PROCESSING", "PROCESSING", "PROCESSING", "COMPLETED"],
        json!({"status": "COMPLETED", "output": "https://cdn.example/x.png"}),
    )
    .await;
    let job = common::client(&server.uri()).job("job-1").unwrap();
    let options = WaitOptions::new()
        .interval(Duration::from_millis(100))
        .timeout(Duration::from_millis(250));

    let started = Instant::now();
    let err = job.wait_with(options.clone()).await.unwrap_err();
    let waited = started.elapsed();
    // Polls at 0, 100 and 200 ms; the next would pass the deadline.
    assert!(waited >= Duration::from_millis(250), "{waited:?}");
    assert!(
        waited < Duration::from_millis(250 + 100 + 500),
        "{waited:?}"
    );
    let Error::PollTimeout {
        request_id,
        last_status,
    } = &err
    else {
        panic!("expected PollTimeout, got {err:?}");
    };
    assert_eq!(request_id, "job-1");
    assert_eq!(last_status, &Some(JobStatus::Processing));
    assert!(err.is_retryable());

    let result = job.wait_with(options).await.expect("second wait");
    assert_eq!(result.status, JobStatus::Completed);
    assert_eq!(result.output, Some(json!("https://cdn.example/x.png")));
}

#[tokio::test]
async fn intervals_back_off_up_to_their_cap() {
    let server = MockServer::start().await;
    mount_job(
        &server,
        &["QUEUED", "QUEUED", "PROCESSING", "PROCESSING", "COMPLETED"],
        json!({"status": "COMPLETED"}),
    )
    .await;
    let job = common::client(&server.uri()).job("job-1").unwrap();
    let options = WaitOptions::new()
        .interval(Duration::from_millis(20))
        .backoff(2.0)
        .max_interval(Duration::from_millis(60));
    let started = Instant::now();
    job.wait_with(options).await.unwrap();
    // 20 + 40 + 60 + 60 ms between the five polls.
    assert!(started.elapsed() >= Duration::from_millis(180));
    assert_eq!(server.received_requests().await.unwrap().len(), 6);
}

/// How long (tokio's paused clock) a fresh client waits for a txt-2-img
/// job that is already done, when the submission's answer carries
/// `announcement` (the mock's header), and how many status requests it made.
async fn first_notice(announcement: Option<&str>) -> (Duration, usize) {
    let server = MockServer::start().await;
    let base = server.uri();
    let mut answer = json(
        200,
        json!({
            "request_id": "job-1",
            "status_url": format!("{base}/v2/requests/job-1/status"),
            "response_url": format!("{base}/v2/requests/job-1"),
        }),
    );
    if let Some(value) = announcement {
        answer = answer.insert_header(segmind_ideogram::MOCK_JOB_TIME_HEADER, value);
    }
    Mock::given(method("POST"))
        .and(path("/v2/ideogram-txt-2-img"))
        .respond_with(answer)
        .mount(&server)
        .await;
    mount_job(&server, &["COMPLETED"], json!({"status": "COMPLETED"})).await;
    let client = common::paused_builder(&base).build().unwrap();
    let job = client
        .submit(&IdeogramTxt2ImgRequest::new("x"))
        .await
        .unwrap();
    let started = Instant::now();
    // No deadline: on the paused clock it would fire while a poll waits
    // on the (real) socket.
    let adaptive = WaitOptions::new().timeout(Duration::MAX);
    job.wait_with(adaptive).await.unwrap();
    let waited = started.elapsed();
    let requests = server.received_requests().await.unwrap();
    let polls = requests
        .iter()
        .filter(|r| r.url.path().ends_with("/status"))
        .count();
    (waited, polls)
}

#[tokio::test(start_paused = true)]
async fn a_server_that_announces_its_job_time_is_polled_on_that_clock() {
    // A mock's 3 s jobs: the first poll 25 ms after they can be done.
    let (waited, polls) = first_notice(Some("3000-3000")).await;
    assert!(
        waited >= Duration::from_millis(3025) && waited < Duration::from_millis(3100),
        "{waited:?}"
    );
    assert_eq!(polls, 1);
    // Segmind (no announcement), or an announcement that makes no sense:
    // the cold schedule, whose first poll comes at half the registry's
    // typical latency (21.6 s), on the SDK's 1 s grid.
    for announcement in [None, Some("soon"), Some("3000-1000")] {
        let (waited, polls) = first_notice(announcement).await;
        assert!(
            waited >= Duration::from_secs(11) && waited < Duration::from_millis(11_100),
            "{announcement:?}: {waited:?}"
        );
        assert_eq!(polls, 1);
    }
}

#[tokio::test]
async fn a_job_is_rebuilt_from_its_id_or_its_stored_handle() {
    let server = MockServer::start().await;
    let client = common::client(&server.uri());
    let base = server.uri();

    let job = client.job("abc-123").unwrap();
    assert_eq!(job.request_id(), "abc-123");
    assert_eq!(
        job.status_url(),
        format!("{base}/v2/requests/abc-123/status")
    );
    assert_eq!(job.response_url(), format!("{base}/v2/requests/abc-123"));

    // A job serializes as its handle, which brings the job back.
    let stored = serde_json::to_string(&job).unwrap();
    let handle: JobHandle = serde_json::from_str(&stored).unwrap();
    assert_eq!(&handle, job.handle());
    assert_eq!(client.resume(handle).unwrap().handle(), job.handle());

    // URLs on another origin would receive the key: they are rebuilt.
    let foreign = JobHandle {
        request_id: "abc-123".into(),
        status_url: "https://attacker.example/steal".into(),
        response_url: "not even a url".into(),
    };
    assert_eq!(client.resume(foreign).unwrap().handle(), job.handle());

    // Ids that would change the URL never reach one.
    for bad in ["", "  ", ".", "..", "a/b", "a?b", "a#b", "a%2F", "a\nb"] {
        let err = client.job(bad).unwrap_err();
        assert!(matches!(err, Error::InvalidJobId { .. }), "{bad:?}: {err}");
        assert_eq!(err.delivery(), segmind_ideogram::Delivery::NotSent);
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn submit_returns_the_servers_urls_and_sends_the_same_body_as_run() {
    let server = MockServer::start().await;
    mount_submit(&server, "ideogram-3-reframe", "job-9").await;
    let request = Ideogram3ReframeRequest::new("https://example.com/in.png");
    let job = common::client(&server.uri())
        .submit(&request)
        .await
        .unwrap();
    assert_eq!(job.request_id(), "job-9");
    assert_eq!(
        job.status_url(),
        format!("{}/v2/requests/job-9/status", server.uri())
    );
    let sent = &server.received_requests().await.unwrap()[0];
    let body: serde_json::Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!(body, json!({"image": "https://example.com/in.png"}));
}

#[tokio::test]
async fn a_submission_answer_without_an_id_is_a_decode_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json(200, json!({"status": "QUEUED"})))
        .mount(&server)
        .await;
    let err = common::client(&server.uri())
        .submit(&IdeogramTxt2ImgRequest::new("x"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { status: 200, .. }), "{err:?}");
}

#[tokio::test]
async fn outputs_given_as_data_uris_need_no_download() {
    use base64::Engine as _;
    let server = MockServer::start().await;
    let pixels = png(2, 3);
    let uri = format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&pixels)
    );
    mount_submit(&server, "ideogram-txt-2-img", "job-1").await;
    mount_job(
        &server,
        &["COMPLETED"],
        json!({"status": "COMPLETED", "output": [uri]}),
    )
    .await;
    let every = WaitOptions::new().interval(Duration::from_millis(10));
    let image = common::client(&server.uri())
        .generate_with(&IdeogramTxt2ImgRequest::new("x"), every)
        .await
        .unwrap();
    assert_eq!(image.bytes().as_ref(), pixels.as_slice());

    // A completed result without any image says where it looked.
    let job = common::client(&server.uri()).job("job-1").unwrap();
    let empty = segmind_ideogram::JobResult::new(JobStatus::Completed);
    let err = job.output_image(&empty).await.unwrap_err();
    assert!(
        matches!(&err, Error::Decode { path: Some(p), .. } if p == "output"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_redirect_away_from_the_api_is_followed_without_the_key() {
    let server = MockServer::start().await;
    let cdn = MockServer::start().await;
    let pixels = png(2, 2);
    Mock::given(method("GET"))
        .and(path("/v2/requests/job-1"))
        .respond_with(json(
            200,
            json!({"status": "COMPLETED", "output": format!("{}/files/job-1", server.uri())}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/files/job-1"))
        .respond_with(wiremock::ResponseTemplate::new(302).insert_header(
            "location",
            format!("{}/signed/job-1.png", cdn.uri()).as_str(),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/signed/job-1.png"))
        .respond_with(image(&pixels, "image/png"))
        .expect(1)
        .mount(&cdn)
        .await;
    let job = common::client(&server.uri()).job("job-1").unwrap();
    let result = job.result().await.unwrap();
    let image = job.output_image(&result).await.unwrap();
    assert_eq!(image.bytes().as_ref(), pixels.as_slice());

    // The API's own host got the key; the host it redirected to did not.
    let api_calls = server.received_requests().await.unwrap();
    assert!(
        api_calls
            .iter()
            .all(|r| r.headers.contains_key("x-api-key"))
    );
    let cdn_calls = cdn.received_requests().await.unwrap();
    assert_eq!(cdn_calls.len(), 1);
    assert!(!cdn_calls[0].headers.contains_key("x-api-key"));
}

/// A wait shorter than the schedule's first poll (a fresh client polls a
/// txt-2-img job first at about 11 s) looked at nothing and gave up with
/// "last status: none received"; the job is looked at once before the
/// deadline.
#[tokio::test]
async fn a_wait_shorter_than_the_first_poll_still_looks_once() {
    let server = MockServer::start().await;
    mount_submit(&server, "ideogram-txt-2-img", "job-1").await;
    mount_job(
        &server,
        &["COMPLETED"],
        json!({"status": "COMPLETED", "output": "https://cdn.example/x.png"}),
    )
    .await;
    let job = common::client(&server.uri())
        .submit(&IdeogramTxt2ImgRequest::new("a lighthouse"))
        .await
        .unwrap();
    let started = Instant::now();
    let result = job
        .wait_with(WaitOptions::new().timeout(Duration::from_millis(1500)))
        .await
        .expect("the job is done; one look finds it");
    assert_eq!(result.status, JobStatus::Completed);
    assert!(started.elapsed() < Duration::from_millis(1500));
    let polls = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().ends_with("/status"))
        .count();
    assert_eq!(polls, 1);
}

/// What is only information must not cost a paid image: a status or
/// result whose metrics (or id) a strict reading refuses still gives the
/// job's state and output; the member is left out. Each of these made the
/// job unfetchable, every time it was asked.
#[tokio::test]
async fn odd_metrics_and_ids_do_not_hide_a_finished_job() {
    for odd in [
        r#""metrics": {"cost": "0.05", "inference_time": 1.5}"#,
        r#""metrics": {"retry_count": 1.0}"#,
        r#""metrics": {"queue_time": "0.02"}"#,
        r#""metrics": []"#,
        r#""metrics": {"cost": 1e400, "inference_time": 1.5}"#,
        r#""request_id": 123"#,
    ] {
        let server = MockServer::start().await;
        let document = |status: &str, output: &str| {
            let text = format!(r#"{{"status": "{status}", {odd}{output}}}"#);
            wiremock::ResponseTemplate::new(200)
                .insert_header("content-type", "application/json")
                .set_body_string(text)
        };
        Mock::given(method("GET"))
            .and(path("/v2/requests/job-1/status"))
            .respond_with(document("COMPLETED", ""))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/v2/requests/job-1"))
            .respond_with(document(
                "COMPLETED",
                r#", "output": "https://cdn.example/x.png""#,
            ))
            .mount(&server)
            .await;
        let job = common::client(&server.uri()).job("job-1").unwrap();
        let status = job.status().await.unwrap_or_else(|e| panic!("{odd}: {e}"));
        assert_eq!(status.status, JobStatus::Completed, "{odd}");
        let result = job
            .wait_with(WaitOptions::new().interval(Duration::from_millis(10)))
            .await
            .unwrap_or_else(|e| panic!("{odd}: {e}"));
        assert_eq!(
            result.output,
            Some(json!("https://cdn.example/x.png")),
            "{odd}"
        );
        if odd.contains("inference_time") {
            let metrics = result.metrics.expect("the metrics that read are kept");
            assert_eq!(metrics.inference_time, Some(1.5), "{odd}");
            assert_eq!(metrics.cost, None, "{odd}");
        }
    }
}

/// A status request is free and the job runs on: a blip longer than the
/// transport's own retries (five 503s, a page of HTML, a reset) used to
/// end a wait of minutes at once, leaving a paid image unfetched. The wait
/// polls again after a pause, within its deadline.
#[tokio::test]
async fn a_blip_while_polling_does_not_end_the_wait() {
    let server = MockServer::start().await;
    let unavailable = wiremock::ResponseTemplate::new(503).set_body_string("<html>busy</html>");
    let html = wiremock::ResponseTemplate::new(200)
        .insert_header("content-type", "text/html")
        .set_body_string("<html>maintenance</html>");
    let mut answers = vec![unavailable; 5];
    answers.extend([html.clone(), html.clone(), html, status("COMPLETED")]);
    Mock::given(method("GET"))
        .and(path("/v2/requests/job-1/status"))
        .respond_with(Sequence::new(answers))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/requests/job-1"))
        .respond_with(json(
            200,
            json!({"status": "COMPLETED", "output": "https://cdn.example/x.png"}),
        ))
        .mount(&server)
        .await;
    let job = common::client(&server.uri()).job("job-1").unwrap();
    let result = job
        .wait_with(
            WaitOptions::new()
                .interval(Duration::from_millis(10))
                .timeout(Duration::from_secs(30)),
        )
        .await
        .expect("the wait outlasts the blip");
    assert_eq!(result.output, Some(json!("https://cdn.example/x.png")));
}

/// A 429 on a poll asking for longer than the wait has left ends the wait
/// at its deadline (the job goes on), not at once.
#[tokio::test]
async fn a_429_asking_for_ages_while_polling_ends_at_the_deadline() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/requests/job-1/status"))
        .respond_with(
            wiremock::ResponseTemplate::new(429)
                .insert_header("retry-after", "999999999")
                .set_body_string("slow"),
        )
        .mount(&server)
        .await;
    let job = common::client(&server.uri()).job("job-1").unwrap();
    let started = Instant::now();
    let err = job
        .wait_with(
            WaitOptions::new()
                .interval(Duration::from_millis(10))
                .timeout(Duration::from_millis(1500)),
        )
        .await
        .unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(1500), "{err:?}");
    assert_eq!(err.status(), Some(429), "the failure that kept it: {err:?}");
    assert!(err.is_retryable());
}

/// Storage may lag the job: an output URL that answers 404 at first is
/// tried again within the limit (a single command gave up at the first
/// 404, and the next `jobs wait` could meet another).
#[tokio::test]
async fn an_output_missing_at_first_is_fetched_within_the_limit() {
    let server = MockServer::start().await;
    let cdn = MockServer::start().await;
    let url = format!("{}/img/x.png", cdn.uri());
    mount_job(
        &server,
        &["COMPLETED"],
        json!({"status": "COMPLETED", "output": url}),
    )
    .await;
    let missing = wiremock::ResponseTemplate::new(404).set_body_string("not yet");
    Mock::given(method("GET"))
        .and(path("/img/x.png"))
        .respond_with(Sequence::new(vec![
            missing.clone(),
            missing,
            image(&png(4, 4), "image/png"),
        ]))
        .mount(&cdn)
        .await;
    let job = common::client(&server.uri()).job("job-1").unwrap();
    let result = job
        .wait_with(WaitOptions::new().interval(Duration::from_millis(10)))
        .await
        .unwrap();
    assert_eq!(
        job.output_image(&result).await.unwrap_err().status(),
        Some(404)
    );
    let image = job
        .output_image_within(&result, Duration::from_secs(10))
        .await
        .expect("fetched once storage caught up");
    assert_eq!(image.format(), ImageFormat::Png);
    // Within a limit too short for the backoff, the 404 is what is said.
    let never = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(wiremock::ResponseTemplate::new(404))
        .mount(&never)
        .await;
    let gone = json!({"status": "COMPLETED", "output": format!("{}/img/y.png", never.uri())});
    let result: segmind_ideogram::JobResult = serde_json::from_value(gone).unwrap();
    let err = job
        .output_image_within(&result, Duration::from_millis(300))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");
}
