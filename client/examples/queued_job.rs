//! A queued (v2) job, as Segmind recommends: the job id is known before any
//! money is at risk, so it is stored first; then the job is followed with
//! progress, and its image downloaded.
//!
//! ```text
//! SEGMIND_API_KEY=... cargo run -p segmind-ideogram --example queued_job
//! cargo run -p segmind-ideogram --example queued_job   # offline, against the mock
//! ```

use segmind_ideogram::{Client, IdeogramTxt2ImgRequest, JobUpdate};
use segmind_ideogram_mock::MockServer;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _mock) = match Client::from_env() {
        Ok(client) => (client, None),
        Err(_) => {
            let mock = MockServer::start().await?;
            let client = Client::builder()
                .api_key("offline")
                .base_url(mock.base_url())
                .wait_options(mock.wait_options())
                .build()?;
            (client, Some(mock))
        }
    };
    let job = client
        .submit(&IdeogramTxt2ImgRequest::new(
            "a red bicycle against a blue wall",
        ))
        .await?;
    // Keep this somewhere durable: with it the image can be fetched later,
    // even by another process (`client.resume(handle)`), for about an hour.
    let handle = serde_json::to_string(job.handle())?;
    println!("submitted {handle}");

    let result = job
        .wait_with_progress(client.wait_options(), |update: &JobUpdate| {
            println!(
                "  {} after {:.1}s ({} checks)",
                update.status,
                update.elapsed.as_secs_f64(),
                update.polls
            );
        })
        .await?;
    let image = job.output_image(&result).await?;
    let path = image.save(std::env::temp_dir().join("bicycle.png"))?;
    let cost = result.metrics.and_then(|m| m.cost);
    println!("saved {} (cost {cost:?})", path.display());
    Ok(())
}
