//! The client the command talks through: Segmind with the user's key, or an
//! embedded mock server with `--mock`.

use std::path::PathBuf;
use std::time::Duration;

use segmind_ideogram::{API_KEY_ENV, Client, DEFAULT_BASE_URL};
use segmind_ideogram_mock::MockServer;

use crate::failure::Failure;

/// Where to connect, from the common flags.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub mock: bool,
    pub base_url: Option<String>,
    pub api_key_file: Option<PathBuf>,
    pub timeout: Option<Duration>,
}

impl Target {
    pub fn from_matches(m: &clap::ArgMatches) -> Self {
        Self {
            mock: m.get_flag("mock"),
            base_url: m.get_one::<String>("base-url").cloned(),
            api_key_file: m.get_one::<PathBuf>("api-key-file").cloned(),
            timeout: m.get_one::<Duration>("request-timeout").copied(),
        }
    }
}

/// A connected client, and the mock it talks to when there is one (kept
/// alive for as long as the client is used).
pub struct Connection {
    pub client: Client,
    pub _mock: Option<MockServer>,
}

pub async fn connect(target: &Target) -> Result<Connection, Failure> {
    let mut waits = None;
    let (base_url, key, mock) = if target.mock {
        let server = MockServer::builder()
            .api_key("mock-key")
            .start()
            .await
            .map_err(|e| Failure::input(format!("cannot start the mock server: {e}")))?;
        // Poll the embedded mock on its own clock, not a real job's.
        waits = Some(server.wait_options());
        (
            server.base_url().to_owned(),
            "mock-key".to_owned(),
            Some(server),
        )
    } else {
        let base = target
            .base_url
            .clone()
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
        (base, api_key(target)?, None)
    };
    let mut builder = Client::builder().api_key(key).base_url(base_url);
    if let Some(timeout) = target.timeout {
        builder = builder.timeout(timeout);
    }
    if let Some(waits) = waits {
        builder = builder.wait_options(waits);
    }
    Ok(Connection {
        client: builder.build()?,
        _mock: mock,
    })
}

/// The key from `--api-key-file`, else `SEGMIND_API_KEY`.
fn api_key(target: &Target) -> Result<String, Failure> {
    if let Some(path) = &target.api_key_file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Failure::input(format!(
                "cannot read the API key file {}: {e}",
                path.display()
            ))
        })?;
        let key = text.trim();
        if key.is_empty() {
            return Err(Failure::input(format!(
                "the API key file {} is empty",
                path.display()
            )));
        }
        return Ok(key.to_owned());
    }
    match std::env::var(API_KEY_ENV) {
        Ok(key) if !key.trim().is_empty() => Ok(key.trim().to_owned()),
        _ => Err(Failure::input(format!(
            "no API key: set {API_KEY_ENV}, pass --api-key-file FILE, or use --mock to run offline"
        ))),
    }
}
