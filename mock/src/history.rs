//! The request history: a row for every request the server accepted (sync
//! calls and queued jobs), with the body as sent, the cost and the state,
//! visible to the key that made it, landing after the configured lag, and
//! queried with Segmind's parameters.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

use segmind_ideogram::{API, RequestRecord};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::config::{Faults, HistoryPaging};
use crate::key::KeyFingerprint;

/// The most rows kept; the oldest go first.
pub(crate) const HISTORY_ROWS: usize = 100_000;

/// Rows per page when the query does not say and neither does the spec.
const DEFAULT_PER_PAGE: u64 = 10;

/// Days a query covers when it gives no dates (Segmind: the last 7).
const DEFAULT_DAYS: u64 = 7;

/// What one accepted request left in the history.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub request_id: String,
    pub owner: KeyFingerprint,
    pub slug: &'static str,
    pub body: Value,
    pub created: SystemTime,
    /// When the row appears in answers (created + the configured lag).
    pub lands: Instant,
    /// When the request ends; `None` for never.
    pub ends: Option<Instant>,
    pub cost: f64,
    pub failure: Option<String>,
    pub output_url: Option<String>,
    pub latency: Duration,
}

impl Row {
    /// The record as the history answers it at `now`: its `output`-th row
    /// (from 0) when it is listed once per output, written the way the
    /// faults say.
    pub fn record(&self, now: Instant, faults: &Faults, output: u32) -> RequestRecord {
        let ended = self.ends.is_some_and(|end| now >= end);
        let status = match (ended, &self.failure) {
            (false, _) => "PENDING",
            (true, None) => "COMPLETED",
            (true, Some(_)) => "FAILED",
        };
        let mut record = RequestRecord::new();
        record.request_id = Some(self.request_id.clone());
        record.model_name = Some(match &faults.history_model_prefix {
            Some(prefix) => format!("{prefix}{}", self.slug),
            None => self.slug.to_owned(),
        });
        record.model_status = Some(status.to_owned());
        let mut body = self.body.clone();
        if let Value::Object(members) = &mut body {
            for omitted in &faults.history_omits {
                members.remove(omitted);
            }
        }
        record.request_body = Some(body);
        record.created_at = Some(Value::String(created_at(self.created, faults)));
        if ended {
            // A failed request costs nothing; a pending one is not billed yet.
            let cost = if self.failure.is_some() {
                0.0
            } else {
                self.cost
            };
            record.credits_deduction = Some(json!(cost));
            record.latency_ms = Some(json!(self.latency.as_millis()));
            record.generation_url = self.output_url.clone().map(|url| {
                Value::String(if faults.history_rows_per_request > 1 {
                    format!("{url}?output={output}")
                } else {
                    url
                })
            });
            record.error = self.failure.clone().map(Value::String);
        }
        record
    }
}

/// A history query, from the request's query string.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Query {
    pub page: u64,
    pub per_page: u64,
    /// Days since the Unix epoch, both included.
    pub from_day: u64,
    pub to_day: u64,
    pub model: Option<String>,
    pub status: Option<String>,
}

impl Query {
    /// The query, or what is wrong with it (a 400 at Segmind).
    pub fn parse(pairs: &[(String, String)], today: u64) -> Result<Self, String> {
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let number = |name: &str, default: u64| -> Result<u64, String> {
            match get(name) {
                None => Ok(default),
                Some(v) => v
                    .parse::<u64>()
                    .map_err(|_| format!("`{name}` must be a whole number")),
            }
        };
        let page = number("page", 1)?;
        let per_page = number(
            "per_page",
            API.history_default_per_page.unwrap_or(DEFAULT_PER_PAGE),
        )?;
        let max = API.history_max_per_page.unwrap_or(u64::MAX);
        if page == 0 || per_page == 0 || per_page > max {
            return Err(format!(
                "`page` must be at least 1 and `per_page` 1 to {max}"
            ));
        }
        let to_day = get("to_date").map(day_number).transpose()?.unwrap_or(today);
        let from_day = get("from_date")
            .map(day_number)
            .transpose()?
            .unwrap_or(to_day.saturating_sub(DEFAULT_DAYS - 1));
        let window = u64::from(API.history_window_days);
        if from_day > to_day || to_day - from_day + 1 > window {
            return Err(format!(
                "`from_date` to `to_date` must be a window of at most {window} days"
            ));
        }
        Ok(Self {
            page,
            per_page,
            from_day,
            to_day,
            model: get("model_name").map(str::to_owned),
            status: get("status").map(str::to_ascii_uppercase),
        })
    }
}

/// `created_at` on the history's clock, with or without a zone.
fn created_at(created: SystemTime, faults: &Faults) -> String {
    let skewed = shift(created, 0, faults.history_clock_skew_ms);
    match faults.history_zoneless {
        None => humantime::format_rfc3339_millis(skewed).to_string(),
        Some(minutes) => {
            let local = shift(skewed, i64::from(minutes), 0);
            let text = humantime::format_rfc3339_millis(local).to_string();
            text.trim_end_matches('Z').to_owned()
        }
    }
}

/// `at` moved by `minutes` and `ms` (either may be negative), within the
/// years the history can write.
pub(crate) fn shift(at: SystemTime, minutes: i64, ms: i64) -> SystemTime {
    let total = minutes.saturating_mul(60_000).saturating_add(ms);
    let moved = if total >= 0 {
        at.checked_add(Duration::from_millis(total.unsigned_abs()))
    } else {
        at.checked_sub(Duration::from_millis(total.unsigned_abs()))
    };
    moved
        .unwrap_or(at)
        .clamp(SystemTime::UNIX_EPOCH, latest_writable())
}

/// The last instant `humantime` can write (it panics past the year 9999).
fn latest_writable() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(253_402_300_799)
}

/// Days since the Unix epoch of a `YYYY-MM-DD` date.
fn day_number(date: &str) -> Result<u64, String> {
    let at = humantime::parse_rfc3339(&format!("{}T00:00:00Z", date.trim()))
        .map_err(|_| format!("`{date}` is not a date (YYYY-MM-DD)"))?;
    Ok(days_since_epoch(at))
}

pub(crate) fn days_since_epoch(at: SystemTime) -> u64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
        / 86_400
}

/// The rows, newest first.
#[derive(Debug, Default)]
pub(crate) struct History {
    rows: VecDeque<Row>,
    /// Pages answered (an unstable order changes with each).
    reads: u64,
}

impl History {
    pub fn push(&mut self, row: Row) {
        if self.rows.len() >= HISTORY_ROWS {
            self.rows.pop_back();
        }
        self.rows.push_front(row);
    }

    /// One page of `owner`'s rows that match `query` and have landed, and
    /// the total the answer states (how many match in all, unless the
    /// faults say otherwise).
    pub fn page(
        &mut self,
        owner: KeyFingerprint,
        query: &Query,
        now: Instant,
        faults: &Faults,
    ) -> (Vec<RequestRecord>, usize) {
        let outputs = faults.history_rows_per_request.max(1);
        let mut matching: Vec<RequestRecord> = self
            .rows
            .iter()
            .filter(|row| row.owner == owner && now >= row.lands)
            .filter(|row| {
                // The history's days, on its clock, in its zone.
                let day = days_since_epoch(shift(
                    row.created,
                    i64::from(faults.history_day_zone),
                    faults.history_clock_skew_ms,
                ));
                query.from_day <= day && day <= query.to_day
            })
            .flat_map(|row| (0..outputs).map(move |output| row.record(now, faults, output)))
            .filter(|record| {
                let name = record.model_name.as_deref().unwrap_or_default();
                query.model.as_deref().is_none_or(|m| name.contains(m))
            })
            .filter(|record| {
                query
                    .status
                    .as_deref()
                    .is_none_or(|s| record.model_status.as_deref() == Some(s))
            })
            .collect();
        let total = matching.len();
        let page = match faults.history_paging {
            HistoryPaging::IgnoresPage => 1,
            _ => query.page,
        };
        if faults.history_paging == HistoryPaging::Unstable {
            // Another order for every page asked.
            self.reads += 1;
            fastrand::Rng::with_seed(self.reads).shuffle(&mut matching);
        }
        let per_page = faults
            .history_page_cap
            .map_or(query.per_page, |cap| query.per_page.min(cap));
        let skip = usize::try_from((page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX);
        let take = usize::try_from(per_page).unwrap_or(usize::MAX);
        let rows: Vec<RequestRecord> = matching.into_iter().skip(skip).take(take).collect();
        let stated = match faults.history_paging {
            HistoryPaging::CountPerPage => rows.len(),
            _ => total,
        };
        (rows, stated)
    }

    /// `owner`'s row with this id, once landed.
    pub fn find(
        &self,
        owner: KeyFingerprint,
        id: &str,
        now: Instant,
        faults: &Faults,
    ) -> Option<RequestRecord> {
        self.rows
            .iter()
            .find(|row| row.owner == owner && row.request_id == id && now >= row.lands)
            .map(|row| row.record(now, faults, 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn queries_follow_segmind_s_bounds() {
        let today = 20_000;
        let q = Query::parse(&[], today).unwrap();
        assert_eq!(
            (q.page, q.per_page, q.from_day, q.to_day),
            (1, 20, today - 6, today)
        );
        let q = Query::parse(
            &pairs(&[("from_date", "2026-11-01"), ("to_date", "2026-11-21")]),
            today,
        )
        .unwrap();
        assert_eq!(q.to_day - q.from_day, 20);
        for bad in [
            pairs(&[("per_page", "101")]),
            pairs(&[("page", "0")]),
            pairs(&[("from_date", "2026-01-01"), ("to_date", "2026-11-21")]),
            pairs(&[("from_date", "yesterday")]),
            pairs(&[("from_date", "2026-11-21"), ("to_date", "2026-11-01")]),
        ] {
            assert!(Query::parse(&bad, today).is_err(), "{bad:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn rows_land_late_and_turn_completed_when_the_job_ends() {
        let owner = KeyFingerprint::of("k");
        let now = Instant::now();
        let mut history = History::default();
        history.push(Row {
            request_id: "a".into(),
            owner,
            slug: "ideogram-txt-2-img",
            body: json!({"prompt": "x"}),
            created: SystemTime::now(),
            lands: now + Duration::from_secs(2),
            ends: Some(now + Duration::from_secs(5)),
            cost: 0.08,
            failure: None,
            output_url: Some("http://x/a.png".into()),
            latency: Duration::from_secs(5),
        });
        let query = Query::parse(&[], days_since_epoch(SystemTime::now())).unwrap();
        let faults = Faults::default();
        assert_eq!(
            history.page(owner, &query, now, &faults).1,
            0,
            "not landed yet"
        );
        let later = now + Duration::from_secs(3);
        let (rows, _) = history.page(owner, &query, later, &faults);
        assert_eq!(rows[0].model_status.as_deref(), Some("PENDING"));
        assert_eq!(rows[0].credits_deduction, None);
        let done = history
            .find(owner, "a", now + Duration::from_secs(6), &faults)
            .unwrap();
        assert_eq!(done.model_status.as_deref(), Some("COMPLETED"));
        assert_eq!(done.cost(), Some(0.08));
        assert!(
            history
                .find(KeyFingerprint::of("other"), "a", later, &faults)
                .is_none()
        );
    }
}
