//! The command tree, built from the generated endpoint registry: one
//! subcommand per endpoint, one flag per request member. A new endpoint in
//! the spec appears here with no change.

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::PossibleValuesParser;
use clap::{Arg, ArgAction, Command, value_parser};
use segmind_ideogram::{ENDPOINTS, EndpointInfo, FieldInfo, FieldShape};

/// Choice lists longer than this are not spelled out in `--help`.
const LONG_CHOICE: usize = 12;

const EXIT_CODES: &str = "Exit codes: 0 success, 2 invalid input, 3 API error or failed job, 4 network error, \
5 timeout, 6 batch finished with failed lines, 130 interrupted.";

pub fn command() -> Command {
    let mut root = Command::new("ideogram")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Generate images with the Ideogram models on Segmind")
        .long_about(
            "Generate images with the Ideogram models on Segmind.\n\n\
             The API key comes from SEGMIND_API_KEY or --api-key-file. --mock runs everything \
             against an embedded Segmind stand-in: no key, no network, no cost.",
        )
        .after_help(EXIT_CODES)
        .subcommand_required(true)
        .arg_required_else_help(true);
    for info in ENDPOINTS {
        root = root.subcommand(endpoint_command(info));
    }
    root.subcommand(batch_command())
        .subcommand(jobs_command())
        .subcommand(list_command())
        .subcommand(mock_command())
}

/// `txt-2-img` for `ideogram-txt-2-img`.
pub fn short_name(slug: &'static str) -> &'static str {
    slug.strip_prefix("ideogram-").unwrap_or(slug)
}

/// The endpoint a user named, by short name or full slug.
pub fn resolve_endpoint(name: &str) -> Option<&'static EndpointInfo> {
    ENDPOINTS
        .iter()
        .copied()
        .find(|info| info.slug == name || short_name(info.slug) == name)
}

/// `--image-file` for `image_file`.
pub fn flag_name(field: &str) -> String {
    field.replace('_', "-")
}

fn endpoint_command(info: &'static EndpointInfo) -> Command {
    let name = short_name(info.slug);
    let mut about = info.title.to_owned();
    if let Some(price) = info.price_usd {
        about.push_str(&format!(" (${}", price.min_usd));
        if price.max_usd > price.min_usd {
            about.push_str(&format!("–${}", price.max_usd));
        }
        about.push(')');
    }
    let mut cmd = Command::new(name)
        .visible_alias(info.slug)
        .about(about)
        .long_about(format!("{}\n\n{}", info.title, info.summary))
        .after_help(EXIT_CODES);
    for field in info.fields {
        cmd = cmd.arg(field_arg(field));
    }
    let cmd = cmd
        .arg(
            Arg::new("json")
                .long("json")
                .value_name("FILE")
                .value_parser(value_parser!(PathBuf))
                .help("Read the request from a JSON file (flags given too override its members); - reads stdin"),
        )
        .arg(
            Arg::new("out")
                .long("out")
                .short('o')
                .value_name("PATH")
                .value_parser(value_parser!(PathBuf))
                .help("Where to save the image; the extension follows the real format [default: <endpoint>.png]"),
        )
        .arg(
            Arg::new("sync")
                .long("sync")
                .action(ArgAction::SetTrue)
                .help(
                    "Use the synchronous API (v1): one request that answers with the image. \
                     By default the queue (v2) is used: the job id is known before any money \
                     is at risk, so an interruption never loses a paid image",
                ),
        )
        .arg(
            // The queue is the default now; kept so that older scripts still run.
            Arg::new("async")
                .long("async")
                .action(ArgAction::SetTrue)
                .conflicts_with("sync")
                .hide(true),
        )
        .arg(
            Arg::new("dry-run")
                .long("dry-run")
                .action(ArgAction::SetTrue)
                .help("Print the validated JSON payload and the estimated cost; send nothing"),
        )
        .args(wait_args());
    with_connection_args(cmd)
}

fn field_arg(field: &'static FieldInfo) -> Arg {
    let mut help = field.doc.to_owned();
    if let Some(default) = field.default {
        help.push_str(&format!(" [server default: {default}]"));
    }
    let mut arg = Arg::new(field.name)
        .long(flag_name(field.name))
        .value_name(value_name(&field.shape))
        .required(false);
    arg = match field.shape {
        FieldShape::Bool => arg.action(ArgAction::SetTrue),
        FieldShape::List(inner) => {
            help.push_str(" (repeat the flag for several)");
            typed(arg.action(ArgAction::Append), inner, &mut help, field.name)
        }
        ref shape => typed(arg.action(ArgAction::Set), shape, &mut help, field.name),
    };
    if field.required {
        help.push_str(" (required unless given in --json)");
    }
    arg.help(help)
}

fn typed(arg: Arg, shape: &'static FieldShape, help: &mut String, name: &str) -> Arg {
    match shape {
        FieldShape::Integer { min, max } => {
            let lo = min.unwrap_or(i64::MIN);
            let hi = max.unwrap_or(i64::MAX);
            if min.is_some() || max.is_some() {
                help.push_str(&format!(" ({lo}..={hi})"));
            }
            arg.value_parser(value_parser!(i64).range(lo..=hi))
        }
        FieldShape::Number => arg.value_parser(value_parser!(f64)),
        FieldShape::Choice(values) => {
            let arg = arg.value_parser(PossibleValuesParser::new(values.iter().copied()));
            if values.len() > LONG_CHOICE {
                help.push_str(&format!(
                    " ({} values, e.g. {}; see `ideogram list {}s`)",
                    values.len(),
                    values.first().copied().unwrap_or_default(),
                    name
                ));
                arg.hide_possible_values(true)
            } else {
                arg
            }
        }
        FieldShape::Uri => {
            help.push_str(" (a URL, or a local JPEG/PNG/WebP file to upload inline)");
            arg
        }
        FieldShape::Json => {
            help.push_str(" (JSON)");
            arg
        }
        _ => arg,
    }
}

fn value_name(shape: &FieldShape) -> &'static str {
    match shape {
        FieldShape::Uri => "URL|FILE",
        FieldShape::Integer { .. } => "INT",
        FieldShape::Number => "NUMBER",
        FieldShape::Choice(_) => "VALUE",
        FieldShape::Json => "JSON",
        FieldShape::List(inner) => value_name(inner),
        _ => "TEXT",
    }
}

/// How to wait for a queued job (endpoint commands, `jobs wait`).
fn wait_args() -> [Arg; 2] {
    [
        Arg::new("poll-interval")
            .long("poll-interval")
            .value_name("SECONDS")
            .value_parser(seconds)
            .help(
                "Seconds between status checks of a queued job [default: adaptive: the first \
                 check when the job can first be done, then a step sized to how job times vary]",
            ),
        Arg::new("wait-timeout")
            .long("wait-timeout")
            .value_name("SECONDS")
            .value_parser(seconds)
            .default_value("600")
            .help("Give up waiting for a queued job after this many seconds (the job goes on; `ideogram jobs wait ID` picks it up)"),
    ]
}

/// The longest duration a flag takes: a year.
const MAX_SECONDS: f64 = 365.0 * 24.0 * 3600.0;

/// A duration in seconds: finite, not negative, at most a year.
pub fn seconds(text: &str) -> Result<Duration, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!(
            "`{text}` is not a number of seconds (finite, not negative)"
        ));
    }
    if value > MAX_SECONDS {
        return Err(format!("`{text}` seconds is more than a year"));
    }
    Ok(Duration::from_secs_f64(value))
}

/// Flags every command that talks to Segmind takes.
fn with_connection_args(cmd: Command) -> Command {
    cmd.arg(
        Arg::new("mock")
            .long("mock")
            .action(ArgAction::SetTrue)
            .help("Start an embedded mock Segmind server and use it (offline, no key, no cost)"),
    )
    .arg(
        Arg::new("base-url")
            .long("base-url")
            .value_name("URL")
            .help("Segmind's base URL [default: https://api.segmind.com]"),
    )
    .arg(
        Arg::new("api-key-file")
            .long("api-key-file")
            .value_name("FILE")
            .value_parser(value_parser!(PathBuf))
            .help("Read the API key from this file instead of SEGMIND_API_KEY"),
    )
    .arg(
        Arg::new("request-timeout")
            .long("request-timeout")
            .value_name("SECONDS")
            .value_parser(seconds)
            .help("Timeout of each HTTP request [default: 120]"),
    )
}

fn batch_command() -> Command {
    let cmd = Command::new("batch")
        .about("Run many requests from a JSONL file, resumably")
        .long_about(
            "Run many requests from a JSONL file: one {\"endpoint\": \"txt-2-img\", \"request\": {...}} \
             object per line (an optional \"id\" names the output file). Lines run through the queue \
             (v2) with bounded concurrency; a 429 pauses the whole batch. A manifest in the output \
             folder records each line's job, so a rerun after an interruption skips finished lines, \
             resumes submitted ones and never submits a finished line twice.",
        )
        .after_help(EXIT_CODES)
        .arg(
            Arg::new("file")
                .required(true)
                .value_name("FILE.jsonl")
                .value_parser(value_parser!(PathBuf)),
        )
        .arg(
            Arg::new("out-dir")
                .long("out-dir")
                .required(true)
                .value_name("DIR")
                .value_parser(value_parser!(PathBuf))
                .help("Where images and the manifest go"),
        )
        .arg(
            Arg::new("concurrency")
                .long("concurrency")
                .short('j')
                .value_name("N")
                .value_parser(value_parser!(u32).range(1..=256))
                .default_value("4")
                .help("Lines in flight at once"),
        )
        .arg(
            Arg::new("poll-interval")
                .long("poll-interval")
                .value_name("SECONDS")
                .value_parser(seconds)
                .help("Seconds between status checks of a job [default: adaptive]"),
        );
    with_connection_args(cmd)
}

fn jobs_command() -> Command {
    let id = || Arg::new("id").required(true).value_name("REQUEST_ID");
    Command::new("jobs")
        .about("Follow queued (v2) jobs submitted earlier")
        .subcommand_required(true)
        .subcommand(with_connection_args(
            Command::new("status")
                .about("Print a job's status as JSON")
                .arg(id()),
        ))
        .subcommand(with_connection_args(
            Command::new("wait")
                .about("Wait for a job and save its image")
                .arg(id())
                .arg(
                    Arg::new("out")
                        .long("out")
                        .short('o')
                        .required(true)
                        .value_name("PATH")
                        .value_parser(value_parser!(PathBuf)),
                )
                .args(wait_args()),
        ))
}

fn list_command() -> Command {
    Command::new("list")
        .about("List endpoints, or every value a choice flag takes")
        .arg(
            Arg::new("what")
                .required(true)
                .value_name("WHAT")
                .help("`endpoints`, or a choice member in the plural: resolutions, style_types, magic_prompt_options, rendering_speeds"),
        )
}

fn mock_command() -> Command {
    Command::new("mock")
        .about("The local Segmind stand-in")
        .subcommand_required(true)
        .subcommand(
            Command::new("serve")
                .about("Serve the mock on 127.0.0.1 until interrupted")
                .arg(
                    Arg::new("port")
                        .long("port")
                        .value_name("N")
                        .value_parser(value_parser!(u16))
                        .default_value("0"),
                )
                .arg(
                    Arg::new("api-key")
                        .long("api-key")
                        .value_name("KEY")
                        .help("Accept only this key [default: any]"),
                )
                .arg(
                    Arg::new("queued-ms")
                        .long("queued-ms")
                        .value_name("MS")
                        .value_parser(value_parser!(u64))
                        .default_value("50"),
                )
                .arg(
                    Arg::new("processing-ms")
                        .long("processing-ms")
                        .value_name("MS")
                        .value_parser(value_parser!(u64))
                        .default_value("150"),
                )
                .arg(
                    Arg::new("rate-limit")
                        .long("rate-limit")
                        .value_name("PER_MINUTE")
                        .value_parser(value_parser!(u32)),
                )
                .arg(
                    Arg::new("error-rate")
                        .long("error-rate")
                        .value_name("SHARE")
                        .value_parser(value_parser!(f64))
                        .help("Share of API answers that are 500/502/503/504"),
                )
                .arg(
                    Arg::new("drop-rate")
                        .long("drop-rate")
                        .value_name("SHARE")
                        .value_parser(value_parser!(f64))
                        .help("Share of image answers cut mid-body"),
                )
                .arg(
                    Arg::new("latency-ms")
                        .long("latency-ms")
                        .value_name("MS")
                        .value_parser(value_parser!(u64))
                        .help("Delay added to every API answer"),
                )
                .arg(
                    Arg::new("fail-word")
                        .long("fail-word")
                        .value_name("WORD")
                        .help("Fail jobs whose prompt contains WORD"),
                )
                .arg(
                    Arg::new("seed")
                        .long("seed")
                        .value_name("N")
                        .value_parser(value_parser!(u64))
                        .help("Seed of injected faults and ids"),
                ),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_tree_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn durations_are_finite_and_not_negative() {
        assert_eq!(seconds("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(seconds("0"), Ok(Duration::ZERO));
        for bad in ["NaN", "inf", "-1", "1e300", "soon", ""] {
            assert!(seconds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_endpoint_has_a_subcommand_and_alias() {
        for info in ENDPOINTS {
            assert_eq!(resolve_endpoint(info.slug).unwrap().slug, info.slug);
            assert_eq!(
                resolve_endpoint(short_name(info.slug)).unwrap().slug,
                info.slug
            );
        }
        assert!(resolve_endpoint("4-magic").is_none());
    }
}
