//! The rest of Segmind's API a careful client uses: the account's credits,
//! the request history (how to find out after a crash whether a submission
//! reached Segmind, and what was spent), and storage uploads of local
//! images. Paths and hosts come from the spec ([`API`]).

use std::time::SystemTime;

use serde_json::Value;

use crate::client::Client;
use crate::decode::Answer;
use crate::error::Error;
use crate::generated::{API, OperationKind, RequestRecord, UserCredits};
use crate::input::ImageInput;
use crate::retry;
use crate::transport::Exchange;
use crate::validation::{InvalidValue, Rule};

/// Where the rows of a history page may be: the wrapper is not documented.
const ROW_KEYS: &[&str] = &[
    "data", "requests", "items", "results", "rows", "records", "history",
];

/// A query of the request history (`GET …/request-history`). Without
/// dates Segmind answers the last 7 days; a window is at most
/// [`API.history_window_days`](crate::ApiInfo::history_window_days) long.
#[derive(Debug, Clone, Default, PartialEq)]
#[must_use]
pub struct HistoryQuery {
    page: Option<u32>,
    per_page: Option<u32>,
    window: Option<(SystemTime, SystemTime)>,
    model: Option<String>,
    status: Option<String>,
}

impl HistoryQuery {
    /// The first page of the default window.
    pub fn new() -> Self {
        Self::default()
    }

    /// Page `n`, from 1.
    pub fn page(mut self, n: u32) -> Self {
        self.page = Some(n);
        self
    }

    /// Rows per page (at most [`API.history_max_per_page`](crate::ApiInfo::history_max_per_page)).
    pub fn per_page(mut self, n: u32) -> Self {
        self.per_page = Some(n);
        self
    }

    /// Requests between the days of `from` and `to` (UTC), both included.
    pub fn between(mut self, from: SystemTime, to: SystemTime) -> Self {
        self.window = Some((from.min(to), to.max(from)));
        self
    }

    /// Requests of models whose name contains `name` (an endpoint slug).
    pub fn model(mut self, name: impl Into<String>) -> Self {
        self.model = Some(name.into());
        self
    }

    /// Requests in this state: `COMPLETED`, `FAILED` or `PENDING`.
    pub fn status(mut self, status: impl Into<String>) -> Self {
        self.status = Some(status.into());
        self
    }

    /// The query string's pairs, or why the query is out of bounds.
    fn pairs(&self) -> Result<Vec<(&'static str, String)>, InvalidValue> {
        let mut pairs = Vec::new();
        if let Some(page) = self.page {
            if page == 0 {
                return Err(InvalidValue::new(
                    "HistoryQuery page",
                    Rule::Minimum { min: 1.0 },
                ));
            }
            pairs.push(("page", page.to_string()));
        }
        if let Some(n) = self.per_page {
            let max = API.history_max_per_page.unwrap_or(u64::MAX);
            if n == 0 || u64::from(n) > max {
                let rule = if n == 0 {
                    Rule::Minimum { min: 1.0 }
                } else {
                    Rule::Maximum { max: max as f64 }
                };
                return Err(InvalidValue::new("HistoryQuery per_page", rule));
            }
            pairs.push(("per_page", n.to_string()));
        }
        if let Some((from, to)) = self.window {
            let days = to.duration_since(from).unwrap_or_default().as_secs() / 86_400;
            let max = u64::from(API.history_window_days);
            // Both ends count: a window of N days spans N − 1 day boundaries.
            if days + 1 > max {
                return Err(InvalidValue::new(
                    "HistoryQuery window (days)",
                    Rule::Maximum { max: max as f64 },
                ));
            }
            pairs.push(("from_date", day(from)));
            pairs.push(("to_date", day(to)));
        }
        if let Some(model) = &self.model {
            pairs.push(("model_name", model.clone()));
        }
        if let Some(status) = &self.status {
            pairs.push(("status", status.clone()));
        }
        Ok(pairs)
    }
}

/// `YYYY-MM-DD` in UTC.
fn day(at: SystemTime) -> String {
    // humantime formats only years 1970 to 9999 (and panics in `to_string`).
    let at = at.clamp(SystemTime::UNIX_EPOCH, retry::latest_instant());
    humantime::format_rfc3339_seconds(at).to_string()[..10].to_owned()
}

/// One page of the request history.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct HistoryPage {
    /// The rows, as Segmind sent them (newest first, by default).
    pub records: Vec<RequestRecord>,
    /// This page's number, when the answer says.
    pub page: Option<u64>,
    /// Rows in all, when the answer says (some servers put only this
    /// page's count here: a careful reader checks it adds up).
    pub total: Option<u64>,
    /// The answer's `Date` header: Segmind's clock when it answered, to
    /// measure how far it is from ours (rows are dated by its clock).
    pub server_date: Option<SystemTime>,
}

impl HistoryPage {
    /// The page's records, one per request. Segmind lists a request with
    /// several outputs once per output, each row carrying the request's
    /// full `credits_deduction`: summing the rows, or counting them as
    /// requests, would count it again. The first row of each `request_id`
    /// is kept (rows without one are all kept: nothing says they repeat).
    pub fn requests(&self) -> Vec<&RequestRecord> {
        let mut seen = std::collections::HashSet::new();
        self.records
            .iter()
            .filter(|r| r.request_id.as_deref().is_none_or(|id| seen.insert(id)))
            .collect()
    }
}

impl RequestRecord {
    /// What the request cost in US dollars, from a number or a numeric string.
    pub fn cost(&self) -> Option<f64> {
        number(self.credits_deduction.as_ref()?)
    }

    /// When the request arrived.
    pub fn created(&self) -> Option<SystemTime> {
        match self.created_at.as_ref()? {
            Value::String(s) => retry::parse_instant(s.trim()),
            Value::Number(n) => retry::parse_instant(&n.to_string()),
            _ => None,
        }
    }

    /// The inputs as sent: the object, or a string that holds one.
    pub fn inputs(&self) -> Option<Value> {
        match self.request_body.as_ref()? {
            Value::Object(_) => self.request_body.clone(),
            Value::String(s) => serde_json::from_str::<Value>(s)
                .ok()
                .filter(Value::is_object),
            _ => None,
        }
    }

    /// Where the output lives, once there is one.
    pub fn output_url(&self) -> Option<&str> {
        match self.generation_url.as_ref()? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim()),
            Value::Array(items) => items.iter().find_map(Value::as_str),
            _ => None,
        }
    }
}

fn number(value: &Value) -> Option<f64> {
    let n = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().trim_start_matches('$').parse().ok()?,
        _ => return None,
    };
    n.is_finite().then_some(n)
}

impl UserCredits {
    /// The credits the answer states, paid and free together; `None` when
    /// it names neither, for an answer that says nothing of the account (an
    /// error served with status 200) is not an empty account.
    pub fn stated_total(&self) -> Option<f64> {
        (self.credits.is_some() || self.free_credits.is_some())
            .then(|| self.credits.unwrap_or(0.0) + self.free_credits.unwrap_or(0.0))
    }
}

impl Client {
    /// The account's credits (`GET /v1/get-user-credits`).
    pub async fn credits(&self) -> Result<UserCredits, Error> {
        let transport = &self.session.transport;
        let url = transport.operation_url(&API.credits, &[])?;
        let exchange = Exchange::get_json("credits", OperationKind::Credits, url, None);
        transport.execute(&exchange, json_answer).await
    }

    /// A page of the request history: every request of the account, failed
    /// and in-flight ones included. A request whose record has not landed
    /// yet may be missing, or have empty fields.
    pub async fn request_history(&self, query: &HistoryQuery) -> Result<HistoryPage, Error> {
        let pairs = query.pairs()?;
        let transport = &self.session.transport;
        let mut url = transport.operation_url(&API.request_history, &[])?;
        if !pairs.is_empty() {
            url.query_pairs_mut().extend_pairs(pairs);
        }
        let exchange = Exchange::get_json("history", OperationKind::RequestHistory, url, None);
        transport.execute(&exchange, history_page).await
    }

    /// One request's record in the history, by its id (a job's id).
    pub async fn request(&self, request_id: &str) -> Result<RequestRecord, Error> {
        crate::protocol::check_job_id(request_id)?;
        let transport = &self.session.transport;
        let url = transport.operation_url(&API.request_record, &[("request_id", request_id)])?;
        let exchange =
            Exchange::get_json("history.record", OperationKind::RequestRecord, url, None);
        transport.execute(&exchange, json_answer).await
    }

    /// Stores a local image in Segmind's storage and returns its persistent
    /// URL, to use in many requests without uploading it for each. A URL
    /// input is returned as it is, without a request.
    ///
    /// [`run`](Self::run), [`submit`](Self::submit) and
    /// [`generate`](Self::generate) upload the files and bytes of a request
    /// themselves; this is for a file sent more than once.
    pub async fn upload(&self, image: &ImageInput) -> Result<String, Error> {
        if let Some(url) = image.as_url() {
            return Ok(url.to_owned());
        }
        let (bytes, format) = image.load()?;
        crate::upload::upload(&self.session.transport, &bytes, format).await
    }
}

/// A JSON document of type `T`, or the API error of an error status.
fn json_answer<T: serde::de::DeserializeOwned>(answer: Answer) -> Result<T, Error> {
    answer.success()?.json()
}

/// A history page, wherever its rows are.
fn history_page(answer: Answer) -> Result<HistoryPage, Error> {
    let answer = answer.success()?;
    let value: Value = answer.json()?;
    let rows = find_rows(&value).ok_or_else(|| {
        answer.decode_error(None, "no array of request records in the history page")
    })?;
    let mut records = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let record = serde_json::from_value::<RequestRecord>(row.clone())
            .map_err(|e| answer.decode_error(Some(format!("rows[{i}]")), e.to_string()))?;
        records.push(record);
    }
    let field = |key: &str| value.get(key).and_then(Value::as_u64);
    let server_date = answer
        .headers
        .get(reqwest::header::DATE)
        .and_then(|date| date.to_str().ok())
        .and_then(|date| httpdate::parse_http_date(date).ok());
    Ok(HistoryPage {
        records,
        page: field("page"),
        total: field("total").or_else(|| field("count")),
        server_date,
    })
}

/// The array of records in a page: the document itself, one of the usual
/// wrapper keys (also one level down), or the only array of objects.
fn find_rows(value: &Value) -> Option<&Vec<Value>> {
    if let Value::Array(rows) = value {
        return Some(rows);
    }
    let object = value.as_object()?;
    for key in ROW_KEYS {
        match object.get(*key) {
            Some(Value::Array(rows)) => return Some(rows),
            Some(inner @ Value::Object(_)) => {
                if let Some(rows) = find_rows(inner) {
                    return Some(rows);
                }
            }
            _ => {}
        }
    }
    let mut arrays = object
        .values()
        .filter_map(Value::as_array)
        .filter(|a| a.iter().all(Value::is_object));
    match (arrays.next(), arrays.next()) {
        (Some(rows), None) => Some(rows),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    #[test]
    fn credits_are_stated_only_by_an_answer_that_names_them() {
        assert_eq!(UserCredits::new().stated_total(), None);
        assert_eq!(
            UserCredits::new().free_credits(0.0).stated_total(),
            Some(0.0)
        );
        let both = UserCredits::new().credits(1.5).free_credits(0.25);
        assert_eq!(both.stated_total(), Some(1.75));
    }

    #[test]
    fn rows_are_found_under_any_wrapper() {
        let row = json!({"request_id": "a"});
        for page in [
            json!([row]),
            json!({"data": [row], "total": 1}),
            json!({"requests": [row]}),
            json!({"data": {"items": [row]}}),
            json!({"whatever": [row], "page": 1}),
        ] {
            assert_eq!(find_rows(&page).map(Vec::len), Some(1), "{page}");
        }
        assert_eq!(find_rows(&json!({"a": [1], "b": [2]})), None);
        assert_eq!(find_rows(&json!({"message": "hi"})), None);
    }

    #[test]
    fn a_request_listed_once_per_output_counts_once() {
        let row = |id: Option<&str>, url: &str| {
            serde_json::from_value::<RequestRecord>(
                json!({"request_id": id, "credits_deduction": 0.08, "generation_url": url}),
            )
            .unwrap()
        };
        let page = HistoryPage {
            records: vec![
                row(Some("a"), "https://x/a-0.png"),
                row(Some("a"), "https://x/a-1.png"),
                row(Some("b"), "https://x/b.png"),
                row(None, "https://x/c.png"),
                row(None, "https://x/d.png"),
            ],
            page: None,
            total: None,
            server_date: None,
        };
        let requests = page.requests();
        let cost: f64 = requests.iter().filter_map(|r| r.cost()).sum();
        assert_eq!(requests.len(), 4);
        assert!((cost - 0.32).abs() < 1e-9, "{cost}");
        assert_eq!(requests[0].output_url(), Some("https://x/a-0.png"));
    }

    #[test]
    fn records_read_tolerantly() {
        let record: RequestRecord = serde_json::from_value(json!({
            "request_id": "a",
            "credits_deduction": "0.04",
            "created_at": "2026-11-20T10:00:00Z",
            "request_body": "{\"prompt\":\"x\"}",
            "generation_url": ["https://x/y.png"]
        }))
        .unwrap();
        assert_eq!(record.cost(), Some(0.04));
        assert!(record.created().is_some());
        assert_eq!(record.inputs(), Some(json!({"prompt": "x"})));
        assert_eq!(record.output_url(), Some("https://x/y.png"));
        let empty: RequestRecord = serde_json::from_value(json!({"request_id": null})).unwrap();
        assert_eq!(
            (empty.cost(), empty.created(), empty.inputs()),
            (None, None, None)
        );
    }

    #[test]
    fn queries_stay_in_bounds() {
        let now = SystemTime::now();
        let month = Duration::from_secs(30 * 86_400);
        assert!(
            HistoryQuery::new()
                .between(now - month, now)
                .pairs()
                .is_ok()
        );
        let too_long = HistoryQuery::new().between(now - month * 2, now);
        assert!(too_long.pairs().is_err());
        assert!(HistoryQuery::new().per_page(101).pairs().is_err());
        assert!(HistoryQuery::new().per_page(0).pairs().is_err());
        let pairs = HistoryQuery::new()
            .between(SystemTime::UNIX_EPOCH, SystemTime::UNIX_EPOCH)
            .model("ideogram-txt-2-img")
            .pairs()
            .unwrap();
        assert!(pairs.contains(&("from_date", "1970-01-01".into())));
        assert!(pairs.contains(&("model_name", "ideogram-txt-2-img".into())));
    }

    #[test]
    fn days_outside_the_formattable_years_are_clamped_not_panics() {
        let far = SystemTime::UNIX_EPOCH + Duration::from_secs(400_000_000_000);
        assert_eq!(day(far), "9999-12-31");
        let before = SystemTime::UNIX_EPOCH - Duration::from_secs(86_400);
        assert_eq!(day(before), "1970-01-01");
    }
}
