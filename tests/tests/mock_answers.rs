//! The mock answers in every shape of the conformance corpus
//! (`spec/answers/`): each answer that names a mock scenario is produced by
//! a mock configured as it says (documented or realistic shapes, single
//! settings changed), with the same status, the same headers and a body of
//! the same shape (member names and JSON types, values aside). Answers
//! without a scenario share their shape with one that has one.

use std::time::Duration;

use segmind_ideogram::API;
use segmind_ideogram_mock::{Answers, MediaStyle, MockBuilder, MockServer, UploadUrls};
use segmind_ideogram_tests::answers::{Answer, answers, shape_difference};
use serde_json::{Value, json};

const KEY: &str = "corpus-key";
const SLUG: &str = "ideogram-txt-2-img";

/// What the mock answered.
struct Got {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
    text: String,
}

/// The mock an answer's `mock` member describes.
fn builder(mock: &Value) -> MockBuilder {
    let mut answers = match mock["answers"].as_str() {
        Some("realistic") => Answers::realistic(),
        _ => Answers::documented(),
    };
    let mut builder = MockServer::builder().api_key(KEY);
    for (key, value) in mock["set"].as_object().into_iter().flatten() {
        match key.as_str() {
            "submit_status" => answers.submit_status = value.as_bool().unwrap(),
            "images_per_job" => answers.images_per_job = value.as_u64().unwrap() as u32,
            "media" => {
                answers.media = match value.as_str().unwrap() {
                    "images-urls" => MediaStyle::ImagesUrls,
                    "output-object" => MediaStyle::OutputObject,
                    "output-list" => MediaStyle::OutputList,
                    "image-object" => MediaStyle::ImageObject,
                    other => panic!("no media style {other}"),
                }
            }
            "upload_urls" => {
                assert_eq!(value, "urls");
                answers.upload_urls = UploadUrls::Urls;
            }
            "history_rows_per_request" => {
                builder = builder.history_rows_per_request(value.as_u64().unwrap() as u32)
            }
            other => panic!("no setting {other}"),
        }
    }
    builder.answers(answers)
}

async fn send(request: reqwest::RequestBuilder) -> Got {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    Got {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    }
}

/// The mock's answer in `scenario`.
async fn produce(scenario: &str, mock: &Value) -> Got {
    let long = Duration::from_secs(30);
    let builder = builder(mock);
    let builder = match scenario {
        "status-queued" => builder.job_latency(long, long),
        "status-processing" | "result-processing" => builder.job_latency(Duration::ZERO, long),
        "no-credits" | "no-credits-sync" => builder.initial_credits(0.0),
        "spend-limit" => builder.spend_limit(0.0),
        "retired" => builder.retired(SLUG),
        "rate-limited" => builder.rate_limit(0, Duration::from_secs(60)),
        "server-error" | "server-error-read" => builder.server_error_rate(1.0),
        "status-failed" | "result-failed" => builder
            .fail_word("blocked")
            .job_latency(Duration::ZERO, Duration::ZERO),
        _ => builder.job_latency(Duration::ZERO, Duration::ZERO),
    };
    let server = builder.start().await.unwrap();
    let base = server.base_url().to_owned();
    let http = reqwest::Client::new();
    let get = |url: String| http.get(url).header(API.auth_header, KEY);
    let post = |path: &str, key: &str| {
        http.post(format!("{base}{path}"))
            .header(API.auth_header, key)
    };
    let prompt = if scenario.ends_with("-failed") {
        "a blocked thing"
    } else {
        "a lighthouse"
    };
    let body = json!({"prompt": prompt});
    let submit = || async {
        let got = send(post(&format!("/v2/{SLUG}"), KEY).json(&body)).await;
        assert_eq!(got.status, 200, "{}", got.text);
        got.body
    };
    let status_url = |id: &str| API.job_status.url(&base, &[("request_id", id)]).unwrap();
    match scenario {
        "submit" => send(post(&format!("/v2/{SLUG}"), KEY).json(&body)).await,
        "status-queued" | "status-processing" | "status-completed" | "status-failed" => {
            let job = submit().await;
            let url = status_url(job["request_id"].as_str().unwrap());
            if scenario == "status-completed" || scenario == "status-failed" {
                settle(&http, &url).await;
            }
            send(get(url)).await
        }
        "result-completed" | "result-processing" | "result-failed" | "legacy-completed" => {
            let job = submit().await;
            let id = job["request_id"].as_str().unwrap().to_owned();
            if scenario != "result-processing" {
                settle(&http, &status_url(&id)).await;
            }
            let operation = if scenario == "legacy-completed" {
                API.job_poll_legacy
            } else {
                API.job_result
            };
            send(get(operation.url(&base, &[("request_id", &id)]).unwrap())).await
        }
        "unknown-job" => send(get(status_url("no-such-job"))).await,
        "legacy-unknown" => {
            let url = API
                .job_poll_legacy
                .url(&base, &[("request_id", "no-such-job")]);
            send(get(url.unwrap())).await
        }
        "no-credits" | "spend-limit" | "retired" | "rate-limited" | "server-error" => {
            send(post(&format!("/v2/{SLUG}"), KEY).json(&body)).await
        }
        "server-error-read" => send(get(status_url("any-job"))).await,
        "no-credits-sync" => send(post(&format!("/v1/{SLUG}"), KEY).json(&body)).await,
        "content-type" => {
            let request = post(&format!("/v2/{SLUG}"), KEY)
                .header("content-type", "text/plain")
                .body(body.to_string());
            send(request).await
        }
        "invalid-body" => send(post(&format!("/v1/{SLUG}"), KEY).json(&json!({}))).await,
        "wrong-key" => send(post(&format!("/v2/{SLUG}"), "wrong-key").json(&body)).await,
        "unknown-model" => send(post("/v1/ideogram-no-such-model", KEY).json(&body)).await,
        "wrong-method" => send(get(format!("{base}/v1/{SLUG}"))).await,
        "credits" => send(get(API.credits.url(&base, &[]).unwrap())).await,
        "upload" => {
            let png = base64_png();
            let url = API.upload_asset.url(&base, &[]).unwrap();
            let request = http
                .post(url)
                .header(API.auth_header, KEY)
                .json(&json!({"data_urls": [format!("data:image/png;base64,{png}")]}));
            send(request).await
        }
        "history-page" | "history-record" => {
            let job = submit().await;
            let id = job["request_id"].as_str().unwrap().to_owned();
            settle(&http, &status_url(&id)).await;
            let url = if scenario == "history-page" {
                API.request_history.url(&base, &[])
            } else {
                API.request_record.url(&base, &[("request_id", &id)])
            };
            send(get(url.unwrap())).await
        }
        other => panic!("no scenario {other}"),
    }
}

/// Waits until the job of `status_url` has ended.
async fn settle(http: &reqwest::Client, status_url: &str) {
    for _ in 0..200 {
        let response = http
            .get(status_url)
            .header(API.auth_header, KEY)
            .send()
            .await
            .unwrap();
        let status: Value = response.json().await.unwrap_or(Value::Null);
        if matches!(status["status"].as_str(), Some("COMPLETED" | "FAILED")) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the job did not end");
}

/// A 1×1 PNG, base64.
fn base64_png() -> &'static str {
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGMAAQAABQABDQottAAAAABJRU5ErkJggg=="
}

fn compare(answer: &Answer, got: &Got) {
    let name = &answer.name;
    let same_status = if answer.operation.is_empty() || answer.status < 500 {
        got.status == answer.status
    } else {
        // The mock's injected server errors draw among 500, 502, 503, 504.
        got.status / 100 == answer.status / 100
    };
    assert!(
        same_status,
        "{name}: the mock answered {}: {}",
        got.status, got.text
    );
    for (header, _) in &answer.headers {
        assert!(
            got.headers.contains_key(header.as_str()),
            "{name}: no `{header}` in {:?}",
            got.headers
        );
    }
    match &answer.body {
        Some(body) => {
            if let Some(difference) = shape_difference(body, &got.body, "body") {
                panic!("{name}: {difference}\nthe mock: {}", got.text);
            }
        }
        None => assert!(got.text.starts_with("<html"), "{name}: {}", got.text),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mock_gives_every_shape_of_the_corpus() {
    let corpus = answers();
    let mut shapes: Vec<(u16, Value)> = Vec::new();
    for answer in corpus.iter().filter(|a| a.mock.is_some()) {
        let mock = answer.mock.as_ref().unwrap();
        let got = produce(mock["scenario"].as_str().unwrap(), mock).await;
        compare(answer, &got);
        shapes.push((got.status, got.body));
    }
    // The rest have the shape of one the mock gives.
    for answer in corpus.iter().filter(|a| a.mock.is_none()) {
        let body = answer.body.as_ref().expect("a JSON body");
        assert!(
            shapes
                .iter()
                .any(|(_, shape)| shape_difference(body, shape, "body").is_none()),
            "{}: no mock scenario gives this shape",
            answer.name
        );
    }
}

#[tokio::test]
async fn a_shape_difference_is_found() {
    // The comparison itself can fail: other members, another type, and
    // an array element of another shape.
    let expected = json!({"images": [{"url": "u", "file_size": 1}], "status": "COMPLETED"});
    assert!(shape_difference(&expected, &expected, "b").is_none());
    for other in [
        json!({"images": [{"url": "u", "file_size": 1}]}),
        json!({"images": [{"url": "u", "file_size": "1"}], "status": "COMPLETED"}),
        json!({"images": ["u"], "status": "COMPLETED"}),
        json!({"images": [{"url": "u", "file_size": 1}, {"url": 5, "file_size": 1}], "status": "X"}),
    ] {
        assert!(
            shape_difference(&expected, &other, "b").is_some(),
            "{other}"
        );
    }
}
