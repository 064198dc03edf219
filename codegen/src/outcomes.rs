//! `x-outcomes`: what each answer of each operation means for money, for
//! retrying and for a batch, as one of the classes the document defines in
//! `x-segmind-protocol.outcomes`. Every operation classifies every status
//! it documents, the other statuses by range, and the two ways an exchange
//! ends without a usable answer; operations of one kind (every `/v1` call,
//! every `/v2` submission) must agree, since the runtime classifies by kind.

use std::collections::BTreeSet;

use crate::error::Result;
use crate::model::{
    Billed, OperationKind, OutcomeClassDef, OutcomeMap, OutcomesDef, RetryWhen, Role,
};
use crate::naming::variant_ident;
use crate::node::At;
use crate::protocol::METHODS;

/// The keys of a map besides statuses, each required.
const FALLBACKS: &[&str] = &["4XX", "5XX", "default", "unanswered", "unreadable"];

pub(crate) fn parse_outcomes(root: &At<'_>, extension: &At<'_>) -> Result<OutcomesDef> {
    let classes = parse_classes(&extension.req("outcomes")?)?;
    let mut operations: Vec<(OperationKind, OutcomeMap, String)> = Vec::new();
    for (path, item) in root.req("paths")?.entries()? {
        for (method, op) in item.entries()? {
            if !METHODS.contains(&method) {
                continue;
            }
            let kind = kind_of(root, path, &op)?;
            let documented = statuses(&op.req("responses")?)?;
            let at = op.req("x-outcomes")?;
            let map = parse_map(&at, &classes, Some(&documented))?;
            match operations.iter().find(|(k, _, _)| *k == kind) {
                Some((_, first, pointer)) if *first != map => {
                    return Err(at.err(format!(
                        "differs from the x-outcomes of {pointer}: operations of one kind must classify their answers alike"
                    )));
                }
                Some(_) => {}
                None => operations.push((kind, map, at.pointer.clone())),
            }
        }
    }
    let output = extension.req("output_outcomes")?;
    operations.push((
        OperationKind::OutputDownload,
        parse_map(&output, &classes, None)?,
        output.pointer.clone(),
    ));
    operations.sort_by_key(|(kind, _, _)| *kind);
    Ok(OutcomesDef {
        classes,
        operations: operations
            .into_iter()
            .map(|(kind, map, _)| (kind, map))
            .collect(),
    })
}

fn parse_classes(node: &At<'_>) -> Result<Vec<OutcomeClassDef>> {
    let mut classes: Vec<OutcomeClassDef> = Vec::new();
    let mut idents = BTreeSet::new();
    for (name, class) in node.entries()? {
        let well_formed = name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !well_formed {
            return Err(class.err(format!(
                "class name `{name}` must be lowercase letters, digits and dashes"
            )));
        }
        let ident = variant_ident(name, None).unwrap_or_default();
        if !idents.insert(ident.clone()) {
            return Err(class.err(format!(
                "class `{name}` has the same Rust name as another class"
            )));
        }
        let word = |key: &str, allowed: &[&str]| -> Result<usize> {
            let at = class.req(key)?;
            let text = at.str()?;
            allowed
                .iter()
                .position(|a| *a == text)
                .ok_or_else(|| at.err(format!("`{text}` is not one of {}", allowed.join(", "))))
        };
        let billed =
            [Billed::Yes, Billed::No, Billed::Unknown][word("billed", &["yes", "no", "unknown"])?];
        let retry = [RetryWhen::Never, RetryWhen::Later, RetryWhen::AtOnce]
            [word("retry", &["never", "later", "at-once"])?];
        let stops_batch = word("batch", &["continue", "stop"])? == 1;
        classes.push(OutcomeClassDef {
            name: name.to_owned(),
            ident,
            billed,
            retry,
            stops_batch,
            description: class.req("description")?.str()?.to_owned(),
        });
    }
    if classes.is_empty() {
        return Err(node.err("no class of answers is defined"));
    }
    Ok(classes)
}

/// What kind of operation the runtime takes `op` at `path` for.
fn kind_of(root: &At<'_>, path: &str, op: &At<'_>) -> Result<OperationKind> {
    if op.get("x-segmind-endpoint")?.is_some() {
        return Ok(OperationKind::Sync);
    }
    if let Some(role) = op.opt_str("x-segmind-role")? {
        // `protocol` reports an unknown role with the list of known ones.
        if let Some(role) = Role::from_name(role) {
            return Ok(OperationKind::Role(role));
        }
    }
    let sync = path.strip_prefix("/v2/").map(|slug| format!("/v1/{slug}"));
    let queued = match sync {
        Some(sync) => match root.req("paths")?.get(&sync)? {
            Some(item) => match item.get("post")? {
                Some(post) => post.get("x-segmind-endpoint")?.is_some(),
                None => false,
            },
            None => false,
        },
        None => false,
    };
    if queued {
        return Ok(OperationKind::Submit);
    }
    Err(op.err(
        "the runtime uses no such operation: it is neither a /v1 call with x-segmind-endpoint, its /v2 submission, nor marked with x-segmind-role",
    ))
}

/// The statuses of a `responses` object, in document order.
fn statuses(responses: &At<'_>) -> Result<Vec<u16>> {
    let mut out = Vec::new();
    for (key, node) in responses.entries()? {
        if key.starts_with("x-") {
            continue;
        }
        out.push(status(key).ok_or_else(|| node.err(format!("`{key}` is not a status code")))?);
    }
    Ok(out)
}

fn status(key: &str) -> Option<u16> {
    key.parse::<u16>().ok().filter(|s| (100..=599).contains(s))
}

/// One `x-outcomes` (or `output_outcomes`) map. With `documented`, its
/// statuses must be exactly those.
fn parse_map(
    node: &At<'_>,
    classes: &[OutcomeClassDef],
    documented: Option<&[u16]>,
) -> Result<OutcomeMap> {
    let mut statuses = Vec::new();
    let mut fallbacks: [Option<usize>; 5] = [None; 5];
    for (key, value) in node.entries()? {
        let name = value.str()?;
        let class = classes.iter().position(|c| c.name == name).ok_or_else(|| {
            value.err(format!(
                "`{name}` is not a class of x-segmind-protocol.outcomes"
            ))
        })?;
        if let Some(i) = FALLBACKS.iter().position(|f| *f == key) {
            fallbacks[i] = Some(class);
            continue;
        }
        let code = status(key).ok_or_else(|| {
            value.err(format!(
                "`{key}` is neither a status code nor one of {}",
                FALLBACKS.join(", ")
            ))
        })?;
        if documented.is_some_and(|d| !d.contains(&code)) {
            return Err(value.err(format!(
                "{code} is not a status of the operation's responses"
            )));
        }
        statuses.push((code, class));
    }
    if let Some(documented) = documented {
        for code in documented {
            if !statuses.iter().any(|(s, _)| s == code) {
                return Err(node.err(format!("the answer {code} of the operation has no class")));
            }
        }
    }
    let fallback =
        |i: usize| fallbacks[i].ok_or_else(|| node.err(format!("missing `{}`", FALLBACKS[i])));
    Ok(OutcomeMap {
        statuses,
        client_error: fallback(0)?,
        server_error: fallback(1)?,
        default: fallback(2)?,
        unanswered: fallback(3)?,
        unreadable: fallback(4)?,
    })
}
