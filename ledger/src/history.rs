//! Reading Segmind's request history for a reconciliation: every page of
//! every window the attempts need, each answer's `Date` kept to measure
//! the clocks. What was read is [`Evidence`]; the decision is
//! [`decide`](crate::reconcile::decide), a pure function of it.

use std::time::Duration;

use segmind_ideogram::{API, Client, HistoryQuery};

use crate::event::At;
use crate::reconcile::Attempt;
use crate::reconcile::clock::Offset;
use crate::reconcile::evidence::{Evidence, Page, Paging, WindowRead};

/// The most pages read for one window: past it the window cannot be
/// searched whole (and the verdict is "unknown").
pub const MAX_PAGES: u32 = 500;

const DAY: Duration = Duration::from_secs(86_400);

/// Days read beyond the attempts' own, each side.
const MARGIN: Duration = Duration::from_secs(2 * 86_400);

/// Reads the history for `attempts`: from two days before the first was
/// sent to two days after now (Segmind's days may be another zone's, and
/// its clock off), in windows
/// of at most [`API.history_window_days`](segmind_ideogram::ApiInfo::history_window_days).
pub async fn read(client: &Client, attempts: &[Attempt]) -> Evidence {
    let started = At::now();
    let oldest = attempts
        .iter()
        .map(|a| a.first_sent)
        .min()
        .unwrap_or(started);
    let per_page = u32::try_from(API.history_max_per_page.unwrap_or(100).min(100)).unwrap_or(100);
    let span = DAY * API.history_window_days.max(1).saturating_sub(1);
    let first_day = oldest.minus(MARGIN);
    let mut to = started.plus(MARGIN);
    let mut windows = Vec::new();
    let mut offset: Option<Offset> = None;
    loop {
        let from = to.minus(span).max(first_day);
        let mut read = WindowRead {
            from,
            to,
            pages: Vec::new(),
            broken: None,
        };
        let mut proof = Paging::default();
        for page in 1..=MAX_PAGES {
            let query = HistoryQuery::new()
                .between(from.time(), to.time())
                .per_page(per_page)
                .page(page);
            let sent = At::now();
            // Each page, all its attempts, within one request timeout.
            let deadline = client.request_timeout().unwrap_or(Duration::from_secs(120));
            let asked = tokio::time::timeout(deadline, client.request_history(&query)).await;
            let answer = asked.map_err(|_| {
                format!(
                    "Segmind's request history did not answer within {}",
                    humantime::format_duration(deadline)
                )
            });
            match answer.and_then(|a| {
                a.map_err(|error| format!("Segmind's request history could not be read ({error})"))
            }) {
                Ok(answer) => {
                    let received = At::now();
                    if let Some(date) = answer.server_date {
                        let reading = Offset::measured(sent, received, date);
                        offset = Some(offset.map_or(reading, |o| o.combine(reading)));
                    }
                    let empty = answer.records.is_empty();
                    let page = Page {
                        rows: answer.records,
                        total: answer.total,
                    };
                    // Paging that only repeats itself brings nothing by
                    // reading on (what was read still serves to find jobs).
                    let brought_rows = proof.add(&page);
                    read.pages.push(page);
                    if empty || !brought_rows {
                        break;
                    }
                }
                Err(why) => {
                    read.broken = Some(why);
                    break;
                }
            }
            if page == MAX_PAGES {
                read.broken = Some(format!(
                    "the request history holds more than {} rows in one window; it cannot be \
                     searched whole",
                    u64::from(MAX_PAGES) * u64::from(per_page)
                ));
            }
        }
        let broken = read.broken.is_some();
        windows.push(read);
        if from <= first_day || broken {
            break;
        }
        to = from;
    }
    Evidence {
        windows,
        offset: offset.unwrap_or(Offset::UNKNOWN),
        started,
    }
}
