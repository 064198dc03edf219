//! Accepting connections and serving HTTP/1 on them, with a deadline for
//! each request head: a client that connects and trickles bytes (a
//! slowloris) is disconnected instead of holding a connection for ever.
//! `axum::serve` offers no such setting, so the loop is hyper's own.

use std::io;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::clock;

/// Pause after an accept error that is not about one connection (out of
/// file descriptors, say), instead of spinning on it.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves `app` until `stop` fires (or its sender is dropped), then lets
/// the open connections finish their current exchange.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    header_read_timeout: Option<Duration>,
    mut stop: oneshot::Receiver<()>,
) -> io::Result<()> {
    let mut http = http1::Builder::new();
    // hyper adds the timeout to the clock unchecked: keep it in range.
    http.timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout.map(|t| t.min(clock::LONGEST_TIMEOUT)));
    let graceful = GracefulShutdown::new();
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) if is_connection_error(&e) => continue,
                Err(_) => {
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        // Small JSON answers go out at once instead of waiting for an ACK.
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // A failed connection (a timeout, a reset, a cut body) concerns
            // only its client.
            let _ = connection.await;
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}
