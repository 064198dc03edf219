//! Every way the command can fail, each with its own exit code, reported as
//! one line on stderr. The API key never appears: client errors are already
//! scrubbed of it, and nothing here prints configuration.

use std::fmt;

use segmind_ideogram::{Billing, Delivery, Error, Retry};

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

impl Exit {
    /// The process's exit status.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// What the code means, in `--help` and the man pages.
    pub const fn meaning(self) -> &'static str {
        match self {
            Exit::InvalidInput => "invalid input",
            Exit::Api => "API error or failed job",
            Exit::Network => "network error",
            Exit::Timeout => "timeout",
            Exit::BatchFailures => "batch finished with lines not done",
            Exit::Budget => "stopped by a budget or the credit check",
            Exit::Interrupted => "interrupted (Ctrl-C or SIGTERM)",
        }
    }
}

/// The `Exit codes: …` line of a command's help, for the codes it may end
/// with (0, success, always).
pub fn exit_codes_help(codes: &[Exit]) -> String {
    let mut parts = vec!["0 success".to_owned()];
    parts.extend(
        codes
            .iter()
            .map(|c| format!("{} {}", c.code(), c.meaning())),
    );
    format!("Exit codes: {}.", parts.join(", "))
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
        let message = match money_advice(&error) {
            Some(advice) => format!("{message}; {advice}"),
            None => message,
        };
        Self::new(exit_for(&error), message)
    }
}

/// What to do about the money at stake, from the client's classification
/// of the error: how to fetch a paid image, or what to check before
/// sending a request that may have been billed.
fn money_advice(error: &Error) -> Option<String> {
    match (error, error.outcome().billing()) {
        (
            Error::AfterPayment {
                request_id: Some(id),
                ..
            },
            _,
        ) => Some(format!(
            "`ideogram jobs wait {id} --out FILE` fetches its image (do not submit it again)"
        )),
        (_, Billing::Unknown) => Some(
            "Segmind may have done, and billed, this request: look for it in your request history before sending it again"
                .to_owned(),
        ),
        _ => None,
    }
}

/// Which exit code a client error maps to, from the client's
/// classification: nothing sent and nothing to retry is the input's fault
/// (an invalid request or value, a setting, an unreadable file); nothing
/// answered is the network's; an answer is Segmind's.
pub fn exit_for(error: &Error) -> Exit {
    match error {
        Error::Interrupted => Exit::Interrupted,
        // The generation was not sent; the upload's own failure decides.
        Error::Upload(upload) => exit_for(upload),
        _ if error.is_timeout() => Exit::Timeout,
        _ => {
            let outcome = error.outcome();
            match (outcome.delivery(), outcome.retry()) {
                (Delivery::NotSent, Retry::Never) | (Delivery::Local, _) => Exit::InvalidInput,
                (Delivery::NotSent | Delivery::MaybeSent, _) => Exit::Network,
                // Error statuses, failed and expired jobs, undecodable answers.
                _ => Exit::Api,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use segmind_ideogram::{ApiErrorKind, OperationKind};

    fn answered(operation: OperationKind, status: u16) -> Error {
        Error::Api {
            kind: ApiErrorKind::from_status(status),
            status,
            operation,
            message: "m".into(),
            body: String::new(),
            retry_after: None,
        }
    }

    #[test]
    fn exit_codes_and_advice_follow_the_classification() {
        let refused = Failure::from(answered(OperationKind::Submit, 402));
        assert_eq!(refused.exit, Exit::Api);
        assert!(!refused.message.contains("billed"), "{}", refused.message);

        let unknown = Failure::from(answered(OperationKind::Submit, 502));
        assert_eq!(unknown.exit, Exit::Api);
        assert!(
            unknown.message.contains("may have done, and billed"),
            "{}",
            unknown.message
        );
        // A read answered 502 bills nothing: no advice.
        let read = Failure::from(answered(OperationKind::JobStatus, 502));
        assert!(!read.message.contains("billed"), "{}", read.message);

        let paid = Failure::from(Error::AfterPayment {
            request_id: Some("47411f110c6fa4fe05dcb9ffed2c1962".into()),
            output_url: None,
            source: Box::new(answered(OperationKind::JobResult, 500)),
        });
        assert_eq!(paid.exit, Exit::Api);
        assert!(
            paid.message
                .contains("`ideogram jobs wait 47411f110c6fa4fe05dcb9ffed2c1962 --out FILE`"),
            "{}",
            paid.message
        );
        let bad_id = Failure::from(Error::InvalidJobId {
            id: "a/b".into(),
            reason: "it contains `/`",
        });
        assert_eq!(bad_id.exit, Exit::InvalidInput);
        let io = Error::Io {
            path: None,
            source: std::io::Error::other("disk full"),
        };
        assert_eq!(exit_for(&io), Exit::InvalidInput);
        assert_eq!(
            exit_for(&Error::Config("no key".into())),
            Exit::InvalidInput
        );
    }
}
