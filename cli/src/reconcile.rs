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
    /// When its first attempt was sent: the job cannot be older.
    pub since: SystemTime,
    /// The latest its last attempt may have reached Segmind: late records
    /// are waited for from here.
    pub reach_by: SystemTime,
}

/// What the history says of a dangling line.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Segmind has it: this job.
    Found { request_id: String },
    /// Segmind certainly does not have it.
    Absent,
    /// Not found yet, but it was sent less than the grace ago: its record
    /// may still be on its way. Ask again later.
    TooSoon,
    /// Neither can be told; why.
    Unknown { reason: String },
}

/// A verdict for each of `dangling`, in order. `grace` is how long records
/// may take to land in the history; `known` are the jobs other lines own
/// (the journal's), which no dangling line is given.
pub async fn reconcile(
    client: &Client,
    dangling: &[Dangling],
    grace: Duration,
    known: &HashSet<String>,
) -> Vec<Verdict> {
    let Some(oldest) = dangling.iter().map(|d| d.since).min() else {
        return Vec::new();
    };
    // Before the first page: a record that lands while later pages are
    // read is on a page already read, and must not count as absent.
    let now = SystemTime::now();
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
    let mut claimed = known.clone();
    dangling
        .iter()
        .map(|d| {
            let found = records
                .iter()
                .filter(|r| matches(r, d))
                .filter(|r| {
                    r.request_id
                        .as_ref()
                        .is_some_and(|id| !claimed.contains(id))
                })
                .min_by_key(|r| r.created());
            if let Some(id) = found.and_then(|r| r.request_id.clone()) {
                claimed.insert(id.clone());
                return Verdict::Found { request_id: id };
            }
            if records.iter().any(|r| unreadable_and_may_be(r, d)) {
                return Verdict::Unknown {
                    reason: "Segmind's request history holds a row from that time it cannot \
                             read whole (no job id, model or body)"
                        .into(),
                };
            }
            // A clock set back counts as "just sent".
            let age = now.duration_since(d.reach_by).unwrap_or_default();
            if age >= grace {
                Verdict::Absent
            } else {
                Verdict::TooSoon
            }
        })
        .collect()
}

/// Whether `record` is the submission of `d`: the same endpoint, the body
/// as sent (the history may add defaults, and write `5` as `5.0`), and not
/// older than the first attempt.
fn matches(record: &RequestRecord, d: &Dangling) -> bool {
    let same_model = record.model_name.as_deref() == Some(d.slug);
    let same_body = record
        .inputs()
        .is_some_and(|recorded| contains(&recorded, &d.payload));
    same_model && same_body && in_window(record, d)
}

/// A row that could be `d`'s but cannot be read whole: it forbids "absent".
fn unreadable_and_may_be(record: &RequestRecord, d: &Dangling) -> bool {
    let model_may_be = record.model_name.as_deref().is_none_or(|m| m == d.slug);
    let unreadable =
        record.request_id.is_none() || record.model_name.is_none() || record.inputs().is_none();
    unreadable && model_may_be && in_window(record, d)
}

fn in_window(record: &RequestRecord, d: &Dangling) -> bool {
    record
        .created()
        .is_none_or(|created| created.checked_add(CLOCK_SKEW).is_none_or(|c| c >= d.since))
}

/// Whether `recorded` holds everything in `sent`, numbers compared by value
/// (also when the history writes them as strings).
fn contains(recorded: &Value, sent: &Value) -> bool {
    match (recorded, sent) {
        (Value::Object(have), Value::Object(want)) => want
            .iter()
            .all(|(k, v)| have.get(k).is_some_and(|h| contains(h, v))),
        (Value::Array(have), Value::Array(want)) => {
            have.len() == want.len() && have.iter().zip(want).all(|(h, w)| contains(h, w))
        }
        (Value::Number(have), Value::Number(want)) => have.as_f64() == want.as_f64(),
        // A history that stores numbers as text.
        (Value::String(have), Value::Number(want)) => {
            have.trim().parse::<f64>().ok() == want.as_f64()
        }
        _ => recorded == sent,
    }
}

/// Every record of the account since `since`, newest first: windows of at
/// most `API.history_window_days`, each read until a page comes back empty
/// or the total is reached (a short page proves nothing: the server may cap
/// `per_page`). `Err` with a reason when the history cannot be read whole.
async fn history_since(client: &Client, since: SystemTime) -> Result<Vec<RequestRecord>, String> {
    let window = Duration::from_secs(u64::from(API.history_window_days.max(1) - 1) * 86_400);
    let per_page = u32::try_from(API.history_max_per_page.unwrap_or(100)).unwrap_or(100);
    let mut records = Vec::new();
    // A day ahead: the history's days are UTC dates, and clocks differ.
    let mut to = SystemTime::now() + Duration::from_secs(86_400);
    loop {
        let from = to
            .checked_sub(window)
            .unwrap_or(SystemTime::UNIX_EPOCH)
            .max(since);
        let mut page = 1;
        let mut in_window = 0u64;
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
            in_window += got as u64;
            records.extend(answer.records);
            if got == 0 || answer.total.is_some_and(|total| in_window >= total) {
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
            since: SystemTime::now() - Duration::from_secs(10),
            reach_by: SystemTime::now() - Duration::from_secs(10),
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
        // Defaults the history adds, and numbers written as floats.
        assert!(matches(
            &record(
                "5",
                d.slug,
                json!({"prompt": "x", "seed": 100.0, "magic_prompt_option": "AUTO"})
            ),
            &d
        ));
        assert!(!matches(&record("6", d.slug, json!({"prompt": "x"})), &d));
        assert!(matches(
            &record("7", d.slug, json!({"prompt": "x", "seed": "100"})),
            &d
        ));
    }

    #[test]
    fn rows_that_cannot_be_read_may_be_the_line() {
        let d = Dangling {
            slug: "ideogram-txt-2-img",
            payload: json!({"prompt": "x"}),
            since: SystemTime::now() - Duration::from_secs(10),
            reach_by: SystemTime::now() - Duration::from_secs(10),
        };
        let no_body = record("1", d.slug, Value::Null);
        assert!(unreadable_and_may_be(&no_body, &d));
        let mut no_id = record("2", d.slug, d.payload.clone());
        no_id.request_id = None;
        assert!(unreadable_and_may_be(&no_id, &d));
        let mut no_model = record("3", d.slug, d.payload.clone());
        no_model.model_name = None;
        assert!(unreadable_and_may_be(&no_model, &d));
        assert!(!unreadable_and_may_be(
            &record("4", "other", Value::Null),
            &d
        ));
        assert!(!unreadable_and_may_be(
            &record("5", d.slug, d.payload.clone()),
            &d
        ));
    }
}
