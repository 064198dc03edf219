//! Settings of a [`Client`](crate::Client): key, base URL, timeouts, body
//! caps, retries and poll defaults. `build()` lives beside the client, so
//! that this module depends on nothing above it.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;

use crate::api_key::ApiKey;
use crate::error::Error;
use crate::pace::Pacer;
use crate::retry::RetryPolicy;
use crate::wait::WaitOptions;

/// Segmind's API, from the spec.
pub const DEFAULT_BASE_URL: &str = crate::generated::API.base_url;

/// The environment variable [`Client::from_env`](crate::Client::from_env) reads the key from.
pub const API_KEY_ENV: &str = "SEGMIND_API_KEY";

/// The `User-Agent` sent unless another is set.
pub const DEFAULT_USER_AGENT: &str = concat!("segmind-ideogram-rs/", env!("CARGO_PKG_VERSION"));

/// The default cap on an image body (a v1 answer or an output download).
pub const DEFAULT_MAX_IMAGE_BYTES: u64 = 64 * 1024 * 1024;

/// The default cap on a JSON answer.
pub const DEFAULT_MAX_JSON_BYTES: u64 = 4 * 1024 * 1024;

/// Settings of a [`Client`](crate::Client); start from
/// [`Client::builder`](crate::Client::builder).
#[derive(Debug, Clone)]
#[must_use]
pub struct ClientBuilder {
    pub(crate) api_key: Option<ApiKey>,
    pub(crate) base_url: String,
    pub(crate) timeout: Option<Duration>,
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) pool_idle_timeout: Option<Duration>,
    pub(crate) user_agent: String,
    pub(crate) retry: RetryPolicy,
    pub(crate) wait: WaitOptions,
    pub(crate) allow_insecure_http: bool,
    pub(crate) max_image_bytes: u64,
    pub(crate) max_json_bytes: u64,
    pub(crate) history_base_url: Option<String>,
    pub(crate) storage_base_url: Option<String>,
    pub(crate) pacer: Option<Pacer>,
    pub(crate) http: Option<HttpBuilder>,
    pub(crate) inline_images: bool,
}

/// Where the client's HTTP clients start from, when not reqwest's defaults.
#[derive(Clone)]
pub(crate) struct HttpBuilder(Arc<dyn Fn() -> reqwest::ClientBuilder + Send + Sync>);

impl HttpBuilder {
    pub(crate) fn make(&self) -> reqwest::ClientBuilder {
        (self.0)()
    }
}

impl fmt::Debug for HttpBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HttpBuilder(custom)")
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            api_key: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
            // A sync generation takes 10–25 s; leave room for slow ones.
            timeout: Some(Duration::from_secs(120)),
            connect_timeout: Some(Duration::from_secs(10)),
            pool_idle_timeout: Some(Duration::from_secs(90)),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            retry: RetryPolicy::default(),
            wait: WaitOptions::default(),
            allow_insecure_http: false,
            max_image_bytes: DEFAULT_MAX_IMAGE_BYTES,
            max_json_bytes: DEFAULT_MAX_JSON_BYTES,
            history_base_url: None,
            storage_base_url: None,
            pacer: None,
            http: None,
            inline_images: false,
        }
    }
}

impl ClientBuilder {
    /// Default settings and no key.
    pub fn new() -> Self {
        Self::default()
    }

    /// The API key, sent as `x-api-key`.
    pub fn api_key(mut self, key: impl Into<ApiKey>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The key from `SEGMIND_API_KEY`, if it is set.
    pub fn api_key_from_env(mut self) -> Self {
        if let Ok(key) = std::env::var(API_KEY_ENV) {
            self.api_key = Some(ApiKey::new(key));
        }
        self
    }

    /// Where the API lives (default `https://api.segmind.com`). Paths
    /// (`/v1/…`, `/v2/…`) are appended to it, after any path it has.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The limit on one HTTP attempt, from connecting to the last byte of
    /// the body (default 120 s); `None` for none. A wait's deadline can
    /// shorten it: a poll never runs past the deadline of
    /// [`Job::wait`](crate::Job::wait).
    ///
    /// Under tokio's paused test clock, pending timers fire while the client
    /// waits on a real socket, so tests with a paused clock want `None` here,
    /// in [`connect_timeout`](Self::connect_timeout) and in
    /// [`pool_idle_timeout`](Self::pool_idle_timeout).
    pub fn timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.timeout = timeout.into();
        self
    }

    /// The limit on opening a connection (default 10 s); `None` for none.
    pub fn connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.connect_timeout = timeout.into();
        self
    }

    /// How long an idle connection is kept for reuse (default 90 s); `None`
    /// keeps it until the server closes it.
    pub fn pool_idle_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.pool_idle_timeout = timeout.into();
        self
    }

    /// The `User-Agent` (default `segmind-ideogram-rs/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// When and how to retry (default: 3 attempts, see [`RetryPolicy`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// How [`Client::generate`](crate::Client::generate) and
    /// [`Job::wait`](crate::Job::wait) wait for a queued job (default:
    /// adaptive polling for up to 600 s).
    pub fn wait_options(mut self, options: WaitOptions) -> Self {
        self.wait = options;
        self
    }

    /// The largest image body read (default 64 MiB): a v1 answer or an
    /// output download from any host. A longer one is
    /// [`Error::BodyTooLarge`], and reading stops at the cap.
    pub fn max_image_bytes(mut self, bytes: u64) -> Self {
        self.max_image_bytes = bytes;
        self
    }

    /// The largest JSON answer read (default 4 MiB): job documents and the
    /// like. A longer one is [`Error::BodyTooLarge`].
    pub fn max_json_bytes(mut self, bytes: u64) -> Self {
        self.max_json_bytes = bytes;
        self
    }

    /// Where Segmind's request history lives. By default the host the spec
    /// names when the base URL is Segmind's, and the base URL itself
    /// otherwise (so a mock or a proxy serves it too).
    pub fn history_base_url(mut self, url: impl Into<String>) -> Self {
        self.history_base_url = Some(url.into());
        self
    }

    /// Where Segmind's storage (uploads of local images) lives; defaults as
    /// [`history_base_url`](Self::history_base_url) does.
    pub fn storage_base_url(mut self, url: impl Into<String>) -> Self {
        self.storage_base_url = Some(url.into());
        self
    }

    /// How a request's local images ([`ImageInput::file`] and
    /// [`ImageInput::bytes`]) are sent: uploaded to Segmind's storage first
    /// and sent as URLs (`false`, the default, and the route Segmind
    /// documents), or inlined in the request as `data:` URIs (`true`: one
    /// request instead of two, but Segmind does not document that these
    /// endpoints take them, and the request body grows by the image).
    ///
    /// [`ImageInput::file`]: crate::ImageInput::file
    /// [`ImageInput::bytes`]: crate::ImageInput::bytes
    pub fn inline_images(mut self, inline: bool) -> Self {
        self.inline_images = inline;
        self
    }

    /// Paces submissions (v1 calls and v2 submits) with `pacer`, shared by
    /// every client built with it; stopping it interrupts the clients'
    /// waits. Without one, a 429 is waited out per call as the
    /// [`RetryPolicy`] allows.
    pub fn pacer(mut self, pacer: Pacer) -> Self {
        self.pacer = Some(pacer);
        self
    }

    /// Builds the client's HTTP clients from `make` instead of reqwest's
    /// defaults: for custom root certificates, a proxy, or connector
    /// middleware (`connector_layer`). `make` is called for each HTTP client
    /// the client needs (one that sends the key, one for downloads).
    ///
    /// The client then sets, on top of what `make` returns, the redirect
    /// policy, the user agent and the timeouts: the key is only ever sent
    /// to the origin of the request that carries it, whatever `make` does.
    /// (A ready-made `reqwest::Client` cannot be taken: one that follows a
    /// redirect to another host would take the key along.)
    ///
    /// ```
    /// use segmind_ideogram::Client;
    ///
    /// let client = Client::builder()
    ///     .api_key("k")
    ///     .http_client_builder(|| reqwest::Client::builder().https_only(true))
    ///     .build()?;
    /// # Ok::<(), segmind_ideogram::Error>(())
    /// ```
    pub fn http_client_builder(
        mut self,
        make: impl Fn() -> reqwest::ClientBuilder + Send + Sync + 'static,
    ) -> Self {
        self.http = Some(HttpBuilder(Arc::new(make)));
        self
    }

    /// Allows a plain `http://` base URL to a host that is not loopback,
    /// which sends the API key in clear text. Loopback hosts (`127.0.0.0/8`,
    /// `::1`, `localhost`) are always allowed.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// The base URL, checked: http(s), no credentials, query or fragment,
    /// and not clear text to a remote host unless allowed.
    pub(crate) fn checked_base_url(&self) -> Result<Url, Error> {
        self.check_url(&self.base_url)
    }

    /// The base URL of an operation the spec puts on another server
    /// (`server`): the one set for it, else that server when the base URL
    /// is Segmind's, else the base URL. Checked like the base URL.
    pub(crate) fn checked_host_url(
        &self,
        configured: Option<&str>,
        server: Option<&str>,
    ) -> Result<Url, Error> {
        let is_segmind = self.base_url.trim().trim_end_matches('/') == DEFAULT_BASE_URL;
        let chosen = match (configured, server) {
            (Some(url), _) => url,
            (None, Some(server)) if is_segmind => server,
            _ => self.base_url.as_str(),
        };
        self.check_url(chosen)
    }

    fn check_url(&self, given: &str) -> Result<Url, Error> {
        let mut url = Url::parse(given.trim())
            .map_err(|e| Error::Config(format!("invalid base URL {given:?}: {e}")))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::Config(
                "the base URL must not hold credentials".into(),
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::Config(
                "the base URL must not have a query or fragment".into(),
            ));
        }
        match url.scheme() {
            "https" => {}
            "http" if self.allow_insecure_http || is_loopback(&url) => {}
            "http" => {
                return Err(Error::InsecureBaseUrl {
                    url: url.to_string(),
                });
            }
            other => {
                return Err(Error::Config(format!(
                    "unsupported base URL scheme `{other}`"
                )));
            }
        }
        // Paths are appended segment by segment: drop a trailing slash.
        if url.path().ends_with('/') {
            let trimmed = url.path().trim_end_matches('/').to_owned();
            url.set_path(&trimmed);
        }
        Ok(url)
    }
}

/// Whether `url` points at this machine.
pub(crate) fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str, allow: bool) -> Result<Url, Error> {
        ClientBuilder::new()
            .base_url(url)
            .allow_insecure_http(allow)
            .checked_base_url()
    }

    #[test]
    fn only_this_machine_is_loopback() {
        for (url, local) in [
            ("http://127.0.0.1:8080/v2/x", true),
            ("http://127.8.9.10/v2/x", true),
            ("http://[::1]:9/v2/x", true),
            ("http://LOCALHOST:9/v2/x", true),
            ("https://api.segmind.com/v2/x", false),
            ("http://10.0.0.1/v2/x", false),
            ("http://localhost.example.com/v2/x", false),
        ] {
            assert_eq!(is_loopback(&url.parse().unwrap()), local, "{url}");
        }
    }

    #[test]
    fn clear_text_only_to_loopback_unless_allowed() {
        for ok in [
            "https://api.segmind.com",
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://[::1]:9000/",
            "http://localhost:3000/proxy/",
        ] {
            assert!(check(ok, false).is_ok(), "{ok}");
        }
        for remote in [
            "http://api.segmind.com",
            "http://10.0.0.1",
            "http://localhost.evil.com",
        ] {
            assert!(
                matches!(check(remote, false), Err(Error::InsecureBaseUrl { .. })),
                "{remote}"
            );
            assert!(check(remote, true).is_ok(), "{remote}");
        }
        for bad in ["ftp://x", "not a url", "https://u:p@x", "https://x/?a=1"] {
            assert!(matches!(check(bad, true), Err(Error::Config(_))), "{bad}");
        }
    }

    #[test]
    fn trailing_slashes_go() {
        assert_eq!(
            check("http://localhost:3000/proxy/", false).unwrap().path(),
            "/proxy"
        );
        assert_eq!(
            check("https://api.segmind.com/", false).unwrap().path(),
            "/"
        );
    }

    #[test]
    fn user_agent_names_the_crate() {
        assert!(DEFAULT_USER_AGENT.starts_with("segmind-ideogram-rs/"));
        assert!(DEFAULT_USER_AGENT.ends_with(env!("CARGO_PKG_VERSION")));
    }
}
