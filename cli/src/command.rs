//! The command tree: one subcommand per endpoint of the generated registry
//! with one flag per request member (a new endpoint in the spec appears
//! here with no change), plus the static subcommands of [`crate::args`].

use clap::builder::PossibleValuesParser;
use clap::{Arg, ArgAction, Args, Command, Subcommand, value_parser};
use segmind_ideogram::{ENDPOINTS, EndpointInfo, FieldInfo, FieldShape};

use crate::args::{ConnectionArgs, EndpointArgs, Static, WaitArgs};

/// Choice lists longer than this are not spelled out in `--help`.
const LONG_CHOICE: usize = 12;

const EXIT_CODES: &str = "Exit codes: 0 success, 2 invalid input, 3 API error or failed job, 4 network error, \
5 timeout, 6 batch finished with lines not done, 7 stopped by a budget or the credit check, 130 interrupted.";

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
    Static::augment_subcommands(root)
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
    let cmd = EndpointArgs::augment_args(cmd);
    let cmd = WaitArgs::augment_args(cmd);
    ConnectionArgs::augment_args(cmd)
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
            // Any case is accepted; the request gets the wire value.
            let arg = arg
                .value_parser(PossibleValuesParser::new(values.iter().copied()))
                .ignore_case(true);
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
