//! The client's pacer against the mock's rate limit: a known limit is kept
//! without a single 429, an unknown one is learned from the first, and a
//! stop ends any wait at once.
//!
//! On tokio's paused clock: the client, its pacer and the mock (served on
//! the test's runtime) all keep tokio's time, so windows pass at once.

use std::time::Duration;

use tokio::time::Instant;

use segmind_ideogram::{Client, Error, IdeogramTxt2ImgRequest, Pacer, RetryPolicy};
use segmind_ideogram_mock::MockServer;

const WINDOW: Duration = Duration::from_secs(1);

/// A client without timers of its own (timeouts, idle connections), which
/// the paused clock would fire while a request is on the loopback socket.
fn client(server: &MockServer, pacer: &Pacer) -> Client {
    Client::builder()
        .api_key("k")
        .base_url(server.base_url())
        .timeout(None)
        .connect_timeout(None)
        .pool_idle_timeout(None)
        .pacer(pacer.clone())
        .retry_policy(RetryPolicy::new().max_attempts(20))
        .build()
        .unwrap()
}

/// Submits `n` jobs, `concurrency` at a time; how many 429s the server sent.
async fn submit_all(server: &MockServer, client: &Client, n: usize, concurrency: usize) -> u64 {
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(concurrency));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let client = client.clone();
        let permits = permits.clone();
        tasks.spawn(async move {
            let _permit = permits.acquire().await.unwrap();
            client
                .submit(&IdeogramTxt2ImgRequest::new(format!("line {i}")))
                .await
                .map(|_| ())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap().expect("every submission goes through");
    }
    assert_eq!(server.jobs_submitted(), n);
    server.requests_received() - n as u64
}

#[tokio::test(start_paused = true)]
async fn a_known_limit_is_kept_without_a_429() {
    let server = MockServer::builder()
        .rate_limit(5, WINDOW)
        .start()
        .await
        .unwrap();
    let pacer = Pacer::per_window(5, WINDOW);
    let started = Instant::now();
    let refused = submit_all(&server, &client(&server, &pacer), 16, 8).await;
    assert_eq!(refused, 0, "429s while paced");
    assert_eq!(pacer.rate_limited(), 0);
    // 16 submissions at just under 5 a second: three windows and a bit.
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn an_unknown_limit_is_learned_from_the_first_429s() {
    let server = MockServer::builder()
        .rate_limit(5, WINDOW)
        .start()
        .await
        .unwrap();
    let pacer = Pacer::new().learning_over(WINDOW);
    let client = client(&server, &pacer);
    let first = submit_all(&server, &client, 10, 4).await;
    assert!(first > 0, "the burst hit the limit");
    let rate = pacer.per_minute_now().expect("a rate was learned");
    assert!(rate <= 5.0 * 60.0, "{rate}");
    // At steady state the learned pace sees no more 429s.
    let before = server.requests_received();
    let jobs_before = server.jobs_submitted();
    for i in 0..8 {
        client
            .submit(&IdeogramTxt2ImgRequest::new(format!("steady {i}")))
            .await
            .unwrap();
    }
    let sent = server.requests_received() - before;
    assert_eq!(
        sent,
        (server.jobs_submitted() - jobs_before) as u64,
        "no 429 once learned"
    );
}

#[tokio::test(start_paused = true)]
async fn a_stop_ends_a_wait_the_server_asked_for_at_once() {
    let server = MockServer::builder()
        .rate_limit(1, Duration::from_secs(3600))
        .start()
        .await
        .unwrap();
    let pacer = Pacer::new().max_pause(Duration::from_secs(3600));
    let client = client(&server, &pacer);
    let request = |text: &str| IdeogramTxt2ImgRequest::new(text);
    client.submit(&request("first")).await.unwrap();
    // The second is refused; the policy will not wait the hour the server
    // names, but the pacer holds every later submission for it.
    let refused = client.submit(&request("second")).await.unwrap_err();
    assert_eq!(refused.status(), Some(429));
    let paused = pacer.paused_for().unwrap_or_default();
    assert!(paused > Duration::from_secs(3000), "{paused:?}");
    let waiting = {
        let client = client.clone();
        tokio::spawn(async move { client.submit(&IdeogramTxt2ImgRequest::new("third")).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished());
    let stopped_at = Instant::now();
    pacer.stop();
    let err = waiting.await.unwrap().unwrap_err();
    assert!(stopped_at.elapsed() < Duration::from_secs(1));
    assert!(matches!(err, Error::Interrupted), "{err:?}");
    assert_eq!(err.delivery(), segmind_ideogram::Delivery::NotSent);
    assert_eq!(server.jobs_submitted(), 1);
}
