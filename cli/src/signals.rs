//! Ctrl-C and SIGTERM, one meaning for both: the command stops, says what
//! happened to the money, and exits 130. A batch ends its own waits on
//! them; a single command is dropped at its next await, and the note it
//! left says where it was (nothing sent, a submission in flight, a job to
//! fetch by id).

use std::future::Future;
use std::sync::Mutex;

use crate::failure::{Exit, Failure};

/// What an interruption means right now, set as the command goes.
static NOTE: Mutex<Option<String>> = Mutex::new(None);

/// Says what an interruption from now on leaves behind.
pub fn note(text: impl Into<String>) {
    if let Ok(mut note) = NOTE.lock() {
        *note = Some(text.into());
    }
}

/// Runs `work` until it ends or the process is asked to stop; stopped, it
/// fails with exit code 130 and the last [`note`].
pub async fn stoppable(work: impl Future<Output = Result<(), Failure>>) -> Result<(), Failure> {
    tokio::select! {
        result = work => result,
        () = interrupted() => {
            let note = NOTE
                .lock()
                .ok()
                .and_then(|note| note.clone())
                .unwrap_or_else(|| "nothing was sent".to_owned());
            Err(Failure::new(Exit::Interrupted, format!("interrupted: {note}")))
        }
    }
}

/// Ctrl-C, or SIGTERM where there is one.
pub async fn interrupted() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
