//! `ideogram mock serve`: the mock server as a standalone process.

use std::time::Duration;

use segmind_ideogram_mock::{Answers, HistoryPaging, MockServer};

use crate::args::{AnswerShapes, PagingArg, ServeArgs};
use crate::failure::Failure;

pub async fn run(args: ServeArgs) -> Result<(), Failure> {
    let ms = Duration::from_millis;
    let queued = ms(args.queued_ms);
    let processing = ms(args.processing_ms);
    let mut builder = MockServer::builder().port(args.port);
    builder = match args.processing_max_ms {
        Some(max) => builder.job_latency_range(queued, processing, ms(max)),
        None => builder.job_latency(queued, processing),
    };
    builder = builder.announce(!args.no_announce);
    if let Some(key) = args.api_key {
        builder = builder.api_key(key);
    }
    if let Some(limit) = args.rate_limit {
        builder = builder.rate_limit(limit, args.rate_window);
    }
    if let Some(rate) = args.error_rate {
        builder = builder.server_error_rate(rate);
    }
    if let Some(rate) = args.drop_rate {
        builder = builder.drop_rate(rate);
    }
    if let Some(latency) = args.latency_ms {
        builder = builder.added_latency(ms(latency));
    }
    if let Some(delay) = args.accepted_answer_delay_ms {
        builder = builder.accepted_answer_delay(ms(delay));
    }
    if let Some(word) = args.fail_word {
        builder = builder.fail_word(word);
    }
    if let Some(credits) = args.credits {
        builder = builder.initial_credits(credits.as_dollars());
    }
    builder = builder.seed(args.seed.unwrap_or_else(fresh_seed));
    if let Some(value) = args.retry_after {
        builder = builder.retry_after(value);
    }
    if let Some(rate) = args.garbage_poll_rate {
        builder = builder.garbage_poll_rate(rate);
    }
    if let Some(lag) = args.history_lag_ms {
        builder = builder.history_lag(ms(lag));
    }
    if let Some(limit) = args.spend_limit {
        builder = builder.spend_limit(limit.as_dollars());
    }
    if let Some(price) = args.real_price {
        builder = builder.real_price(price.as_dollars());
    }
    if let Some(skew) = args.history_clock_skew_ms {
        builder = builder.history_clock_skew(skew);
    }
    if let Some(minutes) = args.history_zoneless {
        builder = builder.history_zoneless(minutes);
    }
    if let Some(minutes) = args.history_day_zone {
        builder = builder.history_day_zone(minutes);
    }
    if let Some(prefix) = args.history_model_prefix {
        builder = builder.history_model_prefix(prefix);
    }
    for member in args.history_omits {
        builder = builder.history_omits(member);
    }
    builder = builder.history_paging(match args.history_paging {
        PagingArg::Honest => HistoryPaging::Honest,
        PagingArg::CountPerPage => HistoryPaging::CountPerPage,
        PagingArg::IgnoresPage => HistoryPaging::IgnoresPage,
        PagingArg::Unstable => HistoryPaging::Unstable,
    });
    if let Some(rows) = args.history_rows_per_request {
        builder = builder.history_rows_per_request(rows);
    }
    if let Some(cap) = args.history_page_cap {
        builder = builder.history_page_cap(cap);
    }
    for slug in args.retired {
        builder = builder.retired(slug);
    }
    builder = builder.history_outage(args.history_outage);
    builder = builder.answers(match args.answers {
        AnswerShapes::Documented => Answers::documented(),
        AnswerShapes::Realistic => Answers::realistic(),
    });
    let server = builder
        .start()
        .await
        .map_err(|e| Failure::input(format!("cannot start the mock server: {e}")))?;
    println!("{}", server.base_url());
    eprintln!(
        "mock Segmind listening on {} (Python SDK base_url: {}); Ctrl-C or SIGTERM stops it",
        server.base_url(),
        server.v1_url()
    );
    tokio::select! {
        () = crate::signals::interrupted() => {}
        result = server.wait() => {
            result.map_err(|e| Failure::input(format!("mock server stopped: {e}")))?;
        }
    }
    Ok(())
}

/// A seed of its own for each mock the command starts: a restarted server
/// (or the next `--mock` run) must not hand out the last one's job ids.
pub fn fresh_seed() -> u64 {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one(std::process::id())
}
