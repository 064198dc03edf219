//! Queued jobs against the mock, which announces itself: a fresh client
//! polls on the mock's clock instead of the endpoint's typical latency.

use std::time::Duration;

use segmind_ideogram::{IdeogramTxt2ImgRequest, ImageFormat, WaitOptions};

use crate::common::{self, KEY};

#[tokio::test]
async fn a_fresh_client_polls_the_mock_on_its_announced_clock() {
    // The mock announces itself by default: 300 ms jobs are polled first
    // 325 ms after the submission's answer, when they are done, instead of
    // at 11 s (half of txt-2-img's typical 21.6 s), which is past this
    // wait's deadline.
    let server = segmind_ideogram_mock::MockServer::builder()
        .api_key(KEY)
        .job_latency(Duration::ZERO, Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let client = common::client(server.base_url());
    let options = WaitOptions::new().timeout(Duration::from_secs(8));
    let image = client
        .generate_with(&IdeogramTxt2ImgRequest::new("x"), options)
        .await
        .unwrap();
    assert_eq!(image.format(), ImageFormat::Png);
    let stats = server.job_stats();
    assert_eq!(stats.len(), 1);
    assert_eq!(stats[0].status_polls, 1, "{stats:?}");
    assert!(stats[0].notice_delay.is_some());
}
