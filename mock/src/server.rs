//! Starting, addressing and stopping a mock server.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State as Extract};
use axum::http::HeaderValue;
use axum::middleware;
use axum::response::Response;
use axum::routing::{get, post};
use segmind_ideogram::{API, ENDPOINTS};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::accepted::Accepted;
use crate::account;
use crate::builder::MockBuilder;
use crate::config::MockConfig;
use crate::connections;
use crate::handlers;
use crate::state::{JobStats, State};

/// Largest request body: a 10 MB image as a base64 data URI, with room to spare.
const BODY_LIMIT: usize = 32 * 1024 * 1024;

/// A running mock of Segmind's Ideogram API on 127.0.0.1. Stops when dropped.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// let server = segmind_ideogram_mock::MockServer::start().await?;
/// println!("Segmind stand-in at {}", server.base_url());
/// # Ok(()) }
/// ```
pub struct MockServer {
    base_url: String,
    state: Arc<State>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
    /// The runtime of a server started from code without one
    /// ([`MockServer::start_blocking`]), which the server owns.
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl MockServer {
    /// A server with the default settings: any non-empty key, jobs done in
    /// 200 ms, no faults.
    pub async fn start() -> io::Result<Self> {
        Self::builder().start().await
    }

    /// [`start`](Self::start) for code without an async runtime (a test of
    /// `segmind_ideogram::blocking::Client`, say): the server runs on a
    /// runtime of its own, which stops with it. Callable from anywhere,
    /// async code included.
    ///
    /// ```
    /// let server = segmind_ideogram_mock::MockServer::start_blocking()?;
    /// assert!(server.base_url().starts_with("http://127.0.0.1:"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn start_blocking() -> io::Result<Self> {
        Self::builder().start_blocking()
    }

    /// Settings to change before starting.
    pub fn builder() -> MockBuilder {
        MockBuilder::default()
    }

    /// `http://127.0.0.1:<port>`: the client's base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `http://127.0.0.1:<port>/v1`: the official Python SDK's `base_url`.
    pub fn v1_url(&self) -> String {
        format!("{}/v1", self.base_url)
    }

    /// The requests accepted so far, in order: the latest 100,000, or fewer
    /// when their bodies pass [`MockBuilder::accepted_log_bytes`].
    pub fn accepted(&self) -> Vec<Accepted> {
        self.state.accepted()
    }

    /// How many jobs were queued (`POST /v2/{slug}` accepted).
    pub fn jobs_submitted(&self) -> usize {
        usize::try_from(self.state.accepted_counts().1).unwrap_or(usize::MAX)
    }

    /// How many sync calls were answered with an image.
    pub fn sync_calls(&self) -> usize {
        usize::try_from(self.state.accepted_counts().0).unwrap_or(usize::MAX)
    }

    /// Generation POSTs received (`/v1/{slug}` and `/v2/{slug}`), whatever
    /// their answer: refused, rate limited, faulted or accepted. What a
    /// test of money counts: each one Segmind could have billed.
    pub fn generation_posts(&self) -> u64 {
        self.state.generation_posts()
    }

    /// API requests received (accepted or not; image downloads excluded).
    pub fn requests_received(&self) -> u64 {
        self.state.requests()
    }

    /// Wait options that follow this server's configured job latency, for
    /// a client under test: it polls when a job can first be done instead
    /// of when a real Segmind job would be. (A client that submits its jobs
    /// here does so by itself when the server announces itself,
    /// [`MockBuilder::announce`]; these options also serve jobs resumed by
    /// id, and a server that does not.)
    pub fn wait_options(&self) -> segmind_ideogram::WaitOptions {
        let (low, high) = self.state.config.job_time();
        segmind_ideogram::WaitOptions::new().expected_duration(low, high)
    }

    /// How each queued job still remembered was followed: status and result
    /// requests, and the delay between its end and the first request that
    /// saw it. For measuring a client's polling.
    pub fn job_stats(&self) -> Vec<JobStats> {
        self.state.job_stats()
    }

    /// How many requests were answered with an injected 5xx
    /// ([`server_error_rate`](crate::MockBuilder::server_error_rate)).
    pub fn server_errors(&self) -> u64 {
        self.state.server_errors()
    }

    /// How many requests were answered 429.
    pub fn rate_limited(&self) -> u64 {
        self.state.rate_limited()
    }

    /// Credits left on the mock account.
    pub fn credits(&self) -> f64 {
        self.state.credits()
    }

    /// Runs until the server stops (for `ideogram mock serve`).
    pub async fn wait(mut self) -> io::Result<()> {
        match self.task.take() {
            Some(task) => task.await.unwrap_or_else(|e| Err(io::Error::other(e))),
            None => Ok(()),
        }
    }

    /// Stops accepting connections and waits for the server to finish.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
    }
}

impl MockServer {
    /// Serves on the runtime the caller runs on.
    pub(crate) async fn spawn(config: MockConfig) -> io::Result<Self> {
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, config.port)))
                .await?;
        Self::serve(config, listener)
    }

    /// Serves on a runtime of its own (two worker threads), kept in the
    /// server. Never blocks on a runtime, so it cannot panic inside one.
    pub(crate) fn spawn_blocking(config: MockConfig) -> io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("segmind-ideogram-mock")
            .enable_all()
            .build()?;
        let listener =
            std::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, config.port)))?;
        listener.set_nonblocking(true)?;
        let mut server = {
            let _inside = runtime.enter();
            Self::serve(config, tokio::net::TcpListener::from_std(listener)?)?
        };
        server.runtime = Some(runtime);
        Ok(server)
    }

    /// Starts serving `listener` on the current runtime.
    fn serve(config: MockConfig, listener: tokio::net::TcpListener) -> io::Result<Self> {
        let base_url = format!("http://{}", listener.local_addr()?);
        let header_read_timeout = config.header_read_timeout;
        let state = Arc::new(State::new(config, base_url.clone()));
        let app = router(Arc::clone(&state));
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(connections::serve(listener, app, header_read_timeout, rx));
        Ok(MockServer {
            base_url,
            state,
            shutdown: Some(tx),
            task: Some(task),
            runtime: None,
        })
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        // Without waiting (a wait would panic in async code): the server's
        // tasks, its listener among them, are dropped at once.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The routes: each endpoint's sync and submit paths, and the protocol's
/// operations, all from the generated registry.
type Shared = Extract<Arc<State>>;

fn router(state: Arc<State>) -> Router {
    let mut router = Router::new();
    for info in ENDPOINTS {
        router = router.route(
            info.sync_path,
            post(move |Extract(state): Shared, headers, body| {
                handlers::sync_call(state, info, headers, body)
            })
            .fallback(handlers::wrong_method),
        );
        if let Some(path) = info.submit_path {
            router = router.route(
                path,
                post(move |Extract(state): Shared, headers, body| {
                    handlers::submit(state, info, headers, body)
                })
                .fallback(handlers::wrong_method),
            );
        }
    }
    let operations = [
        (API.job_status, get(handlers::status)),
        (API.job_result, get(handlers::result)),
        (API.job_poll_legacy, get(handlers::result)),
        (API.credits, get(account::credits)),
        (API.request_history, get(account::history)),
        (API.request_record, get(account::record)),
        (API.upload_asset, post(account::upload)),
    ];
    for (operation, handler) in operations {
        router = router.route(operation.path, handler.fallback(handlers::wrong_method));
    }
    let announcement = state.config.announce.then(|| {
        let (low, high) = state.config.job_time();
        HeaderValue::from_str(&segmind_ideogram::__private::mock_job_time(low, high))
    });
    let router = router
        .route("/outputs/{file}", get(handlers::output))
        .route("/files/{name}", get(account::file))
        .fallback(handlers::not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    let router = match announcement {
        Some(Ok(value)) => router.layer(middleware::map_response(move |answer| {
            announce(answer, value.clone())
        })),
        _ => router,
    };
    router.with_state(state)
}

/// Says on an answer that this is a mock, and how long its jobs take.
async fn announce(mut answer: Response, value: HeaderValue) -> Response {
    answer
        .headers_mut()
        .insert(segmind_ideogram::MOCK_JOB_TIME_HEADER, value);
    answer
}
