//! What the ledger says to do with each line before anything is sent:
//! done (its image where it belongs), follow a job Segmind has, fetch a
//! done image again (its file is missing), submit, or ask the request
//! history (its last attempt may have reached Segmind). Jobs of requests no
//! longer in the input are followed too: they are paid for.

use std::path::Path;

use crate::{Book, Key, Phase};

use super::Entry;
use super::names::{earlier_stem, stem, stray_stem};
use super::positions::Positions;

/// A job to follow to its image.
#[derive(Debug, Clone)]
pub struct Follow {
    pub key: Key,
    pub job_id: String,
    /// The stem of its image's file name.
    pub stem: String,
    pub kind: Kind,
}

/// Why a job is followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// Segmind has its key's job: wait, fetch, record.
    Job,
    /// Its image was saved once and the file is gone: fetch it again.
    Refetch,
    /// A second job the ledger names for one request (it was damaged): its
    /// image is fetched and saved, but the ledger holds the other job.
    Stray,
}

impl Follow {
    /// The name a line of the report shows.
    pub fn label(&self) -> &str {
        &self.stem
    }
}

/// The work the ledger's states call for.
#[derive(Debug, Default)]
pub struct Plan {
    /// Lines done by an earlier run, their images in place.
    pub done: Vec<usize>,
    /// Done lines whose image is elsewhere in the folder (an earlier
    /// request of the line took its name): moved back before anything else.
    pub restore: Vec<(usize, String)>,
    /// Billed lines whose images can no longer be fetched: job and why.
    pub lost: Vec<(usize, String, String)>,
    pub follow: Vec<Follow>,
    /// Lines to submit.
    pub submit: Vec<usize>,
    /// Jobs followed, and attempts asked about, for requests no longer in
    /// the input (each reported as a line).
    pub orphans: usize,
    pub notes: Vec<String>,
}

impl Plan {
    pub fn new(book: &Book, entries: &[Entry], index: &Positions, out_dir: &Path) -> Self {
        let mut plan = Plan::default();
        for (i, entry) in entries.iter().enumerate() {
            let key = entry.key.clone();
            let Some(state) = book.get(&key) else {
                plan.submit.push(i);
                continue;
            };
            match &state.phase {
                Phase::Done { file, job_id, .. } => {
                    if !file.is_empty() && out_dir.join(&**file).is_file() {
                        if stem(file) == &*key.line {
                            plan.done.push(i);
                        } else {
                            plan.restore.push((i, file.to_string()));
                        }
                    } else {
                        plan.notes.push(format!(
                            "{}: its image {} is missing; fetching it again",
                            key.line,
                            if file.is_empty() { "file" } else { file }
                        ));
                        plan.follow.push(Follow {
                            stem: key.line.to_string(),
                            key,
                            job_id: job_id.to_string(),
                            kind: Kind::Refetch,
                        });
                    }
                }
                Phase::Lost { job_id, error, .. } => {
                    plan.lost.push((i, job_id.to_string(), error.to_string()));
                }
                Phase::Accepted { job_id, .. } => plan.follow.push(Follow {
                    stem: key.line.to_string(),
                    key,
                    job_id: job_id.to_string(),
                    kind: Kind::Job,
                }),
                // The request history decides (see `settle`).
                Phase::Sending { .. } | Phase::Uncertain { .. } => {}
                Phase::Fresh | Phase::Intended { .. } => plan.submit.push(i),
            }
        }
        // Requests no longer in the input: their jobs are paid for.
        let mut orphans: Vec<(&Key, String)> = book
            .iter()
            .filter(|(key, _)| !index.contains(entries, key))
            .filter_map(|(key, state)| match &state.phase {
                Phase::Accepted { job_id, .. } => Some((key, job_id.to_string())),
                _ => None,
            })
            .collect();
        orphans.sort();
        for (key, job_id) in orphans {
            let stem = earlier_stem(key);
            plan.notes.push(format!(
                "{}: job {job_id} was submitted for a request no longer in the input; fetching \
                 it as {stem}",
                key.line
            ));
            plan.follow.push(Follow {
                key: key.clone(),
                job_id,
                stem,
                kind: Kind::Job,
            });
            plan.orphans += 1;
        }
        // Attempts of such requests are asked about like the lines' own.
        plan.orphans += book
            .iter()
            .filter(|(key, state)| !index.contains(entries, key) && state.is_dangling())
            .count();
        for stray in book.strays() {
            let stem = stray_stem(&stray.key, &stray.job_id);
            plan.notes.push(format!(
                "{}: the ledger names a second job, {}, for one request; fetching it as {stem}",
                stray.key.line, stray.job_id
            ));
            plan.follow.push(Follow {
                key: stray.key.clone(),
                job_id: stray.job_id.clone(),
                stem,
                kind: Kind::Stray,
            });
            plan.orphans += 1;
        }
        plan
    }
}
