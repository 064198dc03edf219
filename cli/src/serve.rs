//! `ideogram mock serve`: the mock server as a standalone process.

use std::time::Duration;

use clap::ArgMatches;
use segmind_ideogram_mock::MockServer;

use crate::failure::Failure;

pub async fn run(m: &ArgMatches) -> Result<(), Failure> {
    let ms = |name: &str| Duration::from_millis(m.get_one::<u64>(name).copied().unwrap_or(0));
    let mut builder = MockServer::builder()
        .port(m.get_one::<u16>("port").copied().unwrap_or(0))
        .job_latency(ms("queued-ms"), ms("processing-ms"));
    if let Some(key) = m.get_one::<String>("api-key") {
        builder = builder.api_key(key);
    }
    if let Some(limit) = m.get_one::<u32>("rate-limit") {
        builder = builder.rate_limit(*limit, ms("rate-window-ms"));
    }
    if let Some(rate) = m.get_one::<f64>("error-rate") {
        builder = builder.server_error_rate(*rate);
    }
    if let Some(rate) = m.get_one::<f64>("drop-rate") {
        builder = builder.drop_rate(*rate);
    }
    if m.get_one::<u64>("latency-ms").is_some() {
        builder = builder.added_latency(ms("latency-ms"));
    }
    if let Some(word) = m.get_one::<String>("fail-word") {
        builder = builder.fail_word(word);
    }
    if let Some(seed) = m.get_one::<u64>("seed") {
        builder = builder.seed(*seed);
    }
    let server = builder
        .start()
        .await
        .map_err(|e| Failure::input(format!("cannot start the mock server: {e}")))?;
    println!("{}", server.base_url());
    eprintln!(
        "mock Segmind listening on {} (Python SDK base_url: {}); Ctrl-C stops it",
        server.base_url(),
        server.v1_url()
    );
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        result = server.wait() => {
            result.map_err(|e| Failure::input(format!("mock server stopped: {e}")))?;
        }
    }
    Ok(())
}
