//! `blocking::Client` does what the async client does, without async.

#![cfg(feature = "blocking")]

use crate::common;

use std::time::Duration;

use common::{KEY, Sequence, image, json, png};
use segmind_ideogram::blocking::Client;
use segmind_ideogram::{
    AnyRequest, ApiErrorKind, Error, IdeogramImg2ImgRequest, IdeogramTxt2ImgRequest, ImageFormat,
    ImageInput, JobStatus, RetryPolicy, WaitOptions,
};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer};

/// The mock server runs on its own runtime; the test thread stays sync.
fn server() -> (tokio::runtime::Runtime, MockServer) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(MockServer::start());
    (runtime, server)
}

fn client(server: &MockServer) -> Client {
    common::builder(&server.uri()).build_blocking().unwrap()
}

#[test]
fn run_returns_the_image() {
    let (rt, server) = server();
    let pixels = png(2, 2);
    rt.block_on(
        Mock::given(method("POST"))
            .and(path("/v1/ideogram-txt-2-img"))
            .and(header("x-api-key", KEY))
            .respond_with(image(&pixels, "image/png").insert_header("x-remaining-credits", "3"))
            .expect(2)
            .mount(&server),
    );
    let image = client(&server)
        .run(&IdeogramTxt2ImgRequest::new("x"))
        .unwrap();
    assert_eq!(image.format(), ImageFormat::Png);
    assert_eq!(image.bytes().as_ref(), pixels.as_slice());
    assert_eq!(image.metadata().remaining_credits, Some(3.0));
    let any = AnyRequest::from(IdeogramTxt2ImgRequest::new("x"));
    assert_eq!(client(&server).run_any(&any).unwrap(), image);
}

#[test]
fn errors_are_the_same() {
    let (rt, server) = server();
    rt.block_on(
        Mock::given(method("POST"))
            .respond_with(json(406, json!({"error": "no credits left"})))
            .mount(&server),
    );
    let client = client(&server);
    let err = client.run(&IdeogramTxt2ImgRequest::new("x")).unwrap_err();
    assert_eq!(err.api_kind(), Some(ApiErrorKind::InsufficientCredits));
    assert!(err.to_string().contains("no credits left"));

    let invalid = client
        .run(&IdeogramImg2ImgRequest::new("nope", "x"))
        .unwrap_err();
    assert!(matches!(invalid, Error::InvalidRequest(_)));
    assert_eq!(rt.block_on(server.received_requests()).unwrap().len(), 1);
}

#[test]
fn jobs_submit_poll_and_generate() {
    let (rt, server) = server();
    let pixels = png(3, 3);
    let base = server.uri();
    rt.block_on(async {
        Mock::given(method("POST"))
            .and(path("/v2/ideogram-txt-2-img"))
            .respond_with(json(
                200,
                json!({"request_id": "job-1", "status": "QUEUED"}),
            ))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/v2/requests/job-1/status"))
            .respond_with(Sequence::new(vec![
                json(200, json!({"status": "PROCESSING"})),
                json(200, json!({"status": "COMPLETED"})),
            ]))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/v2/requests/job-1"))
            .respond_with(json(
                200,
                json!({"status": "COMPLETED", "output": format!("{base}/out/job-1.png")}),
            ))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/out/job-1.png"))
            .respond_with(image(&pixels, "image/png"))
            .mount(&server)
            .await;
    });
    let client = client(&server);
    let fast = WaitOptions::new().interval(Duration::from_millis(10));

    let job = client.submit(&IdeogramTxt2ImgRequest::new("x")).unwrap();
    assert_eq!(job.request_id(), "job-1");
    assert_eq!(job.status().unwrap().status, JobStatus::Processing);
    let result = job.wait_with(fast.clone()).unwrap();
    assert_eq!(
        job.output_image(&result).unwrap().bytes().as_ref(),
        pixels.as_slice()
    );

    let again = client.job("job-1").unwrap();
    assert_eq!(again.handle(), job.handle());
    assert_eq!(again.result().unwrap().status, JobStatus::Completed);

    let image = client
        .generate_with(&IdeogramTxt2ImgRequest::new("x"), fast.clone())
        .unwrap();
    assert_eq!(image.bytes().as_ref(), pixels.as_slice());

    // The forms for an endpoint chosen at run time do the same.
    let any = AnyRequest::from(IdeogramTxt2ImgRequest::new("x"));
    let client = common::builder(&server.uri())
        .wait_options(fast)
        .build_blocking()
        .unwrap();
    assert_eq!(client.submit_any(&any).unwrap().handle(), job.handle());
    let image = client.generate_any(&any).unwrap();
    assert_eq!(image.bytes().as_ref(), pixels.as_slice());
    let result = client.job("job-1").unwrap().wait().unwrap();
    assert_eq!(result.status, JobStatus::Completed);
}

#[test]
fn expiry_and_failure_are_the_same() {
    let (rt, server) = server();
    rt.block_on(async {
        Mock::given(method("GET"))
            .and(path("/v2/requests/gone/status"))
            .respond_with(json(404, json!({"error": "not found"})))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/v2/requests/bad/status"))
            .respond_with(json(422, json!({"status": "FAILED", "error": "blocked"})))
            .mount(&server)
            .await;
    });
    let client = client(&server);
    let expired = client
        .job("gone")
        .unwrap()
        .wait_with(WaitOptions::new())
        .unwrap_err();
    assert!(matches!(expired, Error::JobExpired { .. }));
    let failed = client
        .job("bad")
        .unwrap()
        .wait_with(WaitOptions::new())
        .unwrap_err();
    assert!(matches!(failed, Error::JobFailed { ref message, .. } if message == "blocked"));
}

#[test]
fn calling_it_inside_an_async_runtime_is_an_error_not_a_panic() {
    let client = Client::new(KEY).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let err = runtime
        .block_on(async { client.run(&IdeogramTxt2ImgRequest::new("x")) })
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported(_)), "{err:?}");
    // Dropping the client inside a runtime does not panic either.
    runtime.block_on(async move { drop(client) });
}

#[test]
fn builder_settings_carry_over() {
    let client = segmind_ideogram::ClientBuilder::new()
        .api_key(KEY)
        .base_url("http://127.0.0.1:9/proxy/")
        .retry_policy(RetryPolicy::none())
        .build_blocking()
        .unwrap();
    assert_eq!(client.as_async().base_url(), "http://127.0.0.1:9/proxy");
    assert_eq!(client.as_async().retry_policy().attempts(), 1);
    assert!(format!("{client:?}").contains("ApiKey(***)"));
}

#[test]
fn local_images_are_uploaded_or_inlined_as_by_the_async_client() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mock = segmind_ideogram_mock::MockServer::start_blocking().unwrap();
    let builder = || {
        segmind_ideogram::ClientBuilder::new()
            .api_key(KEY)
            .base_url(mock.base_url())
            .wait_options(mock.wait_options())
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.png");
    let pixels = png(2, 3);
    std::fs::write(&file, &pixels).unwrap();
    let request = IdeogramImg2ImgRequest::new(ImageInput::file(&file), "at night");
    let sent = || mock.accepted().last().unwrap().body["image_file"].clone();

    builder().build_blocking().unwrap().run(&request).unwrap();
    let url = sent().as_str().unwrap().to_owned();
    assert!(url.starts_with(mock.base_url()), "{url}");
    let stored = rt.block_on(async { reqwest::get(&url).await?.bytes().await });
    assert_eq!(stored.unwrap().as_ref(), pixels.as_slice());
    assert_eq!(
        mock.requests_received(),
        2,
        "an upload, then the generation"
    );

    let inline = builder().inline_images(true).build_blocking().unwrap();
    inline.generate(&request).unwrap();
    assert_eq!(
        sent(),
        json!(ImageInput::file(&file).to_data_uri().unwrap())
    );

    let before = mock.requests_received();
    let missing = IdeogramImg2ImgRequest::new(ImageInput::file(dir.path().join("no.png")), "x");
    let err = inline.submit(&missing).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert_eq!(mock.requests_received(), before);
}

#[test]
fn blocking_code_starts_the_mock_without_a_runtime_of_its_own() {
    // No tokio runtime on this thread: the mock brings its own.
    assert!(tokio::runtime::Handle::try_current().is_err());
    let mock = segmind_ideogram_mock::MockServer::builder()
        .api_key(KEY)
        .start_blocking()
        .unwrap();
    let client = segmind_ideogram::ClientBuilder::new()
        .api_key(KEY)
        .base_url(mock.base_url())
        .build_blocking()
        .unwrap();
    let image = client
        .generate(&IdeogramTxt2ImgRequest::new("a paper crane"))
        .unwrap();
    assert_eq!(image.format(), ImageFormat::Png);
    assert_eq!(mock.jobs_submitted(), 1);

    // Dropped, it stops: its port refuses connections.
    let address = mock.base_url().trim_start_matches("http://").to_owned();
    drop(mock);
    let refused = (0..100).any(|_| {
        let refused = std::net::TcpStream::connect(&address).is_err();
        if !refused {
            std::thread::sleep(Duration::from_millis(10));
        }
        refused
    });
    assert!(refused, "{address} still accepts connections");
}

#[tokio::test]
async fn starting_and_dropping_the_blocking_mock_inside_async_code_does_not_panic() {
    let mock = segmind_ideogram_mock::MockServer::start_blocking().unwrap();
    let credits = reqwest::Client::new()
        .get(format!("{}/v1/get-user-credits", mock.base_url()))
        .header("x-api-key", KEY)
        .send()
        .await
        .unwrap();
    assert!(credits.status().is_success(), "{}", credits.status());
    drop(mock);
}
