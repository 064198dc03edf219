//! `ideogram jobs status|wait ID`: queued jobs submitted earlier, by id.

use crate::args::{ConnectionArgs, JobStatusArgs, JobWaitArgs};
use crate::connect::connect;
use crate::failure::Failure;
use crate::generate::{default_out, save, wait_options, wait_with_progress};
use crate::paths::check_output_file;

pub async fn status(args: JobStatusArgs) -> Result<(), Failure> {
    refuse_fresh_mock(&args.connection)?;
    let connection = connect(&args.connection).await?;
    let status = connection.client.job(args.id.trim())?.status().await?;
    println!(
        "{}",
        serde_json::to_string_pretty(&status).unwrap_or_default()
    );
    Ok(())
}

pub async fn wait(args: JobWaitArgs) -> Result<(), Failure> {
    refuse_fresh_mock(&args.connection)?;
    let connection = connect(&args.connection).await?;
    // The id is checked first: it may name the output file.
    let job = connection.client.job(args.id.trim())?;
    let out = args
        .output
        .out
        .clone()
        .unwrap_or_else(|| default_out("job", Some(job.request_id())));
    check_output_file(&out, args.output.overwrite)?;
    crate::signals::note(format!(
        "job {id} goes on: `ideogram jobs wait {id}` fetches its image",
        id = job.request_id()
    ));
    let image = wait_with_progress(&job, wait_options(&connection.client, &args.wait)).await?;
    save(&image, &out, args.output.overwrite)
}

/// `--mock` starts a fresh mock server, which knows no job: following one
/// by id there cannot succeed.
fn refuse_fresh_mock(connection: &ConnectionArgs) -> Result<(), Failure> {
    if connection.mock {
        return Err(Failure::input(
            "--mock starts a fresh mock server that knows no job; run `ideogram mock serve` and pass its URL with --base-url",
        ));
    }
    Ok(())
}
