//! One key's state, and the one function that moves it: [`apply`]. The
//! live run and the replay of the records both go through it, so a
//! restarted process knows exactly what the dead one knew.

use serde_json::Value;

use crate::event::{At, Event};
use crate::usd::Usd;

/// Where a key's request stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Nothing pending: never submitted, or its last attempt certainly
    /// did not reach Segmind, or its job failed (not billed), or its
    /// attempt was abandoned. It may be submitted.
    Fresh,
    /// An intent, and no attempt sent: nothing can be billed yet.
    Intended {
        /// The endpoint's slug.
        endpoint: String,
        /// The JSON body as sent.
        body: Value,
        /// What the submission may cost, held against the budget.
        reserved: Usd,
    },
    /// An attempt was being sent with no answer recorded: Segmind may have
    /// the job. In a live run the POST may still be in flight; after a
    /// crash only the request history can tell.
    Sending {
        /// The endpoint's slug.
        endpoint: String,
        /// The JSON body as sent.
        body: Value,
        /// What the submission may cost, held against the budget.
        reserved: Usd,
        /// When its first attempt was sent: its job cannot be older.
        first_sent: At,
        /// When its last attempt was sent.
        last_sent: At,
        /// When the last attempt was given up (`None`: unbounded).
        until: Option<At>,
    },
    /// The submission ended without a job id and may have reached Segmind.
    Uncertain {
        /// The endpoint's slug.
        endpoint: String,
        /// The JSON body as sent.
        body: Value,
        /// What the submission may cost, held against the budget.
        reserved: Usd,
        /// When its first attempt was sent: its job is not older.
        first_sent: At,
        /// The last moment it could have reached Segmind.
        reach_by: At,
        /// Why.
        reason: String,
    },
    /// Segmind has the job: follow it, never submit again.
    Accepted {
        /// The endpoint's slug.
        endpoint: String,
        /// What the submission may cost, held against the budget.
        reserved: Usd,
        /// Segmind's id of the job.
        job_id: String,
    },
    /// Its image is stored.
    Done {
        /// The endpoint's slug.
        endpoint: String,
        /// Segmind's id of the job.
        job_id: String,
        /// What the job cost.
        cost: Usd,
        /// Whether the cost is Segmind's figure.
        reported: bool,
        /// Where its image is.
        file: String,
        /// Where Segmind serves the output.
        output_url: Option<String>,
    },
    /// Billed, and its image can no longer be fetched.
    Lost {
        /// The endpoint's slug.
        endpoint: String,
        /// Segmind's id of the job.
        job_id: String,
        /// What the job cost.
        cost: Usd,
        /// What went wrong.
        error: String,
    },
}

/// A key's state: its phase and the money its earlier attempts spent.
#[derive(Debug, Clone, PartialEq)]
pub struct LineState {
    /// Where its request stands.
    pub phase: Phase,
    /// Reservations of attempts given up on ([`Event::Abandoned`]): they
    /// may have been billed, so they count as spent.
    pub abandoned: Usd,
    /// Why the last attempt or job did not end well, for reports.
    pub last_error: Option<String>,
}

impl Default for LineState {
    fn default() -> Self {
        Self {
            phase: Phase::Fresh,
            abandoned: Usd::ZERO,
            last_error: None,
        }
    }
}

impl LineState {
    /// Money this key has spent: given-up attempts, and its job's cost
    /// once it is done or lost.
    pub fn spent(&self) -> Usd {
        let finished = match &self.phase {
            Phase::Done { cost, .. } | Phase::Lost { cost, .. } => *cost,
            _ => Usd::ZERO,
        };
        self.abandoned + finished
    }

    /// Money held for an attempt or a job not yet ended.
    pub fn reserved(&self) -> Usd {
        match &self.phase {
            Phase::Intended { reserved, .. }
            | Phase::Sending { reserved, .. }
            | Phase::Uncertain { reserved, .. }
            | Phase::Accepted { reserved, .. } => *reserved,
            _ => Usd::ZERO,
        }
    }

    /// The endpoint of its current or last request, when known.
    pub fn endpoint(&self) -> Option<&str> {
        match &self.phase {
            Phase::Fresh => None,
            Phase::Intended { endpoint, .. }
            | Phase::Sending { endpoint, .. }
            | Phase::Uncertain { endpoint, .. }
            | Phase::Accepted { endpoint, .. }
            | Phase::Done { endpoint, .. }
            | Phase::Lost { endpoint, .. } => Some(endpoint),
        }
    }

    /// Whether an attempt or a job holds money for this key: the budget's
    /// in-flight count.
    pub fn in_flight(&self) -> bool {
        matches!(
            self.phase,
            Phase::Intended { .. }
                | Phase::Sending { .. }
                | Phase::Uncertain { .. }
                | Phase::Accepted { .. }
        )
    }

    /// Whether a submission may have reached Segmind with no job id known:
    /// only the request history can tell.
    pub fn is_dangling(&self) -> bool {
        matches!(self.phase, Phase::Sending { .. } | Phase::Uncertain { .. })
    }

    /// The job it follows or followed.
    pub fn job_id(&self) -> Option<&str> {
        match &self.phase {
            Phase::Accepted { job_id, .. }
            | Phase::Done { job_id, .. }
            | Phase::Lost { job_id, .. } => Some(job_id),
            _ => None,
        }
    }
}

/// Why an event cannot happen to a key in its state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{event} is not possible for a request that is {phase}")]
pub struct Refusal {
    /// The event's record name.
    pub event: &'static str,
    /// The state's description.
    pub phase: &'static str,
}

/// The record name of `event`.
pub fn event_name(event: &Event) -> &'static str {
    match event {
        Event::Intent { .. } => "intent",
        Event::Sending { .. } => "sending",
        Event::Accepted { .. } => "accepted",
        Event::NotSent { .. } => "not_sent",
        Event::Uncertain { .. } => "uncertain",
        Event::Abandoned { .. } => "abandoned",
        Event::JobFailed { .. } => "job_failed",
        Event::Done { .. } => "done",
        Event::Lost { .. } => "lost",
        Event::Trouble { .. } => "trouble",
        Event::Moved { .. } => "moved",
    }
}

/// A short description of `phase`.
pub fn phase_name(phase: &Phase) -> &'static str {
    match phase {
        Phase::Fresh => "not submitted",
        Phase::Intended { .. } => "about to be submitted",
        Phase::Sending { .. } => "being sent",
        Phase::Uncertain { .. } => "sent without an answer",
        Phase::Accepted { .. } => "a job Segmind has",
        Phase::Done { .. } => "done",
        Phase::Lost { .. } => "lost",
    }
}

/// Moves `state` by `event`, or says why it cannot: a refused event
/// changes nothing. Every transition the ledger knows is here; the rule
/// that matters most for money: while an attempt may have reached Segmind
/// (sending, uncertain) or Segmind has its job, no new intent is possible,
/// so a request is never submitted twice while an attempt is unresolved.
pub fn apply(state: &mut LineState, event: &Event) -> Result<(), Refusal> {
    let refuse = |state: &LineState| Refusal {
        event: event_name(event),
        phase: phase_name(&state.phase),
    };
    let same_job = |job: &str| state.job_id() == Some(job);
    let next = match (&state.phase, event) {
        (
            Phase::Fresh | Phase::Intended { .. },
            Event::Intent {
                endpoint,
                body,
                reserved,
                ..
            },
        ) => Phase::Intended {
            endpoint: endpoint.clone(),
            body: body.clone(),
            reserved: *reserved,
        },
        (
            Phase::Intended {
                endpoint,
                body,
                reserved,
            },
            Event::Sending { at, until, .. },
        ) => Phase::Sending {
            endpoint: endpoint.clone(),
            body: body.clone(),
            reserved: *reserved,
            first_sent: *at,
            last_sent: *at,
            until: *until,
        },
        // Another attempt of the same POST (after a refused connection or
        // a 429, which certainly created no job).
        (
            Phase::Sending {
                endpoint,
                body,
                reserved,
                first_sent,
                ..
            },
            Event::Sending { at, until, .. },
        ) => Phase::Sending {
            endpoint: endpoint.clone(),
            body: body.clone(),
            reserved: *reserved,
            first_sent: *first_sent.min(at),
            last_sent: *at,
            until: *until,
        },
        (
            Phase::Sending {
                endpoint,
                body,
                reserved,
                first_sent,
                ..
            },
            Event::Uncertain { reason, at, .. },
        ) => Phase::Uncertain {
            endpoint: endpoint.clone(),
            body: body.clone(),
            reserved: *reserved,
            first_sent: *first_sent,
            reach_by: *at,
            reason: reason.clone(),
        },
        (
            Phase::Uncertain {
                endpoint,
                body,
                reserved,
                first_sent,
                reach_by,
                ..
            },
            Event::Uncertain { reason, at, .. },
        ) => Phase::Uncertain {
            endpoint: endpoint.clone(),
            body: body.clone(),
            reserved: *reserved,
            first_sent: *first_sent,
            reach_by: *reach_by.max(at),
            reason: reason.clone(),
        },
        (
            Phase::Sending {
                endpoint, reserved, ..
            }
            | Phase::Uncertain {
                endpoint, reserved, ..
            },
            Event::Accepted { job_id, .. },
        ) => Phase::Accepted {
            endpoint: endpoint.clone(),
            reserved: *reserved,
            job_id: job_id.clone(),
        },
        (Phase::Accepted { .. }, Event::Accepted { job_id, .. }) if same_job(job_id) => {
            return Ok(());
        }
        (
            Phase::Intended { .. } | Phase::Sending { .. } | Phase::Uncertain { .. },
            Event::NotSent { reason, .. },
        ) => {
            state.last_error = Some(reason.clone());
            Phase::Fresh
        }
        (
            Phase::Sending { reserved, .. } | Phase::Uncertain { reserved, .. },
            Event::Abandoned { reason, .. },
        ) => {
            state.abandoned += *reserved;
            state.last_error = Some(reason.clone());
            Phase::Fresh
        }
        (Phase::Accepted { .. }, Event::JobFailed { job_id, error, .. }) if same_job(job_id) => {
            state.last_error = Some(error.clone());
            Phase::Fresh
        }
        // A refetch of a done job (its file went missing), and a lost job
        // whose image turned up after all.
        (
            Phase::Accepted { endpoint, .. }
            | Phase::Done { endpoint, .. }
            | Phase::Lost { endpoint, .. },
            Event::Done {
                job_id,
                cost,
                reported,
                file,
                output_url,
                ..
            },
        ) if same_job(job_id) => Phase::Done {
            endpoint: endpoint.clone(),
            job_id: job_id.clone(),
            cost: *cost,
            reported: *reported,
            file: file.clone(),
            output_url: output_url.clone(),
        },
        (
            Phase::Accepted { endpoint, .. },
            Event::Lost {
                job_id,
                error,
                cost,
                ..
            },
        ) if same_job(job_id) => Phase::Lost {
            endpoint: endpoint.clone(),
            job_id: job_id.clone(),
            cost: *cost,
            error: error.clone(),
        },
        (Phase::Accepted { .. } | Phase::Done { .. }, Event::Trouble { job_id, error, .. })
            if same_job(job_id) =>
        {
            state.last_error = Some(error.clone());
            return Ok(());
        }
        (Phase::Done { .. }, Event::Moved { file, .. }) => {
            if let Phase::Done { file: current, .. } = &mut state.phase {
                current.clone_from(file);
            }
            return Ok(());
        }
        _ => return Err(refuse(state)),
    };
    state.phase = next;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{Fingerprint, Key};
    use serde_json::json;

    fn key() -> Key {
        Key::new("a", Fingerprint::from_recorded("f"))
    }

    fn intent(reserved: u64) -> Event {
        Event::Intent {
            key: key(),
            endpoint: "ideogram-txt-2-img".into(),
            body: json!({"prompt": "x"}),
            reserved: Usd::from_micros(reserved),
            at: At(1),
        }
    }

    fn sending(at: u64) -> Event {
        Event::Sending {
            key: key(),
            at: At(at),
            until: Some(At(at + 100)),
        }
    }

    fn accepted(job: &str) -> Event {
        Event::Accepted {
            key: key(),
            job_id: job.into(),
            reconciled: false,
        }
    }

    fn run(events: &[Event]) -> (LineState, Vec<Option<Refusal>>) {
        let mut state = LineState::default();
        let refusals = events.iter().map(|e| apply(&mut state, e).err()).collect();
        (state, refusals)
    }

    #[test]
    fn a_request_in_flight_or_accepted_cannot_be_intended_again() {
        for prefix in [
            vec![intent(10), sending(5)],
            vec![
                intent(10),
                sending(5),
                Event::Uncertain {
                    key: key(),
                    reason: "502".into(),
                    at: At(6),
                },
            ],
            vec![intent(10), sending(5), accepted("j")],
        ] {
            let mut events = prefix.clone();
            events.push(intent(10));
            let (state, refusals) = run(&events);
            assert!(refusals[..prefix.len()].iter().all(Option::is_none));
            assert!(refusals.last().unwrap().is_some(), "{prefix:?}");
            assert_eq!(state.reserved(), Usd::from_micros(10));
        }
    }

    #[test]
    fn money_follows_the_phase() {
        let (state, refusals) = run(&[
            intent(100),
            sending(5),
            Event::Abandoned {
                key: key(),
                reason: "forced".into(),
            },
            intent(100),
            sending(9),
            accepted("j"),
            Event::Done {
                key: key(),
                job_id: "j".into(),
                cost: Usd::from_micros(80),
                reported: true,
                file: "a.png".into(),
                output_url: None,
            },
        ]);
        assert!(refusals.iter().all(Option::is_none), "{refusals:?}");
        assert_eq!(state.spent(), Usd::from_micros(180));
        assert_eq!(state.reserved(), Usd::ZERO);
    }

    #[test]
    fn events_about_another_job_are_refused() {
        let (state, refusals) = run(&[
            intent(1),
            sending(1),
            accepted("j"),
            accepted("k"),
            Event::JobFailed {
                key: key(),
                job_id: "k".into(),
                error: "x".into(),
            },
        ]);
        assert_eq!(state.job_id(), Some("j"));
        assert!(refusals[3].is_some() && refusals[4].is_some());
    }
}
