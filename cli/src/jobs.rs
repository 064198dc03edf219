//! `ideogram jobs status|wait ID`: queued jobs submitted earlier, by id.

use crate::args::{JobStatusArgs, JobWaitArgs};
use crate::connect::connect;
use crate::failure::Failure;
use crate::generate::{save, wait_options, wait_with_progress};
use crate::paths::check_output_file;

pub async fn status(args: JobStatusArgs) -> Result<(), Failure> {
    let connection = connect(&args.connection).await?;
    let status = connection.client.job(args.id.trim())?.status().await?;
    println!(
        "{}",
        serde_json::to_string_pretty(&status).unwrap_or_default()
    );
    Ok(())
}

pub async fn wait(args: JobWaitArgs) -> Result<(), Failure> {
    check_output_file(&args.out)?;
    let connection = connect(&args.connection).await?;
    let job = connection.client.job(args.id.trim())?;
    let image = wait_with_progress(&job, wait_options(&connection.client, &args.wait)).await?;
    save(&image, &args.out)
}
