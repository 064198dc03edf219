//! Every way the command can fail, each with its own exit code, reported as
//! one line on stderr. The API key never appears: client errors are already
//! scrubbed of it, and nothing here prints configuration.

use std::fmt;

use segmind_ideogram::Error;

/// Exit codes, documented in `ideogram --help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Bad flags, an invalid request, an unreadable input file.
    InvalidInput = 2,
    /// Segmind (or the mock) answered with an error, or a job failed.
    Api = 3,
    /// The connection failed.
    Network = 4,
    /// A job did not finish in time.
    Timeout = 5,
    /// A batch finished with lines not done.
    BatchFailures = 6,
    /// Stopped by a budget (`--max-spend`) or the credit check.
    Budget = 7,
    /// Interrupted (Ctrl-C or SIGTERM); a rerun resumes.
    Interrupted = 130,
}

/// A failure: the one line to print and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub message: String,
}

impl Failure {
    pub fn input(message: impl Into<String>) -> Self {
        Self {
            exit: Exit::InvalidInput,
            message: message.into(),
        }
    }

    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One line, whatever the source said.
        let line = self.message.replace(['\n', '\r'], " ");
        f.write_str(line.trim())
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let message = match &error {
            // The library names its setting; the command line has a flag.
            Error::InsecureBaseUrl { url } => format!(
                "refusing to send the API key in clear text to {url}; use https, or pass --allow-insecure-http"
            ),
            _ => error.to_string(),
        };
        Self::new(exit_for(&error), message)
    }
}

/// Which exit code a client error maps to.
pub fn exit_for(error: &Error) -> Exit {
    match error {
        Error::InvalidRequest(_)
        | Error::ImageInput(_)
        | Error::InsecureBaseUrl { .. }
        | Error::Config(_)
        | Error::Io { .. } => Exit::InvalidInput,
        Error::PollTimeout { .. } => Exit::Timeout,
        _ if error.is_timeout() => Exit::Timeout,
        Error::Transport(_) | Error::Connect(_) => Exit::Network,
        // Error statuses, failed and expired jobs, undecodable answers.
        _ => Exit::Api,
    }
}
