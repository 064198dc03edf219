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

/// The process's listeners for Ctrl-C and SIGTERM, made by [`listen`]
/// before the command prints or sends anything: a signal that came before
/// tokio's handler would end the process with no word (143, or killed by
/// SIGINT), and one that came before a listener would be missed.
#[cfg(unix)]
static LISTENERS: Mutex<Option<Listeners>> = Mutex::new(None);

#[cfg(unix)]
struct Listeners {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Listeners {
    fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }
}

/// Takes over Ctrl-C and SIGTERM from now on, for [`interrupted`] to
/// report. Called first thing inside the runtime by a command that stops
/// on them.
pub fn listen() {
    #[cfg(unix)]
    if let (Ok(listeners), Ok(mut slot)) = (Listeners::new(), LISTENERS.lock()) {
        *slot = Some(listeners);
    }
}

/// Ctrl-C, or SIGTERM where there is one, since [`listen`] (or, without
/// it, since the first poll).
pub async fn interrupted() {
    #[cfg(unix)]
    {
        let taken = LISTENERS.lock().ok().and_then(|mut slot| slot.take());
        let Some(mut listeners) = taken.or_else(|| Listeners::new().ok()) else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = listeners.interrupt.recv() => {}
            _ = listeners.terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
