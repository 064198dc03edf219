//! The client the command talks through: Segmind with the user's key, or an
//! embedded mock server with `--mock`.

use segmind_ideogram::{API_KEY_ENV, Client, ClientBuilder, DEFAULT_BASE_URL};
use segmind_ideogram_mock::MockServer;

use crate::args::ConnectionArgs;
use crate::failure::Failure;

/// A connected client, and the mock it talks to when there is one (kept
/// alive for as long as the client is used).
pub struct Connection {
    pub client: Client,
    pub _mock: Option<MockServer>,
}

pub async fn connect(args: &ConnectionArgs) -> Result<Connection, Failure> {
    connect_with(args, |builder| builder).await
}

/// [`connect`], with more settings on the client.
pub async fn connect_with(
    args: &ConnectionArgs,
    settings: impl FnOnce(ClientBuilder) -> ClientBuilder,
) -> Result<Connection, Failure> {
    let mut builder = Client::builder();
    let mock = if args.mock {
        let server = MockServer::builder()
            .api_key("mock-key")
            .seed(crate::serve::fresh_seed())
            .start()
            .await
            .map_err(|e| Failure::input(format!("cannot start the mock server: {e}")))?;
        // Poll the embedded mock on its own clock, not a real job's.
        builder = builder
            .api_key("mock-key")
            .base_url(server.base_url())
            .wait_options(server.wait_options());
        Some(server)
    } else {
        let base = args
            .base_url
            .clone()
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
        builder = builder.api_key(api_key(args)?).base_url(base);
        None
    };
    if let Some(timeout) = args.request_timeout {
        builder = builder.timeout(timeout);
    }
    builder = builder.allow_insecure_http(args.allow_insecure_http);
    Ok(Connection {
        client: settings(builder).build()?,
        _mock: mock,
    })
}

/// The key from `--api-key-file`, else `SEGMIND_API_KEY`.
fn api_key(args: &ConnectionArgs) -> Result<String, Failure> {
    if let Some(path) = &args.api_key_file {
        // A key is a line; a file of megabytes is not a key file.
        let text = std::fs::File::open(path)
            .and_then(|file| crate::paths::read_text(file, 4096))
            .map_err(|e| {
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
