//! Credits, the request history and storage through the real client: with a
//! base URL that is not Segmind's, all three live on the mock.

use std::time::Duration;

use segmind_ideogram::{
    ApiErrorKind, Client, Error, HistoryQuery, IdeogramImg2ImgRequest, IdeogramTxt2ImgRequest,
    ImageInput, JobStatus,
};
use segmind_ideogram_mock::MockServer;
use serde_json::json;

fn connect(server: &MockServer, key: &str) -> Client {
    Client::builder()
        .api_key(key)
        .base_url(server.base_url())
        .wait_options(server.wait_options())
        .build()
        .unwrap()
}

/// A real PNG, from the mock's own sync answer.
async fn some_png(client: &Client) -> Vec<u8> {
    client
        .run(&IdeogramTxt2ImgRequest::new("a source image"))
        .await
        .unwrap()
        .into_bytes()
        .to_vec()
}

#[tokio::test]
async fn credits_go_down_by_what_each_call_costs() {
    let server = MockServer::builder()
        .initial_credits(3.0)
        .start()
        .await
        .unwrap();
    let client = connect(&server, "k");
    let before = client.credits().await.unwrap();
    assert_eq!(before.credits, Some(3.0));
    assert_eq!(before.free_credits, Some(0.0));
    let image = client
        .run(&IdeogramImg2ImgRequest::new(
            "https://example.com/a.png",
            "x",
        ))
        .await
        .unwrap();
    let cost = image.metadata().cost.unwrap();
    let after = client.credits().await.unwrap().credits.unwrap();
    assert!(
        (before.credits.unwrap() - cost - after).abs() < 1e-9,
        "{after}"
    );
}

#[tokio::test]
async fn the_history_lists_every_request_with_its_body_state_and_cost() {
    let server = MockServer::builder()
        .job_latency(Duration::from_millis(50), Duration::from_millis(200))
        .start()
        .await
        .unwrap();
    let client = connect(&server, "k");
    let sync = IdeogramTxt2ImgRequest::new("sync one");
    client.run(&sync).await.unwrap();
    let queued = IdeogramTxt2ImgRequest::new("queued one");
    let job = client.submit(&queued).await.unwrap();

    let page = client.request_history(&HistoryQuery::new()).await.unwrap();
    assert_eq!(page.total, Some(2));
    // Newest first.
    let (newest, oldest) = (&page.records[0], &page.records[1]);
    assert_eq!(newest.request_id.as_deref(), Some(job.request_id()));
    assert_eq!(newest.model_status.as_deref(), Some("PENDING"));
    assert_eq!(
        newest.inputs(),
        Some(serde_json::to_value(&queued).unwrap())
    );
    assert_eq!(newest.cost(), None, "nothing billed while pending");
    assert_eq!(oldest.model_status.as_deref(), Some("COMPLETED"));
    assert_eq!(oldest.inputs(), Some(json!({"prompt": "sync one"})));
    assert!(oldest.cost().unwrap() > 0.0);
    assert!(oldest.created().is_some());

    let result = job.wait().await.unwrap();
    let record = client.request(job.request_id()).await.unwrap();
    assert_eq!(record.model_status.as_deref(), Some("COMPLETED"));
    assert_eq!(record.cost(), result.metrics.and_then(|m| m.cost));
    assert!(record.output_url().is_some());

    // Filters and paging.
    let filtered = client
        .request_history(&HistoryQuery::new().model("reframe"))
        .await
        .unwrap();
    assert!(filtered.records.is_empty());
    let second = client
        .request_history(&HistoryQuery::new().per_page(1).page(2))
        .await
        .unwrap();
    assert_eq!(second.records.len(), 1);
    assert_eq!(second.records[0].request_id, oldest.request_id);

    // Another key's history is its own.
    let other = connect(&server, "another-key");
    assert!(
        other
            .request_history(&HistoryQuery::new())
            .await
            .unwrap()
            .records
            .is_empty()
    );
    let missing = other.request(job.request_id()).await.unwrap_err();
    assert_eq!(missing.api_kind(), Some(ApiErrorKind::NotFound));
}

#[tokio::test]
async fn records_land_late_and_an_outage_is_an_error() {
    let server = MockServer::builder()
        .history_lag(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let client = connect(&server, "k");
    let job = client
        .submit(&IdeogramTxt2ImgRequest::new("late"))
        .await
        .unwrap();
    let page = client.request_history(&HistoryQuery::new()).await.unwrap();
    assert!(page.records.is_empty(), "the record has not landed yet");
    tokio::time::sleep(Duration::from_millis(350)).await;
    let page = client.request_history(&HistoryQuery::new()).await.unwrap();
    assert_eq!(
        page.records[0].request_id.as_deref(),
        Some(job.request_id())
    );

    let down = MockServer::builder()
        .history_outage(true)
        .start()
        .await
        .unwrap();
    let err = connect(&down, "k")
        .request_history(&HistoryQuery::new())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503), "{err}");
    // A query Segmind would refuse never leaves the client.
    let month = Duration::from_secs(40 * 86_400);
    let now = std::time::SystemTime::now();
    let err = client
        .request_history(&HistoryQuery::new().between(now - month, now))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidValue(_)), "{err:?}");
}

#[tokio::test]
async fn an_upload_gives_a_url_that_serves_the_image_and_works_as_an_input() {
    let server = MockServer::start().await.unwrap();
    let client = connect(&server, "k");
    let png = some_png(&client).await;
    let url = client
        .upload(&ImageInput::bytes(png.clone()))
        .await
        .unwrap();
    assert!(url.starts_with(server.base_url()), "{url}");
    let served = reqwest::get(&url).await.unwrap().bytes().await.unwrap();
    assert_eq!(served.as_ref(), png.as_slice());

    let job = client
        .submit(&IdeogramImg2ImgRequest::new(
            url.clone(),
            "as a watercolour",
        ))
        .await
        .unwrap();
    assert_eq!(job.wait().await.unwrap().status, JobStatus::Completed);
    let sent = server.accepted().last().unwrap().body.clone();
    assert_eq!(sent["image_file"], json!(url));

    // A URL is not uploaded again; a file that is not an image is refused
    // before anything is sent.
    let given = "https://example.com/in.png";
    assert_eq!(client.upload(&ImageInput::url(given)).await.unwrap(), given);
    let err = client
        .upload(&ImageInput::bytes(&b"GIF89a not ours"[..]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ImageInput(_)), "{err:?}");
}
