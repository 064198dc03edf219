//! `ideogram credits`: the account's credits.

use crate::args::CreditsArgs;
use crate::connect::connect;
use crate::failure::{Exit, Failure};

pub async fn run(args: CreditsArgs) -> Result<(), Failure> {
    let connection = connect(&args.connection).await?;
    let credits = connection.client.credits().await?;
    // An answer without either is not an empty account.
    if credits.credits.is_none() && credits.free_credits.is_none() {
        return Err(Failure::new(
            Exit::Api,
            "the answer holds no credits (neither `credits` nor `free_credits`)",
        ));
    }
    let paid = credits.credits.unwrap_or(0.0);
    let free = credits.free_credits.unwrap_or(0.0);
    println!("{:.4}", paid + free);
    eprintln!("credits: ${paid:.4}, free credits: ${free:.4}");
    Ok(())
}
