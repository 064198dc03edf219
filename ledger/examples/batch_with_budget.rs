//! A crate that generates images for its own users, with the money
//! guarantees of `ideogram batch`: a durable ledger, a budget that holds
//! even when prices lie, a rerun that never pays twice and never loses a
//! paid image. Runs offline against the mock (or against Segmind when
//! `SEGMIND_API_KEY` is set).
//!
//! ```text
//! cargo run -p segmind-ideogram-ledger --example batch_with_budget
//! ```
//! Run it twice: the second run finds every image done and pays nothing.

use std::sync::Arc;

use segmind_ideogram::{AnyRequest, Client, IdeogramTurboImg2ImgRequest, Pacer};
use segmind_ideogram_ledger::{Budget, Item, Ledger, Outcome, Report, Runner, Settings, Usd};
use segmind_ideogram_mock::MockServer;

/// Prints what happens; a service would update its own records here.
struct Print;

impl Report for Print {
    fn ended(&self, id: &str, outcome: Outcome, detail: &str) {
        println!("{id}: {outcome:?} {detail}");
    }

    fn note(&self, text: &str) {
        println!("{text}");
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pacer = Pacer::per_minute(50);
    let (client, _mock) = match std::env::var("SEGMIND_API_KEY") {
        Ok(_) => (
            Client::builder()
                .api_key_from_env()
                .pacer(pacer.clone())
                .build()?,
            None,
        ),
        Err(_) => {
            let mock = MockServer::start().await?;
            let client = Client::builder()
                .api_key("offline")
                .base_url(mock.base_url())
                .wait_options(mock.wait_options())
                .pacer(pacer.clone())
                .build()?;
            (client, Some(mock))
        }
    };
    let out = std::env::temp_dir().join("segmind-ideogram-ledger-example");
    std::fs::create_dir_all(&out)?;
    // Every paid request is recorded here, durably, before it is sent.
    let ledger = Arc::new(Ledger::open_file(
        out.join("journal.jsonl"),
        Budget::at_most("0.30".parse::<Usd>()?),
    )?);
    let items = (0..8)
        .map(|i| Item {
            // Your name for the work: an order id, a user's request id.
            id: format!("variation-{i}"),
            request: AnyRequest::from(IdeogramTurboImg2ImgRequest::new(
                "https://example.com/sketch.png",
                format!("variation {i}"),
            )),
        })
        .collect();
    let runner = Runner::new(
        client,
        Some(pacer),
        Arc::clone(&ledger),
        Settings::new(&out),
        Arc::new(Print),
        items,
    )?;
    let summary = runner.run().await;
    println!(
        "{} done, {} over the budget; spent {} of {} (images in {})",
        summary.tally.done + summary.tally.already_done,
        summary.tally.over_budget,
        summary.money.spent,
        summary.money.max.unwrap_or_default(),
        out.display()
    );
    Ok(())
}
