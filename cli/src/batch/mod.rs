//! `ideogram batch`: many requests from a JSONL file through Segmind's
//! queue. A thin driver over the spend ledger's runner
//! (`segmind_ideogram_ledger::Runner`), which decides every money question
//! and does the work: this reads the lines, renders progress, turns Ctrl-C
//! into an interruption and the summary into an exit code.

use std::sync::Arc;

use segmind_ideogram::{Pacer, RetryPolicy};
use segmind_ideogram_ledger::runner::preview;
use segmind_ideogram_ledger::{
    Budget, JsonlStore, Ledger, Outcome, Runner, Settings, Stop, Store, StoreError, Summary,
};

use crate::args::BatchArgs;
use crate::connect::connect_with;
use crate::failure::{Exit, Failure};
use crate::lines;
use crate::paths;
use crate::progress::BatchProgress;
use crate::signals::interrupted;

/// The ledger's file in the output folder.
pub const JOURNAL: &str = "journal.jsonl";

/// Attempts the client makes of one call (connection failures, 429s, GETs).
const ATTEMPTS: u32 = 6;

mod status;

pub async fn run(args: BatchArgs) -> Result<(), Failure> {
    if args.status {
        return status::show(&args.out_dir);
    }
    let Some(file) = &args.file else {
        return Err(Failure::input("give the JSONL file of the batch"));
    };
    // The whole file is checked before anything is paid for.
    let scan = lines::scan(file)?;
    if !scan.invalid.is_empty() && !args.skip_invalid {
        for bad in &scan.invalid {
            eprintln!("line {} ({}): {}", bad.number, bad.id, bad.reason);
        }
        return Err(Failure::input(format!(
            "{} of the lines of {} cannot run (listed above); nothing was sent \
             (--skip-invalid runs the others)",
            scan.invalid.len(),
            file.display()
        )));
    }
    let budget = args
        .max_spend
        .map_or_else(Budget::unlimited, Budget::at_most);
    if args.dry_run {
        return dry_run(&args, &scan, budget);
    }
    paths::prepare_out_dir(&args.out_dir)?;
    let ledger = match Ledger::open_file(args.out_dir.join(JOURNAL), budget) {
        Ok(ledger) => Arc::new(ledger),
        Err(segmind_ideogram_ledger::LedgerError::Store(StoreError::Locked(_))) => {
            return Err(Failure::input(format!(
                "another `ideogram batch` is running in {}; wait for it to finish or use \
                 another --out-dir",
                args.out_dir.display()
            )));
        }
        Err(e) => {
            return Err(Failure::input(format!(
                "cannot open the journal in {}: {e}",
                args.out_dir.display()
            )));
        }
    };
    let pacer = match args.rate_limit {
        Some(limit) => Pacer::per_window(limit, args.rate_window),
        None => Pacer::new().learning_over(args.rate_window),
    };
    let connection = connect_with(&args.connection, |builder| {
        builder
            .pacer(pacer.clone())
            .retry_policy(RetryPolicy::new().max_attempts(ATTEMPTS))
    })
    .await?;
    let client = connection.client.clone();
    let settings = Settings {
        concurrency: args.concurrency as usize,
        wait: crate::generate::wait_options(&client, &args.wait),
        history_grace: args.history_grace,
        resubmit_unresolved: args.resubmit_unresolved,
        credit_check: !args.no_credit_check,
        ..Settings::new(&args.out_dir)
    };
    let lines::Scan {
        entries,
        numbers,
        invalid,
    } = scan;
    let progress = Arc::new(BatchProgress::new(Arc::clone(&ledger), pacer.clone()));
    let runner = Runner::streaming(
        client,
        Some(pacer),
        Arc::clone(&ledger),
        settings,
        progress.clone(),
        entries,
        Arc::new(lines::JsonlSource::new(file, numbers)),
    );
    progress.set_total((runner.total() + invalid.len()) as u64);
    report_repairs(&ledger, &progress);
    for bad in &invalid {
        progress.invalid(&bad.id, &format!("line {}: {}", bad.number, bad.reason));
    }
    // Ctrl-C or SIGTERM: every wait ends, the run returns within a second.
    let interrupt = {
        let runner = runner.clone();
        tokio::spawn(async move {
            interrupted().await;
            runner.interrupt();
        })
    };
    let summary = runner.run().await;
    interrupt.abort();
    progress.finish();
    outcome(&summary, invalid.len() as u64, &progress)
}

/// `--dry-run`: what the batch would do now, from the journal alone (read
/// without its lock); nothing is sent, nothing written.
fn dry_run(args: &BatchArgs, scan: &lines::Scan, budget: Budget) -> Result<(), Failure> {
    let path = args.out_dir.join(JOURNAL);
    let ledger = if path.is_file() {
        let store = JsonlStore::open_read_only(&path)
            .map_err(|e| Failure::input(format!("cannot read {}: {e}", path.display())))?;
        Ledger::open(store, budget)
            .map_err(|e| Failure::input(format!("cannot read {}: {e}", path.display())))?
    } else {
        Ledger::open(NoStore, budget).map_err(|e| Failure::input(format!("cannot plan: {e}")))?
    };
    let plan = preview(&ledger, &scan.entries, &args.out_dir);
    let room = match plan.money.room() {
        Some(room) => format!("; the budget has {room} left"),
        None => String::new(),
    };
    println!(
        "{} line(s): {} done, {} to submit (may cost up to {}{room}), {} paid job(s) to \
         follow, {} attempt(s) for the request history to decide, {} image(s) to fetch again \
         or move back, {} lost, {} invalid{}; spent so far {}",
        scan.entries.len() + scan.invalid.len(),
        plan.done,
        plan.submit,
        plan.estimate,
        plan.follow,
        plan.ask_history,
        plan.images_to_mend,
        plan.lost,
        scan.invalid.len(),
        if scan.invalid.is_empty() {
            ""
        } else {
            " (skipped)"
        },
        plan.money.spent,
    );
    println!("nothing was sent (--dry-run)");
    Ok(())
}

/// A ledger with no records yet, for a dry run in a folder without one.
struct NoStore;

impl Store for NoStore {
    fn replay(
        &mut self,
        _sink: &mut dyn FnMut(segmind_ideogram_ledger::Event),
    ) -> Result<(), StoreError> {
        Ok(())
    }

    fn append(&mut self, _event: &segmind_ideogram_ledger::Event) -> Result<(), StoreError> {
        Err(StoreError::Format("a dry run records nothing".into()))
    }

    fn location(&self) -> String {
        "(none)".into()
    }
}

/// The summary line, and the exit code it means.
fn outcome(summary: &Summary, invalid: u64, progress: &BatchProgress) -> Result<(), Failure> {
    let t = &summary.tally;
    println!(
        "batch: {} done ({} from an earlier run), {} failed, {} pending, {} unresolved, {} \
         over the budget, {} not submitted; {} reconciled from Segmind's request history; {}",
        t.done + t.already_done,
        t.already_done,
        t.failed + invalid,
        t.pending,
        t.unresolved,
        t.over_budget,
        t.not_run,
        t.reconciled,
        progress.money_text()
    );
    match &summary.stop {
        Some(Stop::Interrupted) => {
            return Err(Failure::new(
                Exit::Interrupted,
                "interrupted: rerun the same command to resume",
            ));
        }
        Some(Stop::Fatal(reason)) => {
            return Err(Failure::new(Exit::Api, format!("batch stopped: {reason}")));
        }
        None => {}
    }
    if let Some(refused) = &summary.refused {
        return Err(Failure::new(
            Exit::Budget,
            format!("{refused} (--no-credit-check skips this check)"),
        ));
    }
    if t.over_budget > 0 {
        let max = summary.money.max.unwrap_or_default();
        return Err(Failure::new(
            Exit::Budget,
            format!(
                "{} line(s) left unsubmitted by the {max:.2} budget (listed above)",
                t.over_budget
            ),
        ));
    }
    let open = t.open() + invalid;
    if open > 0 {
        return Err(Failure::new(
            Exit::BatchFailures,
            format!("{open} line(s) not done (listed above); rerun to resume or retry them"),
        ));
    }
    Ok(())
}

fn report_repairs(ledger: &Ledger, progress: &BatchProgress) {
    use segmind_ideogram_ledger::Report as _;
    let repairs = ledger.repairs();
    if repairs.torn_bytes > 0 {
        progress.note(&format!(
            "journal: cut off a torn last record ({} bytes): a write interrupted by a kill",
            repairs.torn_bytes
        ));
    }
    if repairs.skipped > 0 {
        progress.note(&format!(
            "journal: skipped {} line(s) that are not records",
            repairs.skipped
        ));
    }
    if let Some(version) = repairs.migrated_from {
        progress.note(&format!(
            "journal: migrated from format version {version} (the original is kept as \
             {JOURNAL}.v{version})"
        ));
    }
}

/// Keeps the outcome names in one place for the progress's wording.
pub fn describe(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Done => "done",
        Outcome::AlreadyDone => "done earlier",
        Outcome::Failed => "failed",
        Outcome::Pending => "not finished (a rerun resumes its job)",
        Outcome::Unresolved => "unresolved",
        Outcome::OverBudget => "not submitted: over the budget",
        Outcome::NotRun => "not submitted",
    }
}
