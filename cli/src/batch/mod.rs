//! `ideogram batch`: many requests from a JSONL file through Segmind's
//! queue. A thin driver over the spend ledger's runner
//! (`segmind_ideogram_ledger::Runner`), which decides every money question
//! and does the work: this reads the lines, renders progress, turns Ctrl-C
//! into an interruption and the summary into an exit code.

use std::sync::Arc;

use segmind_ideogram::{Pacer, RetryPolicy};
use segmind_ideogram_ledger::{
    Budget, Item, Ledger, Outcome, Runner, Settings, Stop, StoreError, Summary,
};

use crate::args::BatchArgs;
use crate::connect::connect_with;
use crate::failure::{Exit, Failure};
use crate::lines;
use crate::paths;
use crate::progress::BatchProgress;

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
    let (lines, invalid) = lines::read(file)?;
    paths::prepare_out_dir(&args.out_dir)?;
    let budget = args
        .max_spend
        .map_or_else(Budget::unlimited, Budget::at_most);
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
    let items: Vec<Item> = lines
        .into_iter()
        .map(|line| Item {
            id: line.id,
            request: line.request,
        })
        .collect();
    let progress = Arc::new(BatchProgress::new(Arc::clone(&ledger), pacer.clone()));
    let runner = Runner::new(
        client,
        Some(pacer),
        Arc::clone(&ledger),
        settings,
        progress.clone(),
        items,
    )
    .map_err(|e| Failure::input(format!("a request cannot be sent as JSON: {e}")))?;
    progress.set_total((runner.total() + invalid.len()) as u64);
    report_repairs(&ledger, &progress);
    for (id, error) in &invalid {
        progress.invalid(id, error);
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

/// Ctrl-C, or SIGTERM where there is one.
async fn interrupted() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
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
