//! Every argument whose name is known at compile time, with clap's derive
//! API: the static subcommands, and the flag groups the endpoint
//! subcommands (built from the registry) share. A misspelt argument name
//! does not compile.

use segmind_ideogram_ledger::Usd;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};

// The subcommands that are not endpoints. (A doc comment here would become
// the root command's description.)
#[derive(Debug, Subcommand)]
pub enum Static {
    /// Run many requests from a JSONL file through the queue, resumably and
    /// within a budget
    #[command(long_about = BATCH_ABOUT)]
    Batch(BatchArgs),
    /// Follow queued (v2) jobs submitted earlier
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// List endpoints, palette presets, or every value a choice flag takes
    List(ListArgs),
    /// Show the account's credits
    Credits(CreditsArgs),
    /// The local Segmind stand-in
    #[command(subcommand)]
    Mock(MockCommand),
    /// Print a shell completion script (e.g. `ideogram completions bash > ~/.local/share/bash-completion/completions/ideogram`)
    Completions(CompletionsArgs),
    /// Print the man page (roff), or with --dir write one page per command
    /// (`ideogram man --dir man1`, then `man -M . ideogram-txt-2-img`)
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write `ideogram.1` and a page per command (`ideogram-txt-2-img.1`,
    /// `ideogram-jobs-wait.1`, …) into this folder instead of printing the
    /// top page
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in
    #[arg(value_name = "SHELL", ignore_case = true)]
    pub shell: clap_complete::Shell,
}

const BATCH_ABOUT: &str = "Run many requests from a JSONL file: one {\"endpoint\": \"txt-2-img\", \
\"request\": {...}} object per line (an optional \"id\" names the output file). Lines run \
through the queue (v2) with bounded concurrency. A line without an \"id\" is named after its \
request, so editing the file renames no other line.\n\n\
A spend journal in the output folder records, synced to disk, the intent to submit, each \
attempt right before it is sent, the job id as soon as Segmind answers, then the outcome and \
the cost. \
A rerun skips finished lines and resumes submitted ones; a line whose submission may have \
reached Segmind without its id being recorded is looked up in Segmind's request history \
before anything is decided. Only one batch runs in a folder at a time.";

// Where to connect: Segmind with a key, or an embedded mock. (Not a doc comment: that would become
// the description of every command the group is added to.)
#[derive(Debug, Clone, Default, Args)]
pub struct ConnectionArgs {
    /// Start an embedded mock Segmind server and use it (offline, no key, no cost)
    #[arg(long, conflicts_with_all = ["base_url", "api_key_file", "allow_insecure_http"])]
    pub mock: bool,
    /// Segmind's base URL [default: https://api.segmind.com]
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Read the API key from this file instead of SEGMIND_API_KEY
    #[arg(long, value_name = "FILE")]
    pub api_key_file: Option<PathBuf>,
    /// Timeout of each HTTP request, in seconds [default: 120]
    #[arg(long, value_name = "SECONDS", value_parser = positive_seconds)]
    pub request_timeout: Option<Duration>,
    /// Allow a plain http:// --base-url to a host that is not this machine,
    /// which sends the API key in clear text
    #[arg(long)]
    pub allow_insecure_http: bool,
}

// How to wait for a queued job. (Not a doc comment: that would become
// the description of every command the group is added to.)
#[derive(Debug, Clone, Args)]
pub struct WaitArgs {
    /// Seconds between status checks of a queued job [default: adaptive:
    /// from half the endpoint's typical latency, every second or two (half
    /// the requests of Segmind's SDK, at most a second later); in a batch,
    /// on the job times seen; a mock's on its announced job time]
    #[arg(long, value_name = "SECONDS", value_parser = positive_seconds)]
    pub poll_interval: Option<Duration>,
    /// Give up waiting for a queued job after this many seconds (the job
    /// goes on; `ideogram jobs wait ID` picks it up)
    #[arg(long, value_name = "SECONDS", value_parser = positive_seconds, default_value = "600")]
    pub wait_timeout: Duration,
}

// What an endpoint subcommand does besides its request members. (Not a doc comment: that would become
// the description of every command the group is added to.)
#[derive(Debug, Clone, Args)]
pub struct EndpointArgs {
    /// Read the request from a JSON file (flags given too override its members); - reads stdin
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Use the synchronous API (v1): one request that answers with the image.
    /// By default the queue (v2) is used: the job id is known before any
    /// money is at risk, so an interruption never loses a paid image
    #[arg(long)]
    pub sync: bool,
    /// The queue is the default now; kept so that older scripts still run.
    #[arg(long = "async", hide = true, conflicts_with = "sync")]
    pub queued: bool,
    /// Print the validated JSON payload and the estimated cost; send nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Send local image files inline as data: URIs instead of uploading them
    /// to Segmind's storage first (Segmind documents the upload)
    #[arg(long)]
    pub inline_images: bool,
}

// Where the image goes. (Not a doc comment: that would become the
// description of every command the group is added to.)
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Where to save the image; the extension follows the real format (a PNG
    /// asked as `out.jpg` is saved as `out.png`) [default: a name of its own
    /// per job] (each command says which)
    #[arg(long, short = 'o', value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Replace the file at --out if there is one. Without it an existing
    /// file (at --out, or where the real format puts the image) is refused
    /// before anything is sent; a file at another path than --out is never
    /// replaced: the image gets a free name (`out-1.png`)
    #[arg(long)]
    pub overwrite: bool,
}

#[derive(Debug, Args)]
pub struct BatchArgs {
    /// The JSONL file: one {"endpoint": ..., "request": {...}} per line
    #[arg(value_name = "FILE.jsonl", required_unless_present = "status")]
    pub file: Option<PathBuf>,
    /// Where images and the journal go
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
    /// Show what the journal in --out-dir records (each request not done,
    /// and the money) and send nothing; works while a batch runs there
    #[arg(long)]
    pub status: bool,
    /// Check every line and print the plan (lines done, to submit, to
    /// follow, for the request history to decide; the estimated cost and
    /// the budget) without sending anything
    #[arg(long)]
    pub dry_run: bool,
    /// Run the valid lines of a file that has invalid ones (without it, any
    /// invalid line stops the batch before anything is sent, exit 2)
    #[arg(long)]
    pub skip_invalid: bool,
    /// Submissions in flight at once (POSTs; accepted jobs are then followed
    /// without holding a place)
    #[arg(long, short = 'j', value_name = "N", default_value = "4",
          value_parser = clap::value_parser!(u32).range(1..=256))]
    pub concurrency: u32,
    /// Never commit more than this many US dollars to the batch (across
    /// reruns): each submission reserves the endpoint's documented price
    /// until Segmind reports the real cost
    #[arg(long, value_name = "USD", value_parser = dollars)]
    pub max_spend: Option<Usd>,
    /// Submissions per minute: pace the batch so that a key used by nothing
    /// else never sees a 429 [default: learn the limit from the first 429]
    #[arg(long, value_name = "PER_MINUTE",
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub rate_limit: Option<u32>,
    /// Start without comparing the batch's estimated cost with the account's credits
    #[arg(long)]
    pub no_credit_check: bool,
    /// Submit lines whose earlier submission could not be confirmed or ruled
    /// out in Segmind's request history (this may pay twice for them)
    #[arg(long)]
    pub resubmit_unresolved: bool,
    /// The window --rate-limit counts over, and a 429 teaches a rate over,
    /// in seconds (Segmind's is a minute)
    #[arg(long, value_name = "SECONDS", value_parser = seconds, default_value = "60")]
    pub rate_window: Duration,
    /// How long Segmind's request history may take to show a request, in
    /// seconds: a submission not found sooner is not taken as absent
    #[arg(long, value_name = "SECONDS", value_parser = seconds, default_value = "60")]
    pub history_grace: Duration,
    #[command(flatten)]
    pub wait: WaitArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Print a job's status as JSON
    Status(JobStatusArgs),
    /// Wait for a job and save its image
    Wait(JobWaitArgs),
}

#[derive(Debug, Args)]
pub struct JobStatusArgs {
    /// The job's id, as printed when it was submitted
    #[arg(value_name = "REQUEST_ID")]
    pub id: String,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

#[derive(Debug, Args)]
pub struct JobWaitArgs {
    /// The job's id, as printed when it was submitted
    #[arg(value_name = "REQUEST_ID")]
    pub id: String,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub wait: WaitArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// What to list: the endpoints, the palette presets, or every value of
    /// a choice member (in the plural)
    #[arg(value_name = "WHAT", default_value = "endpoints")]
    pub what: String,
}

#[derive(Debug, Args)]
pub struct CreditsArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

#[derive(Debug, Subcommand)]
pub enum MockCommand {
    /// Serve the mock on 127.0.0.1 until interrupted
    Serve(Box<ServeArgs>),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The port on 127.0.0.1 (0 picks a free one, printed on stdout)
    #[arg(long, value_name = "N", default_value = "0")]
    pub port: u16,
    /// Accept only this key [default: any non-empty key]
    #[arg(long, value_name = "KEY")]
    pub api_key: Option<String>,
    /// How long a queued job stays QUEUED, in milliseconds
    #[arg(long, value_name = "MS", default_value = "50")]
    pub queued_ms: u64,
    /// How long a job then stays PROCESSING, in milliseconds (the least, with --processing-max-ms)
    #[arg(long, value_name = "MS", default_value = "150")]
    pub processing_ms: u64,
    /// Draw each job's processing time uniformly up to this many milliseconds
    #[arg(long, value_name = "MS")]
    pub processing_max_ms: Option<u64>,
    /// Do not announce the job times (the x-mock-job-ms header), so that clients poll as they would Segmind
    #[arg(long)]
    pub no_announce: bool,
    /// Answer 429 past this many submissions per window
    #[arg(long, value_name = "N")]
    pub rate_limit: Option<u32>,
    /// The rate limit's window, in seconds (Segmind's is a minute)
    #[arg(long, value_name = "SECONDS", value_parser = seconds, default_value = "60")]
    pub rate_window: Duration,
    /// Share (0 to 1) of API answers that are 500/502/503/504
    #[arg(long, value_name = "SHARE", value_parser = share)]
    pub error_rate: Option<f64>,
    /// Share (0 to 1) of image answers cut mid-body
    #[arg(long, value_name = "SHARE", value_parser = share)]
    pub drop_rate: Option<f64>,
    /// Delay added to every API answer, in milliseconds
    #[arg(long, value_name = "MS")]
    pub latency_ms: Option<u64>,
    /// Queue and charge each submitted job at once, but answer with its id only this many milliseconds later
    #[arg(long, value_name = "MS")]
    pub accepted_answer_delay_ms: Option<u64>,
    /// Fail jobs whose prompt contains WORD
    #[arg(long, value_name = "WORD")]
    pub fail_word: Option<String>,
    /// Credits the account starts with
    #[arg(long, value_name = "USD", value_parser = dollars)]
    pub credits: Option<Usd>,
    /// Seed of injected faults and ids [default: a new one each start, so a restarted server repeats no job id]
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Send this Retry-After with every 429, whatever it says (e.g. 999999999)
    #[arg(long, value_name = "VALUE")]
    pub retry_after: Option<String>,
    /// Share (0 to 1) of status and result answers that are an HTML page with status 200
    #[arg(long, value_name = "SHARE", value_parser = share)]
    pub garbage_poll_rate: Option<f64>,
    /// How long a request takes to appear in the request history, in milliseconds
    #[arg(long, value_name = "MS")]
    pub history_lag_ms: Option<u64>,
    /// Answer the request history with 503, as an outage would
    #[arg(long)]
    pub history_outage: bool,
    /// Answer 410 Gone to this endpoint's slug (repeat for several), as for a retired model
    #[arg(long, value_name = "SLUG")]
    pub retired: Vec<String>,
    /// Refuse calls with 406 once this many US dollars are spent (a team spend limit)
    #[arg(long, value_name = "USD", value_parser = dollars)]
    pub spend_limit: Option<Usd>,
    /// Charge this many US dollars for every call, whatever the documents say
    #[arg(long, value_name = "USD", value_parser = dollars)]
    pub real_price: Option<Usd>,
    /// Run the request history's clock this many milliseconds ahead (behind when negative)
    #[arg(long, value_name = "MS", allow_negative_numbers = true)]
    pub history_clock_skew_ms: Option<i64>,
    /// Write the history's dates without a zone, as local time this many minutes east of UTC
    #[arg(long, value_name = "MINUTES", allow_negative_numbers = true,
          value_parser = clap::value_parser!(i32).range(-720..=840))]
    pub history_zoneless: Option<i32>,
    /// Read the history's from_date and to_date as days of the zone this many minutes east of UTC
    #[arg(long, value_name = "MINUTES", allow_negative_numbers = true,
          value_parser = clap::value_parser!(i32).range(-720..=840))]
    pub history_day_zone: Option<i32>,
    /// Name models in the history with this prefix (e.g. segmind/)
    #[arg(long, value_name = "PREFIX")]
    pub history_model_prefix: Option<String>,
    /// Leave this member out of the bodies the history records (repeat for several)
    #[arg(long, value_name = "MEMBER")]
    pub history_omits: Vec<String>,
    /// How the history pages its rows
    #[arg(long, value_name = "HOW", value_enum, default_value = "honest")]
    pub history_paging: PagingArg,
    /// List each request this many times in the history (once per output)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub history_rows_per_request: Option<u32>,
    /// Put at most this many rows on a history page, whatever per_page asks
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub history_page_cap: Option<u64>,
    /// The shapes of the answers: as Segmind's docs show them, or as Segmind
    /// is seen to answer (hex ids, images as objects, FAILED without
    /// request_id, 402 for a queued submission without credits)
    #[arg(long, value_name = "SHAPES", value_enum, default_value_t = AnswerShapes::Documented)]
    pub answers: AnswerShapes,
}

/// `ideogram mock serve --answers`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AnswerShapes {
    /// As Segmind's docs show them
    Documented,
    /// As Segmind is seen to answer in the wild
    Realistic,
}

/// `--history-paging`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PagingArg {
    /// page and per_page as asked, total the rows in all
    Honest,
    /// total is the rows of the page
    CountPerPage,
    /// every answer is the first page
    IgnoresPage,
    /// the order of the rows changes from one request to the next
    Unstable,
}

/// The longest duration a flag takes: a year.
const MAX_SECONDS: f64 = 365.0 * 24.0 * 3600.0;

/// A duration in seconds: finite, not negative, at most a year.
pub fn seconds(text: &str) -> Result<Duration, String> {
    let value = number(text, "a number of seconds")?;
    if value > MAX_SECONDS {
        return Err(format!("`{text}` seconds is more than a year"));
    }
    Ok(Duration::from_secs_f64(value))
}

/// A duration in seconds that must be more than none: a poll every 0 s
/// would hammer the server, a timeout of 0 s gives up at once.
pub fn positive_seconds(text: &str) -> Result<Duration, String> {
    let duration = seconds(text)?;
    if duration < MIN_DURATION {
        return Err(format!(
            "`{text}` seconds is too short (at least {} s)",
            MIN_DURATION.as_secs_f64()
        ));
    }
    Ok(duration)
}

/// The shortest interval or timeout a flag takes.
const MIN_DURATION: Duration = Duration::from_millis(10);

/// An amount of US dollars, exact to the micro-dollar.
pub fn dollars(text: &str) -> Result<Usd, String> {
    text.parse()
}

/// A share between 0 and 1.
pub fn share(text: &str) -> Result<f64, String> {
    let value = number(text, "a share between 0 and 1")?;
    if value > 1.0 {
        return Err(format!("`{text}` is not a share between 0 and 1"));
    }
    Ok(value)
}

fn number(text: &str, what: &str) -> Result<f64, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not {what}"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!("`{text}` is not {what} (finite, not negative)"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_finite_and_not_negative() {
        assert_eq!(seconds("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(seconds("0"), Ok(Duration::ZERO));
        assert_eq!(positive_seconds("0.02"), Ok(Duration::from_millis(20)));
        for bad in ["0", "0.0", "0.001", "-0"] {
            assert!(positive_seconds(bad).is_err(), "{bad}");
        }
        for bad in ["NaN", "inf", "-1", "1e300", "soon", ""] {
            assert!(seconds(bad).is_err(), "{bad}");
        }
        assert_eq!(dollars("2.50"), Ok(Usd::from_micros(2_500_000)));
        assert!(dollars("-0.01").is_err());
        assert!(share("1.5").is_err());
        assert_eq!(share("0.25"), Ok(0.25));
    }
}
