//! What became of a submission whose job id was never recorded (the
//! process died, or the answer was lost, between sending and recording):
//! Segmind's request history decides. Found: follow that job. Certainly
//! absent (the history answered, the window is covered, and records have
//! had time to land): submit again. Otherwise the line is unresolved, and
//! is not submitted unless the user forces it.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use segmind_ideogram::{API, Client, Error, HistoryQuery, RequestRecord};
use serde_json::Value;

/// How far a record's time may be before the intent's (clocks differ).
const CLOCK_SKEW: Duration = Duration::from_secs(300);

/// The most history pages read for one window.
const MAX_PAGES: u32 = 200;

/// A line whose submission may have reached Segmind.
#[derive(Debug, Clone)]
pub struct Dangling {
    pub slug: &'static str,
    /// The request body as sent.
    pub payload: Value,
    /// When the intent was recorded.
    pub at: SystemTime,
}

/// What the history says of a dangling line.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Segmind has it: this job.
    Found { request_id: String },
    /// Segmind certainly does not have it.
    Absent,
    /// Neither can be told; why.
    Unknown { reason: String },
}

/// A verdict for each of `dangling`, in order. `grace` is how long records
/// may take to land in the history.
pub async fn reconcile(client: &Client, dangling: &[Dangling], grace: Duration) -> Vec<Verdict> {
    let Some(oldest) = dangling.iter().map(|d| d.at).min() else {
        return Vec::new();
    };
    let records =
        match history_since(client, oldest.checked_sub(CLOCK_SKEW).unwrap_or(oldest)).await {
            Ok(records) => records,
            Err(reason) => {
                return dangling
                    .iter()
                    .map(|_| Verdict::Unknown {
                        reason: reason.clone(),
                    })
                    .collect();
            }
        };
    let mut claimed = HashSet::new();
    let now = SystemTime::now();
    dangling
        .iter()
        .map(|d| {
            let found = records
                .iter()
                .filter(|r| matches(r, d))
                .filter(|r| r.request_id.as_ref().is_some_and(|id| !claimed.contains(id)))
                .min_by_key(|r| r.created());
            if let Some(id) = found.and_then(|r| r.request_id.clone()) {
                claimed.insert(id.clone());
                return Verdict::Found { request_id: id };
            }
            let age = now.duration_since(d.at).unwrap_or_default();
            if age >= grace {
                Verdict::Absent
            } else {
                Verdict::Unknown {
                    reason: format!(
                        "not in Segmind's request history yet, but records can take {:.0} s to land \
                         (this one is {:.0} s old); rerun later",
                        grace.as_secs_f64(),
                        age.as_secs_f64()
                    ),
                }
            }
        })
        .collect()
}

/// Whether `record` is the submission of `d`: the same endpoint, the same
/// body, and not older than the intent.
fn matches(record: &RequestRecord, d: &Dangling) -> bool {
    let same_model = record.model_name.as_deref() == Some(d.slug);
    let same_body = record.inputs().as_ref() == Some(&d.payload);
    let not_older = record
        .created()
        .is_none_or(|created| created + CLOCK_SKEW >= d.at);
    same_model && same_body && not_older
}

/// Every record of the account since `since`, newest first: windows of at
/// most `API.history_window_days`, each read to its last page. `Err` with
/// a reason when the history cannot be read whole.
async fn history_since(client: &Client, since: SystemTime) -> Result<Vec<RequestRecord>, String> {
    let window = Duration::from_secs(u64::from(API.history_window_days.max(1) - 1) * 86_400);
    let per_page = u32::try_from(API.history_max_per_page.unwrap_or(100)).unwrap_or(100);
    let mut records = Vec::new();
    let mut to = SystemTime::now();
    loop {
        let from = to
            .checked_sub(window)
            .unwrap_or(SystemTime::UNIX_EPOCH)
            .max(since);
        let mut page = 1;
        loop {
            let query = HistoryQuery::new()
                .between(from, to)
                .per_page(per_page)
                .page(page);
            let answer = client
                .request_history(&query)
                .await
                .map_err(|e| unreachable(&e))?;
            let got = answer.records.len();
            records.extend(answer.records);
            let seen = u64::from(page) * u64::from(per_page);
            if got == 0
                || answer.total.is_some_and(|total| seen >= total)
                || got < per_page as usize
            {
                break;
            }
            page += 1;
            if page > MAX_PAGES {
                return Err(format!(
                    "the request history holds more than {} records in the window; it cannot be searched whole",
                    MAX_PAGES * per_page
                ));
            }
        }
        if from <= since {
            return Ok(records);
        }
        to = from;
    }
}

fn unreachable(error: &Error) -> String {
    format!("Segmind's request history could not be read ({error})")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(id: &str, slug: &str, body: Value) -> RequestRecord {
        serde_json::from_value(json!({
            "request_id": id,
            "model_name": slug,
            "request_body": body,
            "created_at": humantime::format_rfc3339(SystemTime::now()).to_string(),
        }))
        .unwrap()
    }

    #[test]
    fn a_record_matches_by_endpoint_and_body() {
        let d = Dangling {
            slug: "ideogram-txt-2-img",
            payload: json!({"prompt": "x", "seed": 100}),
            at: SystemTime::now() - Duration::from_secs(10),
        };
        assert!(matches(
            &record("1", d.slug, json!({"seed": 100, "prompt": "x"})),
            &d
        ));
        assert!(!matches(&record("2", d.slug, json!({"prompt": "y"})), &d));
        assert!(!matches(
            &record("3", "ideogram-3-reframe", d.payload.clone()),
            &d
        ));
        let mut old = record("4", d.slug, d.payload.clone());
        old.created_at = Some(json!("2001-01-01T00:00:00Z"));
        assert!(!matches(&old, &d), "a record from before the intent");
    }
}
