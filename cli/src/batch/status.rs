//! `ideogram batch --status --out-dir DIR`: what the journal records, in
//! words, without sending anything (and while a batch runs there).

use segmind_ideogram_ledger::{Budget, JsonlStore, Ledger, LineState, Phase};

use super::JOURNAL;
use crate::failure::Failure;

pub fn show(out_dir: &std::path::Path) -> Result<(), Failure> {
    let path = out_dir.join(JOURNAL);
    if !path.is_file() {
        return Err(Failure::input(format!(
            "no journal in {}: no batch has run there",
            out_dir.display()
        )));
    }
    let store = JsonlStore::open_read_only(&path)
        .map_err(|e| Failure::input(format!("cannot read {}: {e}", path.display())))?;
    let ledger = Ledger::open(store, Budget::unlimited())
        .map_err(|e| Failure::input(format!("cannot read {}: {e}", path.display())))?;
    let text = ledger.with_book(|book| {
        let mut counts = [0usize; 6];
        let mut open: Vec<String> = Vec::new();
        for (key, state) in book.iter() {
            let (slot, what) = describe(state);
            counts[slot] += 1;
            if slot != 0 {
                open.push(format!("{key}: {what}"));
            }
        }
        open.sort();
        let mut text = format!(
            "{}: {} request(s): {} done, {} followed (Segmind has the job), {} sent without an \
             answer (the request history decides), {} lost (billed, image gone), {} to submit, \
             {} in progress\nspent {}, reserved {}\n",
            path.display(),
            book.len(),
            counts[0],
            counts[1],
            counts[2],
            counts[3],
            counts[4],
            counts[5],
            book.spent(),
            book.reserved(),
        );
        for line in open {
            text.push_str(&line);
            text.push('\n');
        }
        text
    });
    print!("{text}");
    Ok(())
}

/// The state's count slot and what it says.
fn describe(state: &LineState) -> (usize, String) {
    let why = state
        .last_error()
        .map(|e| format!(" (last: {e})"))
        .unwrap_or_default();
    match &state.phase {
        Phase::Done { file, cost, .. } => (0, format!("done, {file}, {cost}")),
        Phase::Accepted { job_id, .. } => (1, format!("job {job_id} followed{why}")),
        Phase::Sending { .. } => (2, "sent, no answer recorded".to_owned()),
        Phase::Uncertain { reason, .. } => (2, format!("sent, no answer: {reason}")),
        Phase::Lost { job_id, error, .. } => (3, format!("job {job_id} lost: {error}")),
        Phase::Fresh => (4, format!("to submit{why}")),
        Phase::Intended { .. } => (5, "about to be submitted".to_owned()),
    }
}
