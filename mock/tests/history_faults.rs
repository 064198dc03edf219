//! The request history as Segmind's may really behave: a skewed clock,
//! dates without a zone or in another zone's days, renamed models, bodies
//! without some members, rows repeated once per output, paging that lies;
//! and calls that cost more than documented. Read through the real client.

use std::time::{Duration, SystemTime};

use segmind_ideogram::{Client, HistoryQuery, IdeogramTxt2ImgRequest, RequestRecord};
use segmind_ideogram_mock::{HistoryPaging, MockBuilder, MockServer};

fn connect(server: &MockServer) -> Client {
    Client::builder()
        .api_key("k")
        .base_url(server.base_url())
        .wait_options(server.wait_options())
        .build()
        .unwrap()
}

/// A server with `n` finished jobs and a client of it.
async fn with_jobs(builder: MockBuilder, n: usize) -> (MockServer, Client) {
    let server = builder
        .job_latency(Duration::ZERO, Duration::ZERO)
        .start()
        .await
        .unwrap();
    let client = connect(&server);
    for i in 0..n {
        let request = IdeogramTxt2ImgRequest::new(format!("prompt {i}"))
            .seed(segmind_ideogram::Seed::new(100 + i as u32).unwrap());
        client.generate(&request).await.unwrap();
    }
    (server, client)
}

fn today_query() -> HistoryQuery {
    let now = SystemTime::now();
    HistoryQuery::new().between(
        now - Duration::from_secs(86_400),
        now + Duration::from_secs(86_400),
    )
}

async fn all_rows(client: &Client, per_page: u32, pages: u32) -> Vec<Vec<RequestRecord>> {
    let mut out = Vec::new();
    for page in 1..=pages {
        let answer = client
            .request_history(&today_query().per_page(per_page).page(page))
            .await
            .unwrap();
        out.push(answer.records);
    }
    out
}

#[tokio::test]
async fn a_skewed_clock_dates_rows_and_answers_alike() {
    let skew = -400_000;
    let (_server, client) = with_jobs(MockServer::builder().history_clock_skew(skew), 1).await;
    let page = client.request_history(&today_query()).await.unwrap();
    let created = page.records[0].created().unwrap();
    let date = page.server_date.expect("the answer is dated");
    let now = SystemTime::now();
    for (what, at) in [("created_at", created), ("Date", date)] {
        let behind = now.duration_since(at).unwrap_or_default();
        assert!(
            (Duration::from_secs(398)..Duration::from_secs(403)).contains(&behind),
            "{what} is {behind:?} behind"
        );
    }
}

#[tokio::test]
async fn rows_are_written_the_way_the_faults_say() {
    let (_server, client) = with_jobs(
        MockServer::builder()
            .history_zoneless(-480)
            .history_model_prefix("segmind/")
            .history_omits("seed")
            .history_rows_per_request(3),
        1,
    )
    .await;
    let page = client.request_history(&today_query()).await.unwrap();
    assert_eq!(page.records.len(), 3, "once per output");
    let urls: std::collections::HashSet<_> = page
        .records
        .iter()
        .map(|r| r.output_url().unwrap().to_owned())
        .collect();
    assert_eq!(urls.len(), 3, "each output its own URL");
    let row = &page.records[0];
    assert_eq!(
        row.model_name.as_deref(),
        Some("segmind/ideogram-txt-2-img")
    );
    assert_eq!(
        row.inputs().unwrap(),
        serde_json::json!({"prompt": "prompt 0"})
    );
    let created = row
        .created_at
        .as_ref()
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!created.ends_with('Z'), "{created}");
    // Local time in UTC−8: eight hours behind UTC when read as UTC.
    let read_as_utc = humantime::parse_rfc3339_weak(&created).unwrap();
    let behind = SystemTime::now().duration_since(read_as_utc).unwrap();
    assert!(behind > Duration::from_secs(8 * 3600 - 60), "{behind:?}");
    // The model filter is still a substring.
    let filtered = client
        .request_history(&today_query().model("ideogram-txt-2-img"))
        .await
        .unwrap();
    assert_eq!(filtered.records.len(), 3);
}

#[tokio::test]
async fn the_days_asked_for_are_another_zones() {
    // Days of UTC+14: a row made now is dated tomorrow (UTC) there, on
    // most hours of the day; asking for yesterday and today alone may miss it.
    let (_server, client) = with_jobs(MockServer::builder().history_day_zone(14 * 60), 1).await;
    let now = SystemTime::now();
    let local = now + Duration::from_secs(14 * 3600);
    let today_there = humantime::format_rfc3339(local).to_string()[..10].to_owned();
    let today_utc = humantime::format_rfc3339(now).to_string()[..10].to_owned();
    let only_utc_today = client
        .request_history(&HistoryQuery::new().between(now, now))
        .await
        .unwrap();
    let expected = usize::from(today_there == today_utc);
    assert_eq!(only_utc_today.records.len(), expected);
    let with_margin = client.request_history(&today_query()).await.unwrap();
    assert_eq!(with_margin.records.len(), 1);
}

#[tokio::test]
async fn paging_lies_as_configured() {
    let pages = |rows: &[Vec<RequestRecord>]| -> Vec<Vec<String>> {
        rows.iter()
            .map(|p| p.iter().map(|r| r.request_id.clone().unwrap()).collect())
            .collect()
    };
    let (_server, honest) = with_jobs(MockServer::builder(), 5).await;
    let read = pages(&all_rows(&honest, 2, 4).await);
    assert_eq!(read.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 1, 0]);
    let answer = honest
        .request_history(&today_query().per_page(2))
        .await
        .unwrap();
    assert_eq!(answer.total, Some(5));

    let (_server, counting) = with_jobs(
        MockServer::builder().history_paging(HistoryPaging::CountPerPage),
        5,
    )
    .await;
    let answer = counting
        .request_history(&today_query().per_page(2))
        .await
        .unwrap();
    assert_eq!(answer.total, Some(2), "the page's count, not the total");

    let (_server, ignoring) = with_jobs(
        MockServer::builder().history_paging(HistoryPaging::IgnoresPage),
        5,
    )
    .await;
    let read = pages(&all_rows(&ignoring, 2, 3).await);
    assert!(read[0] == read[1] && read[1] == read[2], "{read:?}");

    let (_server, unstable) = with_jobs(
        MockServer::builder().history_paging(HistoryPaging::Unstable),
        5,
    )
    .await;
    let read = pages(&all_rows(&unstable, 2, 3).await);
    let distinct: std::collections::HashSet<&String> = read.iter().flatten().collect();
    assert!(distinct.len() < 5, "some row never shows: {read:?}");
}

#[tokio::test]
async fn a_real_price_above_the_documented_one_is_charged_and_reported() {
    let server = MockServer::builder()
        .real_price(0.5)
        .job_latency(Duration::ZERO, Duration::ZERO)
        .start()
        .await
        .unwrap();
    let client = connect(&server);
    let job = client
        .submit(&IdeogramTxt2ImgRequest::new("x"))
        .await
        .unwrap();
    let result = job.wait().await.unwrap();
    assert_eq!(result.metrics.and_then(|m| m.cost), Some(0.5));
    let credits = client.credits().await.unwrap().credits.unwrap();
    assert!((100.0 - credits - 0.5).abs() < 1e-9, "{credits}");
}
