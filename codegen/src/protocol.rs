//! Segmind's protocol beyond the endpoints, read from the spec: the base
//! URL, the auth header, `x-segmind-protocol` (the response headers read,
//! limits, and the outcome classes), and the operations marked with
//! `x-segmind-role`. The runtime, mock and CLI read these instead of
//! spelling paths and header names.

use std::collections::BTreeMap;

use crate::error::Result;
use crate::model::{HeaderDef, HeaderRole, OperationDef, ProtocolDef, Role};
use crate::node::At;

/// The HTTP methods an operation can have in OpenAPI.
pub(crate) const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

pub(crate) fn parse_protocol(root: &At<'_>) -> Result<ProtocolDef> {
    let servers = root.req("servers")?;
    let base_url = first_server(&servers)?
        .ok_or_else(|| servers.err("the document needs a server: Segmind's base URL"))?;
    let extension = root.req("x-segmind-protocol")?;
    let operations = roles(root)?;
    let history = operations
        .iter()
        .find(|o| o.role == Role::RequestHistory)
        .map(|o| o.pointer.clone());
    let (history_max_per_page, history_default_per_page) = match history {
        Some(pointer) => (
            per_page_bound(root, &pointer, "maximum")?,
            per_page_bound(root, &pointer, "default")?,
        ),
        None => (None, None),
    };
    Ok(ProtocolDef {
        base_url,
        auth_header: auth_header(root)?,
        headers: headers(root, &extension.req("headers")?)?,
        max_input_image_bytes: positive(&extension.req("max_input_image_bytes")?)?,
        history_window_days: positive(&extension.req("history_window_days")?)?,
        history_max_per_page,
        history_default_per_page,
        operations,
        outcomes: crate::outcomes::parse_outcomes(root, &extension)?,
    })
}

/// `x-segmind-protocol.headers`: one header per role, each declared on a
/// response of the document.
fn headers(root: &At<'_>, node: &At<'_>) -> Result<Vec<HeaderDef>> {
    let mut out = Vec::new();
    for (key, value) in node.entries()? {
        let role = HeaderRole::from_name(key).ok_or_else(|| {
            value.err(format!(
                "unknown header role `{key}` (one of {})",
                listed(HeaderRole::ALL.iter().map(|r| r.name()))
            ))
        })?;
        let name = value.str()?.to_ascii_lowercase();
        if !declared_on_a_response(root, &name)? {
            return Err(value.err(format!(
                "`{name}` is not a header of any response of the document"
            )));
        }
        out.push(HeaderDef { role, name });
    }
    for role in HeaderRole::ALL {
        if !out.iter().any(|h| h.role == *role) {
            return Err(node.err(format!("missing the header role `{}`", role.name())));
        }
    }
    out.sort_by_key(|h| h.role);
    Ok(out)
}

/// The URL of the first entry of a `servers` list, without a trailing slash.
fn first_server(servers: &At<'_>) -> Result<Option<String>> {
    let Some(first) = servers.items()?.into_iter().next() else {
        return Ok(None);
    };
    let url = first.req("url")?;
    let text = url.str()?;
    if !(text.starts_with("https://") || text.starts_with("http://")) {
        return Err(url.err(format!("`{text}` is not an http(s) URL")));
    }
    Ok(Some(text.trim_end_matches('/').to_owned()))
}

/// The header of the document's security requirement (an `apiKey` in a header).
fn auth_header(root: &At<'_>) -> Result<String> {
    let security = root.req("security")?;
    let requirement = security
        .items()?
        .into_iter()
        .next()
        .ok_or_else(|| security.err("the document needs a security requirement"))?;
    let name = requirement
        .entries()?
        .into_iter()
        .next()
        .map(|(name, _)| name)
        .ok_or_else(|| requirement.err("the security requirement names no scheme"))?;
    let scheme = root.req("components")?.req("securitySchemes")?.req(name)?;
    let (kind, place) = (scheme.req("type")?, scheme.req("in")?);
    if kind.str()? != "apiKey" || place.str()? != "header" {
        return Err(scheme.err("the scheme must be an apiKey in a header"));
    }
    Ok(scheme.req("name")?.str()?.to_ascii_lowercase())
}

/// Whether a response of `/components/responses` or of an operation
/// declares `header`.
fn declared_on_a_response(root: &At<'_>, header: &str) -> Result<bool> {
    let mut responses = Vec::new();
    if let Some(shared) = root.req("components")?.get("responses")? {
        responses.extend(shared.entries()?.into_iter().map(|(_, r)| r));
    }
    for (_, item) in root.req("paths")?.entries()? {
        for (method, op) in item.entries()? {
            if !METHODS.contains(&method) {
                continue;
            }
            if let Some(own) = op.get("responses")? {
                responses.extend(own.entries()?.into_iter().map(|(_, r)| r));
            }
        }
    }
    for response in responses {
        if response.value.is_object()
            && let Some(headers) = response.get("headers")?
        {
            let names = headers.entries()?;
            if names.iter().any(|(h, _)| h.eq_ignore_ascii_case(header)) {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Every operation with `x-segmind-role`, each role exactly once.
fn roles(root: &At<'_>) -> Result<Vec<OperationDef>> {
    let paths = root.req("paths")?;
    let mut found: BTreeMap<Role, OperationDef> = BTreeMap::new();
    for (path, item) in paths.entries()? {
        for (method, op) in item.entries()? {
            if !METHODS.contains(&method) {
                continue;
            }
            let Some(role) = op.get("x-segmind-role")? else {
                continue;
            };
            let name = role.str()?;
            let parsed = Role::from_name(name).ok_or_else(|| {
                role.err(format!(
                    "unknown role `{name}` (one of {})",
                    listed(Role::ALL.iter().map(|r| r.name()))
                ))
            })?;
            let server = match op.get("servers")? {
                Some(servers) => first_server(&servers)?,
                None => None,
            };
            let def = OperationDef {
                role: parsed,
                method: method.to_ascii_uppercase(),
                path: path.to_owned(),
                server,
                pointer: op.pointer.clone(),
            };
            if let Some(first) = found.insert(parsed, def) {
                return Err(role.err(format!(
                    "role `{name}` is already taken by {}",
                    first.pointer
                )));
            }
        }
    }
    for role in Role::ALL {
        if !found.contains_key(role) {
            return Err(paths.err(format!(
                "no operation has `x-segmind-role: {}`",
                role.name()
            )));
        }
    }
    Ok(found.into_values().collect())
}

/// The `maximum` (or `default`) of the history operation's `per_page` parameter.
fn per_page_bound(root: &At<'_>, pointer: &str, key: &str) -> Result<Option<u64>> {
    let mut at = root.clone();
    for part in pointer.split('/').skip(1) {
        let key = part.replace("~1", "/").replace("~0", "~");
        at = at.req(&key)?;
    }
    let Some(parameters) = at.get("parameters")? else {
        return Ok(None);
    };
    for parameter in parameters.items()? {
        if parameter.opt_str("name")? == Some("per_page") {
            let schema = parameter.req("schema")?;
            return schema.get(key)?.map(|m| positive(&m)).transpose();
        }
    }
    Ok(None)
}

fn positive<T: TryFrom<u64>>(node: &At<'_>) -> Result<T> {
    node.value
        .as_u64()
        .filter(|n| *n > 0)
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| node.err("expected a positive integer"))
}

/// `a, b, c`: the names an error says are allowed.
fn listed<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names.collect::<Vec<_>>().join(", ")
}
