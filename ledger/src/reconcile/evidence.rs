//! What a read of the request history saw, and whether it proves that it
//! saw every row of its window. Paging must prove itself: a read counts as
//! whole only when it ran to an empty page, every later page brought only
//! new requests (a request repeated once per output may run on from the
//! end of one page into the next), and the rows read add up to the total
//! the pages state, when they state one.

use std::collections::HashSet;

use segmind_ideogram::RequestRecord;

use super::clock::Offset;
use crate::event::At;

/// One page as it came.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// The rows, as Segmind sent them.
    pub rows: Vec<RequestRecord>,
    /// The total the page states (`total`, or a `count` that may be only
    /// this page's rows).
    pub total: Option<u64>,
}

/// One window of days read page by page.
#[derive(Debug, Clone)]
pub struct WindowRead {
    /// The first and last day asked for (our clock, whole days).
    pub from: At,
    /// The last day asked for (our clock).
    pub to: At,
    /// The pages, in order.
    pub pages: Vec<Page>,
    /// Why the read stopped before an empty page, if it did.
    pub broken: Option<String>,
}

/// Everything one reconciliation read.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// The windows read.
    pub windows: Vec<WindowRead>,
    /// Segmind's clock against ours, from the `Date` of its answers.
    pub offset: Offset,
    /// When the read started (our clock): a row landing later may be
    /// missing from a page read earlier.
    pub started: At,
}

impl Evidence {
    /// Every row read, each request once (a request with several outputs
    /// appears once per output; the fullest of its rows is kept).
    pub fn rows(&self) -> Vec<&RequestRecord> {
        let mut seen: Vec<&RequestRecord> = Vec::new();
        let mut index: std::collections::HashMap<&str, usize> = Default::default();
        for row in self
            .windows
            .iter()
            .flat_map(|w| &w.pages)
            .flat_map(|p| &p.rows)
        {
            match row.request_id.as_deref() {
                Some(id) => match index.get(id) {
                    Some(&at) if fullness(row) > fullness(seen[at]) => seen[at] = row,
                    Some(_) => {}
                    None => {
                        index.insert(id, seen.len());
                        seen.push(row);
                    }
                },
                None => seen.push(row),
            }
        }
        seen
    }

    /// `Ok` when every window was read whole, or why not.
    pub fn whole(&self) -> Result<(), String> {
        if self.windows.is_empty() {
            return Err("the request history was not read".into());
        }
        self.windows.iter().try_for_each(WindowRead::whole)
    }
}

/// How much of a row is known: more is better.
fn fullness(row: &RequestRecord) -> usize {
    [
        row.model_name.is_some(),
        row.request_body.is_some(),
        row.created_at.is_some(),
        row.credits_deduction.is_some(),
        row.generation_url.is_some(),
        row.model_status.is_some(),
    ]
    .into_iter()
    .filter(|x| *x)
    .count()
}

impl WindowRead {
    /// `Ok` when the pages prove they hold every row of the window.
    pub fn whole(&self) -> Result<(), String> {
        if let Some(why) = &self.broken {
            return Err(why.clone());
        }
        let mut proof = Paging::default();
        for page in &self.pages {
            proof.add(page);
        }
        proof.finish()
    }
}

/// The proof a read of pages builds, page by page.
#[derive(Debug, Default)]
pub struct Paging {
    /// Requests seen.
    seen: HashSet<String>,
    /// Each output's row differs (its own URL); a page served twice
    /// repeats rows exactly.
    rows_seen: HashSet<String>,
    /// Rows read.
    read: u64,
    /// The last request read, which a repeated row may continue.
    last_id: Option<String>,
    pages: usize,
    /// The total the last page with rows stated.
    stated: Option<u64>,
    ended_empty: bool,
    /// The first thing a page showed that the paging cannot be trusted.
    contradiction: Option<String>,
}

impl Paging {
    /// Adds the next page; whether it brought any row not read before (a
    /// reader stops when one does not: reading on finds nothing).
    pub fn add(&mut self, page: &Page) -> bool {
        self.pages += 1;
        let number = self.pages;
        let mut new_rows = false;
        // Rows repeated once per output may run on from the last page.
        let mut continuing = number > 1;
        for row in &page.rows {
            let id = row.request_id.as_deref();
            let whole_row = serde_json::to_string(row).unwrap_or_default();
            if id.is_some() && !self.rows_seen.insert(whole_row) {
                self.contradict(format!(
                    "page {number} of the request history repeats a row of an earlier page: its \
                     paging cannot be trusted"
                ));
                continue;
            }
            new_rows = true;
            match id {
                Some(id) if continuing && Some(id) == self.last_id.as_deref() => continue,
                Some(id) if self.seen.contains(id) && Some(id) != self.last_id.as_deref() => {
                    self.contradict(format!(
                        "page {number} of the request history repeats request {id} from an \
                         earlier page: its paging cannot be trusted"
                    ));
                }
                _ => {}
            }
            continuing = false;
            if let Some(id) = id {
                self.seen.insert(id.to_owned());
            }
            self.last_id = id.map(str::to_owned);
        }
        self.read = self.read.saturating_add(page.rows.len() as u64);
        self.ended_empty = page.rows.is_empty();
        if !page.rows.is_empty() {
            self.stated = page.total.or(self.stated);
            if let Some(total) = page.total
                && total < self.read
            {
                self.contradict(format!(
                    "the request history says it holds {total} rows but {} were read: its paging \
                     cannot be trusted",
                    self.read
                ));
            }
        }
        new_rows
    }

    fn contradict(&mut self, why: String) {
        self.contradiction.get_or_insert(why);
    }

    /// `Ok` when the pages added ran to an empty one, never contradicted
    /// each other, and add up to the total they state.
    pub fn finish(&self) -> Result<(), String> {
        if let Some(why) = &self.contradiction {
            return Err(why.clone());
        }
        if !self.ended_empty {
            return Err("the request history was not read to its last page".into());
        }
        if let Some(total) = self.stated
            && total != self.read
        {
            return Err(format!(
                "the request history says it holds {total} rows but {} were read to its last page",
                self.read
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(id: &str) -> RequestRecord {
        serde_json::from_value(json!({"request_id": id})).unwrap()
    }

    /// The row of one output of request `id`.
    fn output(id: &str, n: usize) -> RequestRecord {
        serde_json::from_value(
            json!({"request_id": id, "generation_url": format!("https://x/{id}-{n}.png")}),
        )
        .unwrap()
    }

    fn page(ids: &[&str], total: Option<u64>) -> Page {
        Page {
            rows: ids.iter().map(|id| row(id)).collect(),
            total,
        }
    }

    fn window(pages: Vec<Page>) -> WindowRead {
        WindowRead {
            from: At(0),
            to: At(0),
            pages,
            broken: None,
        }
    }

    #[test]
    fn honest_paging_proves_itself() {
        let read = window(vec![
            page(&["a", "b"], Some(5)),
            page(&["c", "d"], Some(5)),
            page(&["e"], Some(5)),
            page(&[], Some(5)),
        ]);
        assert_eq!(read.whole(), Ok(()));
        // A request with two outputs across a page boundary.
        let repeated = window(vec![
            Page {
                rows: vec![row("a"), output("b", 1)],
                total: Some(4),
            },
            Page {
                rows: vec![output("b", 2), row("c")],
                total: Some(4),
            },
            page(&[], None),
        ]);
        assert_eq!(repeated.whole(), Ok(()));
        assert_eq!(window(vec![page(&[], Some(0))]).whole(), Ok(()));
    }

    #[test]
    fn lying_paging_is_caught() {
        let cases = [
            // `count` is the rows of each page, not the total.
            window(vec![
                page(&["a", "b"], Some(2)),
                page(&["c", "d"], Some(2)),
                page(&[], Some(0)),
            ]),
            // `page` is ignored: page 1 again and again.
            window(vec![
                page(&["a", "b"], None),
                page(&["a", "b"], None),
                page(&[], None),
            ]),
            // Rows move between pages: one seen twice, another never.
            window(vec![
                page(&["a", "b"], Some(4)),
                page(&["b", "a"], Some(4)),
                page(&[], None),
            ]),
            // The last row of page 1 served again on page 2, another never.
            window(vec![
                page(&["a", "b"], Some(4)),
                page(&["b", "c"], Some(4)),
                page(&[], None),
            ]),
            // Never reached an empty page.
            window(vec![page(&["a"], Some(1))]),
            // Fewer rows than stated.
            window(vec![page(&["a"], Some(3)), page(&[], Some(3))]),
        ];
        for case in cases {
            assert!(case.whole().is_err(), "{case:?}");
        }
    }

    #[test]
    fn repeated_rows_are_read_once_and_the_fullest_kept() {
        let thin = row("a");
        let full: RequestRecord = serde_json::from_value(
            json!({"request_id": "a", "model_name": "m", "request_body": {}}),
        )
        .unwrap();
        let evidence = Evidence {
            windows: vec![window(vec![Page {
                rows: vec![thin, full.clone(), row("b")],
                total: None,
            }])],
            offset: Offset::UNKNOWN,
            started: At(0),
        };
        let rows = evidence.rows();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0], &full);
    }
}
