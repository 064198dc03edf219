//! The command tree: one subcommand per endpoint of the generated registry
//! with one flag per request member (a new endpoint in the spec appears
//! here with no change), plus the static subcommands of [`crate::args`].
//! Every command's help ends with the exit codes it may end with.

use std::sync::LazyLock;

use clap::builder::{PossibleValuesParser, ValueParser};
use clap::{Arg, ArgAction, Args, Command, Subcommand, value_parser};
use segmind_ideogram::{ENDPOINTS, EndpointInfo, FieldInfo, FieldShape};

use crate::args::{ConnectionArgs, EndpointArgs, Static, WaitArgs};
use crate::failure::{Exit, exit_codes_help};
use crate::help::{LONG_CHOICE, endpoint_about, field_help, out_help};

/// What a command that talks to Segmind may end with.
const NETWORKED: &[Exit] = &[
    Exit::InvalidInput,
    Exit::Api,
    Exit::Network,
    Exit::Timeout,
    Exit::Interrupted,
];

/// The exit codes of each subcommand (by its path below `ideogram`); an
/// endpoint's are [`NETWORKED`].
pub fn exit_codes(path: &[&str]) -> &'static [Exit] {
    match path {
        ["batch"] => &[
            Exit::InvalidInput,
            Exit::Api,
            Exit::BatchFailures,
            Exit::Budget,
            Exit::Interrupted,
        ],
        ["list" | "completions" | "man" | "mock" | "jobs"] | ["mock", "serve"] => {
            &[Exit::InvalidInput]
        }
        _ => NETWORKED,
    }
}

/// Every code any command may end with, for the top page.
const ALL: &[Exit] = &[
    Exit::InvalidInput,
    Exit::Api,
    Exit::Network,
    Exit::Timeout,
    Exit::BatchFailures,
    Exit::Budget,
    Exit::Interrupted,
];

pub fn command() -> Command {
    let mut root = Command::new("ideogram")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Generate images with the Ideogram models on Segmind")
        .long_about(
            "Generate images with the Ideogram models on Segmind.\n\n\
             The API key comes from SEGMIND_API_KEY or --api-key-file. --mock runs everything \
             against an embedded Segmind stand-in: no key, no network, no cost.",
        )
        .after_help(exit_codes_help(ALL))
        .subcommand_required(true)
        .arg_required_else_help(true);
    for info in ENDPOINTS {
        root = root.subcommand(endpoint_command(info));
    }
    let root = Static::augment_subcommands(root)
        .mut_subcommand("list", |list| {
            list.mut_arg("what", |arg| {
                arg.value_parser(PossibleValuesParser::new(crate::list::targets()))
            })
        })
        .mut_subcommand("jobs", |jobs| {
            jobs.mut_subcommand("wait", |wait| {
                wait.mut_arg("out", |arg| {
                    arg.help(
                        "Where to save the image; the extension follows the real format \
                         [default: job-<REQUEST_ID>.png]",
                    )
                })
            })
        });
    with_exit_codes(root, &mut Vec::new())
}

/// Adds each static subcommand's exit codes to its help.
fn with_exit_codes(mut cmd: Command, path: &mut Vec<String>) -> Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|sub| sub.get_name().to_owned())
        .collect();
    for name in names {
        path.push(name.clone());
        let here: Vec<&str> = path.iter().map(String::as_str).collect();
        let codes = exit_codes_help(exit_codes(&here));
        cmd = cmd.mut_subcommand(&name, |sub| with_exit_codes(sub.after_help(codes), path));
        path.pop();
    }
    cmd
}

/// `txt-2-img` for `ideogram-txt-2-img`.
pub fn short_name(slug: &'static str) -> &'static str {
    slug.strip_prefix("ideogram-").unwrap_or(slug)
}

/// Every endpoint's short name, in the registry's order.
pub fn short_names() -> &'static [&'static str] {
    static NAMES: LazyLock<Vec<&'static str>> =
        LazyLock::new(|| ENDPOINTS.iter().map(|info| short_name(info.slug)).collect());
    &NAMES
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
        .long_about(endpoint_about(info));
    for field in info.fields {
        cmd = cmd.arg(field_arg(field));
    }
    let cmd = EndpointArgs::augment_args(cmd).mut_arg("out", |arg| arg.help(out_help(name)));
    let cmd = WaitArgs::augment_args(cmd);
    ConnectionArgs::augment_args(cmd)
}

fn field_arg(field: &'static FieldInfo) -> Arg {
    let arg = Arg::new(field.name)
        .long(flag_name(field.name))
        .value_name(value_name(&field.shape))
        .required(false)
        .help(field_help(field));
    match field.shape {
        FieldShape::Bool => arg.action(ArgAction::SetTrue),
        FieldShape::List(inner) => typed(arg.action(ArgAction::Append), field, inner),
        ref shape => typed(arg.action(ArgAction::Set), field, shape),
    }
}

fn typed(arg: Arg, field: &'static FieldInfo, shape: &'static FieldShape) -> Arg {
    match shape {
        FieldShape::Integer { min, max } => arg.value_parser(
            value_parser!(i64).range(min.unwrap_or(i64::MIN)..=max.unwrap_or(i64::MAX)),
        ),
        FieldShape::Number => arg.value_parser(value_parser!(f64)),
        // A short list: clap's possible values, in any case, and its
        // suggestions. The request gets the wire value.
        FieldShape::Choice(values) if values.len() <= LONG_CHOICE && field.sizes.is_none() => arg
            .value_parser(PossibleValuesParser::new(values.iter().copied()))
            .ignore_case(true),
        // A long list, or sizes: the registry's reading (any case, either
        // spelling of a size), whose error names the closest values.
        FieldShape::Choice(_) => arg.value_parser(ValueParser::new(move |text: &str| match field
            .choice(text)
        {
            Some(Ok(value)) => Ok(value.to_owned()),
            Some(Err(error)) => Err(format!(
                "{error} (`ideogram list {}s` lists them)",
                field.name
            )),
            None => Ok(text.to_owned()),
        })),
        _ => arg,
    }
}

fn value_name(shape: &FieldShape) -> &'static str {
    match shape {
        FieldShape::Uri => "URL|FILE",
        FieldShape::Integer { .. } => "INT",
        FieldShape::Number => "NUMBER",
        FieldShape::Choice(_) => "VALUE",
        FieldShape::Json => "PALETTE",
        FieldShape::List(inner) => value_name(inner),
        _ => "TEXT",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_tree_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn every_argument_and_subcommand_says_what_it_is_for() {
        fn walk(cmd: &Command, path: &str, missing: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if id != "help"
                    && id != "version"
                    && arg.get_help().is_none()
                    && arg.get_long_help().is_none()
                    && !arg.is_hide_set()
                {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                let here = format!("{path} {}", sub.get_name());
                if sub.get_about().is_none() && sub.get_long_about().is_none() {
                    missing.push(format!("{here} (about)"));
                }
                walk(sub, &here, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&command(), "ideogram", &mut missing);
        assert!(missing.is_empty(), "no help text: {missing:?}");
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
