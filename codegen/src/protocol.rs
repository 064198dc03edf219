//! Segmind's protocol beyond the endpoints, read from the spec: the base
//! URL, the auth header, `x-segmind-protocol`, and the operations marked
//! with `x-segmind-role`. The runtime, mock and CLI read these instead of
//! spelling paths and header names.

use std::collections::BTreeMap;

use crate::error::Result;
use crate::model::{OperationDef, ProtocolDef, Role};
use crate::node::At;

/// The HTTP methods an operation can have in OpenAPI.
const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

pub(crate) fn parse_protocol(root: &At<'_>) -> Result<ProtocolDef> {
    let servers = root.req("servers")?;
    let base_url = first_server(&servers)?
        .ok_or_else(|| servers.err("the document needs a server: Segmind's base URL"))?;
    let extension = root.req("x-segmind-protocol")?;
    let reset = extension.req("rate_limit_reset_header")?;
    let rate_limit_reset_header = reset.str()?.to_ascii_lowercase();
    if !declared_on_a_response(root, &rate_limit_reset_header)? {
        return Err(reset.err(format!(
            "`{rate_limit_reset_header}` is not a header of any response in /components/responses"
        )));
    }
    let operations = roles(root)?;
    let history = operations
        .iter()
        .find(|o| o.role == Role::RequestHistory)
        .map(|o| o.pointer.clone());
    let history_max_per_page = match history {
        Some(pointer) => per_page_maximum(root, &pointer)?,
        None => None,
    };
    Ok(ProtocolDef {
        base_url,
        auth_header: auth_header(root)?,
        rate_limit_reset_header,
        max_input_image_bytes: positive(&extension.req("max_input_image_bytes")?)?,
        history_window_days: positive(&extension.req("history_window_days")?)?,
        history_max_per_page,
        operations,
    })
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

fn declared_on_a_response(root: &At<'_>, header: &str) -> Result<bool> {
    let Some(responses) = root.req("components")?.get("responses")? else {
        return Ok(false);
    };
    for (_, response) in responses.entries()? {
        if let Some(headers) = response.get("headers")? {
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
                    Role::ALL
                        .iter()
                        .map(|r| r.name())
                        .collect::<Vec<_>>()
                        .join(", ")
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

/// The `maximum` of the history operation's `per_page` parameter.
fn per_page_maximum(root: &At<'_>, pointer: &str) -> Result<Option<u64>> {
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
            return schema.get("maximum")?.map(|m| positive(&m)).transpose();
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
