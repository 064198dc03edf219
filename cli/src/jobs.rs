//! `ideogram jobs status|wait ID`: queued jobs submitted earlier, by id.

use std::path::PathBuf;

use clap::ArgMatches;

use crate::connect::{Target, connect};
use crate::failure::Failure;
use crate::generate::{save, wait_options, wait_with_progress};

pub async fn status(m: &ArgMatches) -> Result<(), Failure> {
    let connection = connect(&Target::from_matches(m)).await?;
    let id = m
        .get_one::<String>("id")
        .map(String::as_str)
        .unwrap_or_default();
    let status = connection.client.job(id)?.status().await?;
    println!(
        "{}",
        serde_json::to_string_pretty(&status).unwrap_or_default()
    );
    Ok(())
}

pub async fn wait(m: &ArgMatches) -> Result<(), Failure> {
    let connection = connect(&Target::from_matches(m)).await?;
    let id = m
        .get_one::<String>("id")
        .map(String::as_str)
        .unwrap_or_default();
    let job = connection.client.job(id)?;
    let image = wait_with_progress(&job, wait_options(&connection.client, m)).await?;
    let out = m
        .get_one::<PathBuf>("out")
        .cloned()
        .unwrap_or_else(|| PathBuf::from("out.png"));
    save(&image, &out)
}
