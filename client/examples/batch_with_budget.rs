//! Many requests at once, paced, within a budget: each submission reserves
//! the endpoint's documented price, and the reservation becomes the cost
//! Segmind reports when the job ends. (The `ideogram batch` command does
//! this with a journal, so that a rerun never pays twice.)
//!
//! ```text
//! cargo run -p segmind-ideogram --example batch_with_budget
//! ```

use std::sync::{Arc, Mutex};

use segmind_ideogram::{Client, Endpoint, IdeogramTurboImg2ImgRequest, Pacer};
use segmind_ideogram_mock::MockServer;
use tokio::task::JoinSet;

const BUDGET_USD: f64 = 0.30;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockServer::start().await?;
    let pacer = Pacer::per_minute(50);
    let client = Client::builder()
        .api_key("offline")
        .base_url(mock.base_url())
        .wait_options(mock.wait_options())
        .pacer(pacer.clone())
        .build()?;
    let price = IdeogramTurboImg2ImgRequest::INFO
        .price_usd
        .map_or(0.1, |p| p.max_usd);
    // Spent, and reserved by jobs not yet ended.
    let money = Arc::new(Mutex::new((0.0_f64, 0.0_f64)));

    let mut jobs = JoinSet::new();
    for i in 0..8 {
        {
            let mut m = money.lock().unwrap();
            if m.0 + m.1 + price > BUDGET_USD {
                println!("request {i}: not sent, it would pass the ${BUDGET_USD} budget");
                continue;
            }
            m.1 += price;
        }
        let (client, money) = (client.clone(), Arc::clone(&money));
        jobs.spawn(async move {
            let request = IdeogramTurboImg2ImgRequest::new(
                "https://example.com/sketch.png",
                format!("variation {i}"),
            );
            let outcome = client.generate(&request).await;
            let mut m = money.lock().unwrap();
            m.1 -= price;
            // Charged: the reported cost, else (to be safe) the price.
            if let Ok(image) = &outcome {
                m.0 += image.metadata().cost.unwrap_or(price);
            }
            (i, outcome.map(|image| image.bytes().len()))
        });
    }
    while let Some(done) = jobs.join_next().await {
        let (i, outcome) = done?;
        println!("request {i}: {outcome:?}");
    }
    let spent = money.lock().unwrap().0;
    println!(
        "spent ${spent:.3} of ${BUDGET_USD}; {} submissions",
        mock.jobs_submitted()
    );
    assert!(spent <= BUDGET_USD);
    Ok(())
}
