//! One key's state, and the one function that moves it: [`apply`]. The
//! live run and the replay of the records both go through it, so a
//! restarted process knows exactly what the dead one knew.
//!
//! States are kept small (a batch of a million requests holds a million of
//! them): text as boxed strings, endpoints and job ids in their compact
//! forms, and what only a submission in progress needs (its body) boxed.

use serde_json::Value;

use crate::compact::{JobId, Slug};
use crate::event::{At, Event};
use crate::usd::Usd;

/// A submission not yet answered: what it is and what it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempting {
    /// The endpoint.
    pub endpoint: Slug,
    /// The JSON body as sent (`null` when the record predates bodies).
    pub body: Value,
    /// What the submission may cost, held against the budget.
    pub reserved: Usd,
}

/// Where a key's request stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Nothing pending: never submitted, or its last attempt certainly
    /// did not reach Segmind, or its job failed (not billed), or its
    /// attempt was abandoned. It may be submitted.
    Fresh,
    /// An intent, and no attempt sent: nothing can be billed yet.
    Intended(Box<Attempting>),
    /// An attempt was being sent with no answer recorded: Segmind may have
    /// the job. In a live run the POST may still be in flight; after a
    /// crash only the request history can tell.
    Sending {
        /// The submission.
        attempt: Box<Attempting>,
        /// When its first attempt was sent: its job is not older.
        first_sent: At,
        /// When its last attempt was sent.
        last_sent: At,
        /// When the last attempt was given up (`None`: unbounded).
        until: Option<At>,
    },
    /// The submission ended without a job id and may have reached Segmind.
    Uncertain {
        /// The submission.
        attempt: Box<Attempting>,
        /// When its first attempt was sent: its job is not older.
        first_sent: At,
        /// The last moment it could have reached Segmind.
        reach_by: At,
        /// Why it is uncertain.
        reason: Box<str>,
    },
    /// Segmind has the job: follow it, never submit again.
    Accepted {
        /// The endpoint.
        endpoint: Slug,
        /// What the job may cost, held against the budget.
        reserved: Usd,
        /// Segmind's id of the job.
        job_id: JobId,
    },
    /// Its image is stored.
    Done {
        /// The endpoint.
        endpoint: Slug,
        /// Segmind's id of the job.
        job_id: JobId,
        /// What the job cost.
        cost: Usd,
        /// Whether the cost is Segmind's figure.
        reported: bool,
        /// Where its image is.
        file: Box<str>,
    },
    /// Billed, and its image can no longer be fetched.
    Lost {
        /// The endpoint.
        endpoint: Slug,
        /// Segmind's id of the job.
        job_id: JobId,
        /// What the job cost.
        cost: Usd,
        /// Why the image is gone.
        error: Box<str>,
    },
}

/// What few states carry: money spent by attempts given up on, and why
/// the last attempt or job did not end well.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extra {
    /// Reservations of attempts given up on ([`Event::Abandoned`]): they
    /// may have been billed, so they count as spent.
    pub abandoned: Usd,
    /// Why the last attempt or job did not end well, for reports.
    pub last_error: Option<Box<str>>,
}

/// A key's state: its phase, and what little else it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct LineState {
    /// Where its request stands.
    pub phase: Phase,
    /// Money spent by given-up attempts, and the last error.
    pub extra: Option<Box<Extra>>,
}

impl Default for LineState {
    fn default() -> Self {
        Self {
            phase: Phase::Fresh,
            extra: None,
        }
    }
}

impl LineState {
    /// Reservations of attempts given up on, counted as spent.
    pub fn abandoned(&self) -> Usd {
        self.extra.as_ref().map_or(Usd::ZERO, |e| e.abandoned)
    }

    /// Why the last attempt or job did not end well.
    pub fn last_error(&self) -> Option<&str> {
        self.extra.as_ref()?.last_error.as_deref()
    }

    fn note_error(&mut self, error: &str) {
        self.extra.get_or_insert_default().last_error = Some(error.into());
    }

    /// Money this key has spent: given-up attempts, and its job's cost
    /// once it is done or lost.
    pub fn spent(&self) -> Usd {
        let finished = match &self.phase {
            Phase::Done { cost, .. } | Phase::Lost { cost, .. } => *cost,
            _ => Usd::ZERO,
        };
        self.abandoned() + finished
    }

    /// Money held for an attempt or a job not yet ended.
    pub fn reserved(&self) -> Usd {
        match &self.phase {
            Phase::Intended(attempt)
            | Phase::Sending { attempt, .. }
            | Phase::Uncertain { attempt, .. } => attempt.reserved,
            Phase::Accepted { reserved, .. } => *reserved,
            _ => Usd::ZERO,
        }
    }

    /// The endpoint of its current or last request, when known.
    pub fn endpoint(&self) -> Option<Slug> {
        match &self.phase {
            Phase::Fresh => None,
            Phase::Intended(attempt)
            | Phase::Sending { attempt, .. }
            | Phase::Uncertain { attempt, .. } => Some(attempt.endpoint),
            Phase::Accepted { endpoint, .. }
            | Phase::Done { endpoint, .. }
            | Phase::Lost { endpoint, .. } => Some(*endpoint),
        }
    }

    /// Whether an attempt or a job holds money for this key: the budget's
    /// in-flight count.
    pub fn in_flight(&self) -> bool {
        matches!(
            self.phase,
            Phase::Intended(_)
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
    pub fn job_id(&self) -> Option<&JobId> {
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
        Phase::Intended(_) => "about to be submitted",
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
    let refusal = |phase: &Phase| Refusal {
        event: event_name(event),
        phase: phase_name(phase),
    };
    // Taken, so that a body moves from phase to phase instead of being
    // copied; put back as it was when the event is refused.
    // Whether the event names the job the state holds.
    let same = match (state.job_id(), event.job_id()) {
        (Some(mine), Some(theirs)) => mine.is(theirs),
        _ => false,
    };
    let phase = std::mem::replace(&mut state.phase, Phase::Fresh);
    let next = match (phase, event) {
        (
            Phase::Fresh | Phase::Intended(_),
            Event::Intent {
                endpoint,
                body,
                reserved,
                ..
            },
        ) => Phase::Intended(Box::new(Attempting {
            endpoint: Slug::of(endpoint),
            body: body.clone(),
            reserved: *reserved,
        })),
        (Phase::Intended(attempt), Event::Sending { at, until, .. }) => Phase::Sending {
            attempt,
            first_sent: *at,
            last_sent: *at,
            until: *until,
        },
        // Another attempt of the same POST (after a refused connection or
        // a 429, which certainly created no job).
        (
            Phase::Sending {
                attempt,
                first_sent,
                ..
            },
            Event::Sending { at, until, .. },
        ) => Phase::Sending {
            attempt,
            first_sent: first_sent.min(*at),
            last_sent: *at,
            until: *until,
        },
        (
            Phase::Sending {
                attempt,
                first_sent,
                ..
            },
            Event::Uncertain { reason, at, .. },
        ) => Phase::Uncertain {
            attempt,
            first_sent,
            reach_by: *at,
            reason: reason.as_str().into(),
        },
        (
            Phase::Uncertain {
                attempt,
                first_sent,
                reach_by,
                ..
            },
            Event::Uncertain { reason, at, .. },
        ) => Phase::Uncertain {
            attempt,
            first_sent,
            reach_by: reach_by.max(*at),
            reason: reason.as_str().into(),
        },
        (
            Phase::Sending { attempt, .. } | Phase::Uncertain { attempt, .. },
            Event::Accepted { job_id, .. },
        ) => Phase::Accepted {
            endpoint: attempt.endpoint,
            reserved: attempt.reserved,
            job_id: JobId::new(job_id),
        },
        (accepted @ Phase::Accepted { .. }, Event::Accepted { .. }) if same => accepted,
        (
            Phase::Intended(_) | Phase::Sending { .. } | Phase::Uncertain { .. },
            Event::NotSent { reason, .. },
        ) => {
            state.note_error(reason);
            Phase::Fresh
        }
        (
            Phase::Sending { attempt, .. } | Phase::Uncertain { attempt, .. },
            Event::Abandoned { reason, .. },
        ) => {
            let extra = state.extra.get_or_insert_default();
            extra.abandoned += attempt.reserved;
            extra.last_error = Some(reason.as_str().into());
            Phase::Fresh
        }
        (Phase::Accepted { .. }, Event::JobFailed { error, .. }) if same => {
            state.note_error(error);
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
                ..
            },
        ) if same => Phase::Done {
            endpoint,
            job_id: JobId::new(job_id),
            cost: *cost,
            reported: *reported,
            file: file.as_str().into(),
        },
        (
            Phase::Accepted { endpoint, .. },
            Event::Lost {
                job_id,
                error,
                cost,
                ..
            },
        ) if same => Phase::Lost {
            endpoint,
            job_id: JobId::new(job_id),
            cost: *cost,
            error: error.as_str().into(),
        },
        (phase @ (Phase::Accepted { .. } | Phase::Done { .. }), Event::Trouble { error, .. })
            if same =>
        {
            state.note_error(error);
            phase
        }
        (
            Phase::Done {
                endpoint,
                job_id,
                cost,
                reported,
                ..
            },
            Event::Moved { file, .. },
        ) => Phase::Done {
            endpoint,
            job_id,
            cost,
            reported,
            file: file.as_str().into(),
        },
        (phase, _) => {
            let refused = refusal(&phase);
            state.phase = phase;
            return Err(refused);
        }
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
        assert_eq!(state.last_error(), Some("forced"));
    }

    #[test]
    fn events_about_another_job_are_refused_and_change_nothing() {
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
        assert_eq!(
            state.job_id().map(|j| j.as_str().into_owned()),
            Some("j".into())
        );
        assert!(refusals[3].is_some() && refusals[4].is_some());
        assert_eq!(state.reserved(), Usd::from_micros(1));
    }

    #[test]
    fn a_state_stays_small() {
        // A million of them fit in a few hundred megabytes.
        assert!(
            std::mem::size_of::<LineState>() <= 96,
            "{}",
            std::mem::size_of::<LineState>()
        );
    }
}
