//! `ideogram credits`: the account's credits.

use crate::args::CreditsArgs;
use crate::connect::connect;
use crate::failure::{Exit, Failure};

pub async fn run(args: CreditsArgs) -> Result<(), Failure> {
    let connection = connect(&args.connection).await?;
    let credits = connection.client.credits().await?;
    let Some(total) = credits.stated_total() else {
        return Err(Failure::new(
            Exit::Api,
            "the answer holds no credits (neither `credits` nor `free_credits`)",
        ));
    };
    println!("{total:.4}");
    let (paid, free) = (
        credits.credits.unwrap_or(0.0),
        credits.free_credits.unwrap_or(0.0),
    );
    eprintln!("credits: ${paid:.4}, free credits: ${free:.4}");
    Ok(())
}
