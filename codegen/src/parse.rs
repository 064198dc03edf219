//! Spec (OpenAPI 3.1 JSON) to the intermediate model. Every rejection names
//! the JSON pointer of the node at fault.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::error::Result;
use crate::model::*;
use crate::naming;
use crate::node::{At, kind};

const SCHEMA_PREFIX: &str = "#/components/schemas/";

/// JSON Schema keywords that change what is valid but that the generator does
/// not implement: refusing them beats silently generating a looser validator.
const UNSUPPORTED: &[&str] = &[
    "allOf",
    "anyOf",
    "if",
    "then",
    "else",
    "const",
    "dependentRequired",
    "dependentSchemas",
    "patternProperties",
    "propertyNames",
    "minLength",
    "maxLength",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "uniqueItems",
    "prefixItems",
    "contains",
    "minProperties",
    "maxProperties",
];

/// Parses and checks the spec text.
pub fn parse(spec: &str) -> Result<Api> {
    let value: Value = serde_json::from_str(spec).map_err(|e| {
        crate::error::CodegenError::at(
            "",
            format!(
                "not valid JSON (line {}, column {}): {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    parse_value(&value)
}

/// Parses an already-decoded spec document.
pub fn parse_value(value: &Value) -> Result<Api> {
    let root = At::root(value);
    let openapi = root.req("openapi")?;
    if !openapi.str()?.starts_with("3.1.") {
        return Err(openapi.err(format!(
            "only OpenAPI 3.1 is supported, found `{}`",
            openapi.str()?
        )));
    }
    let info = root.req("info")?;
    let schemas = root.req("components")?.req("schemas")?;

    let mut api = Api {
        title: info.req("title")?.str()?.to_owned(),
        version: info.req("version")?.str()?.to_owned(),
        enums: Vec::new(),
        scalars: Vec::new(),
        structs: Vec::new(),
        unions: Vec::new(),
        endpoints: Vec::new(),
        protocol: ProtocolDef::default(),
    };

    let kinds = classify(&schemas)?;
    for (name, schema) in schemas.entries()? {
        check_supported(&schema)?;
        match kinds[name] {
            NamedKind::Enum => api.enums.push(parse_enum(name, &schema)?),
            NamedKind::Scalar => api.scalars.push(parse_scalar(name, &schema)?),
            NamedKind::Struct => api.structs.push(parse_struct(name, &schema, &kinds)?),
            NamedKind::Union => api.unions.push(parse_union(name, &schema, &kinds)?),
        }
    }
    check_field_defaults(&api, &schemas)?;

    api.endpoints = parse_endpoints(&root, &kinds)?;
    crate::members::check(&api, &schemas)?;
    crate::sizes::check(&mut api, &root)?;
    api.protocol = crate::protocol::parse_protocol(&root)?;
    mark_usage(&mut api, &root)?;
    Ok(api)
}

/// Decides what every component schema becomes, before any is parsed, so
/// references can be checked against the kind they point to.
fn classify(schemas: &At<'_>) -> Result<BTreeMap<String, NamedKind>> {
    let mut kinds = BTreeMap::new();
    for (name, schema) in schemas.entries()? {
        if !naming::is_type_name(name) {
            return Err(schema.err(format!(
                "schema name `{name}` is not a Rust type name (UpperCamelCase, ASCII letters and digits)"
            )));
        }
        let kind = if schema.get("enum")?.is_some() {
            NamedKind::Enum
        } else if schema.get("oneOf")?.is_some() {
            NamedKind::Union
        } else {
            match schema_type(&schema)? {
                Some("object") => NamedKind::Struct,
                Some("integer" | "number" | "string") => NamedKind::Scalar,
                Some(other) => {
                    return Err(schema
                        .req("type")?
                        .err(format!("type `{other}` cannot be a named schema")));
                }
                None => return Err(schema.err("a named schema needs `type`, `enum` or `oneOf`")),
            }
        };
        kinds.insert(name.to_owned(), kind);
    }
    Ok(kinds)
}

/// Keywords read only on an inline string member (a property with
/// `type: string`), refused anywhere else.
const STRING_MEMBER_ONLY: &[&str] = &["minLength", "maxLength"];

fn check_supported(schema: &At<'_>) -> Result<()> {
    check_keywords(schema, false)
}

fn check_keywords(schema: &At<'_>, property: bool) -> Result<()> {
    let Some(object) = schema.value.as_object() else {
        return Err(schema.err(format!(
            "expected a schema object, found {}",
            kind(schema.value)
        )));
    };
    let inline_string = property
        && object.get("type").and_then(Value::as_str) == Some("string")
        && !object.contains_key("$ref");
    for key in object.keys() {
        if inline_string && STRING_MEMBER_ONLY.contains(&key.as_str()) {
            continue;
        }
        if UNSUPPORTED.contains(&key.as_str()) {
            return Err(crate::error::CodegenError::at(
                schema.child_pointer(key),
                format!("the JSON Schema keyword `{key}` is not supported by the generator"),
            ));
        }
    }
    if let Some(props) = schema.get("properties")? {
        for (_, prop) in props.entries()? {
            check_keywords(&prop, true)?;
        }
    }
    if let Some(items) = schema.get("items")? {
        check_keywords(&items, false)?;
    }
    Ok(())
}

/// The `type` keyword, which must name one of JSON Schema's types.
fn schema_type<'a>(schema: &At<'a>) -> Result<Option<&'a str>> {
    let Some(ty) = schema.get("type")? else {
        return Ok(None);
    };
    let name = ty.str()?;
    match name {
        "string" | "integer" | "number" | "boolean" | "object" | "array" | "null" => Ok(Some(name)),
        other => Err(ty.err(format!("unknown type `{other}`"))),
    }
}

fn doc_of(schema: &At<'_>) -> Result<Doc> {
    Ok(Doc {
        title: schema.opt_str("title")?.map(str::to_owned),
        description: schema.opt_str("description")?.map(str::to_owned),
    })
}

fn parse_enum(name: &str, schema: &At<'_>) -> Result<EnumDef> {
    if let Some(ty) = schema_type(schema)?
        && ty != "string"
    {
        return Err(schema
            .req("type")?
            .err(format!("only string enums are supported, found `{ty}`")));
    }
    let prefix = schema.opt_str("x-variant-prefix")?;
    let values = schema.req("enum")?;
    let mut variants: Vec<Variant> = Vec::new();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for item in values.items()? {
        let wire = item.str()?;
        let ident = naming::variant_ident(wire, prefix).ok_or_else(|| {
            item.err(format!(
                "`{wire}` gives no Rust variant name; add `x-variant-prefix` to the enum for values that start with a digit"
            ))
        })?;
        if let Some(other) = seen.insert(ident.clone(), wire.to_owned()) {
            return Err(item.err(format!(
                "duplicate variant name `{ident}`: both `{other}` and `{wire}` map to it"
            )));
        }
        variants.push(Variant {
            wire: wire.to_owned(),
            ident,
        });
    }
    if variants.is_empty() {
        return Err(values.err("an enum needs at least one value"));
    }
    let open = schema.opt_bool("x-open-enum")?.unwrap_or(false);
    if open && variants.iter().any(|v| v.ident == "Unknown") {
        return Err(values.err(
            "an open enum cannot have a value named `Unknown`: that variant holds unknown values",
        ));
    }
    let default = match schema.get("default")? {
        None => None,
        Some(d) => {
            let wire = d.str()?;
            Some(
                variants
                    .iter()
                    .position(|v| v.wire == wire)
                    .ok_or_else(|| {
                        d.err(format!("default `{wire}` is not one of the enum's values"))
                    })?,
            )
        }
    };
    Ok(EnumDef {
        name: name.to_owned(),
        doc: doc_of(schema)?,
        dimensions: dimensions(&variants),
        ratio: false,
        variants,
        default,
        open,
        usage: Usage::default(),
    })
}

/// Width and height for every value, when each carries exactly two numbers
/// (`RESOLUTION_1024_768`, `1024x768`).
fn dimensions(variants: &[Variant]) -> Option<Vec<(u32, u32)>> {
    variants
        .iter()
        .map(|v| {
            let groups: Vec<u32> = v
                .wire
                .split(|c: char| !c.is_ascii_digit())
                .filter(|g| !g.is_empty())
                .map(str::parse)
                .collect::<std::result::Result<_, _>>()
                .ok()?;
            match groups[..] {
                [w, h] => Some((w, h)),
                _ => None,
            }
        })
        .collect()
}

fn parse_scalar(name: &str, schema: &At<'_>) -> Result<ScalarDef> {
    let kind = match schema_type(schema)? {
        Some("integer") => ScalarKind::Integer {
            min: opt_i64(schema, "minimum")?,
            max: opt_i64(schema, "maximum")?,
        },
        Some("number") => ScalarKind::Number {
            min: schema.opt_f64("minimum")?,
            max: schema.opt_f64("maximum")?,
        },
        _ => {
            let pattern = match schema.get("pattern")? {
                None => None,
                Some(p) => {
                    let text = p.str()?;
                    regex_lite::Regex::new(text)
                        .map_err(|e| p.err(format!("pattern does not compile: {e}")))?;
                    Some(text.to_owned())
                }
            };
            ScalarKind::String {
                pattern,
                format: format_of(schema)?,
            }
        }
    };
    if let (
        ScalarKind::Integer {
            min: Some(lo),
            max: Some(hi),
        },
        Some(max),
    ) = (&kind, schema.get("maximum")?)
        && lo > hi
    {
        return Err(max.err(format!("maximum {hi} is below minimum {lo}")));
    }
    let example = match schema.get("examples")? {
        None => None,
        Some(examples) => examples
            .items()?
            .first()
            .map(|e| e.str().map(str::to_owned))
            .transpose()?,
    };
    Ok(ScalarDef {
        name: name.to_owned(),
        doc: doc_of(schema)?,
        kind,
        usage: Usage::default(),
        example,
    })
}

fn opt_i64(schema: &At<'_>, key: &str) -> Result<Option<i64>> {
    schema
        .get(key)?
        .map(|n| {
            n.value
                .as_i64()
                .ok_or_else(|| n.err(format!("`{key}` of an integer must be an integer")))
        })
        .transpose()
}

fn format_of(schema: &At<'_>) -> Result<Option<Format>> {
    match schema.get("format")? {
        None => Ok(None),
        Some(f) => match f.str()? {
            "uri" => Ok(Some(Format::Uri)),
            other => Err(f.err(format!("string format `{other}` is not supported"))),
        },
    }
}

fn parse_struct(
    name: &str,
    schema: &At<'_>,
    kinds: &BTreeMap<String, NamedKind>,
) -> Result<StructDef> {
    let required: BTreeSet<&str> = match schema.get("required")? {
        None => BTreeSet::new(),
        Some(r) => r.items()?.iter().map(|i| i.str()).collect::<Result<_>>()?,
    };
    let mut fields = Vec::new();
    let mut idents = BTreeSet::new();
    if let Some(props) = schema.get("properties")? {
        for (wire, prop) in props.entries()? {
            let ident = naming::field_ident(wire)
                .ok_or_else(|| prop.err(format!("`{wire}` gives no Rust field name")))?;
            if !idents.insert(ident.clone()) {
                return Err(prop.err(format!("two members map to the Rust field `{ident}`")));
            }
            let member = crate::members::parse_member(&prop)?;
            let mut ty = type_ref(&prop, kinds)?;
            if member == Some(Member::Image) {
                ty = crate::members::image_type(&prop, ty)?;
            }
            fields.push(FieldDef {
                wire: wire.to_owned(),
                ident,
                doc: doc_of(&prop)?,
                ty,
                required: required.contains(wire),
                default: prop.get("default")?.map(|d| d.value.clone()),
                min_items: opt_u64(&prop, "minItems")?,
                max_items: opt_u64(&prop, "maxItems")?,
                length: string_length(&prop)?,
                member,
            });
        }
    }
    if let Some(r) = schema.get("required")? {
        for item in r.items()? {
            let wire = item.str()?;
            if !fields.iter().any(|f| f.wire == wire) {
                return Err(item.err(format!("required member `{wire}` is not in `properties`")));
            }
        }
    }
    let closed = match schema.get("additionalProperties")? {
        None => false,
        Some(a) => match a.value {
            Value::Bool(b) => !b,
            _ => return Err(a.err("only `true` or `false` is supported for additionalProperties")),
        },
    };
    let rules = match schema.get("not")? {
        None => Vec::new(),
        Some(not) => vec![not_both_non_empty(&not, &fields)?],
    };
    Ok(StructDef {
        name: name.to_owned(),
        doc: doc_of(schema)?,
        fields,
        closed,
        rules,
        usage: Usage::default(),
    })
}

/// `minLength` and `maxLength` of an inline string member: the only place
/// the generator reads them (elsewhere they are refused).
fn string_length(prop: &At<'_>) -> Result<(Option<u64>, Option<u64>)> {
    let length = (opt_u64(prop, "minLength")?, opt_u64(prop, "maxLength")?);
    if let (Some(lo), Some(hi)) = length
        && lo > hi
    {
        return Err(prop
            .req("maxLength")?
            .err(format!("maxLength {hi} is below minLength {lo}")));
    }
    Ok(length)
}

fn opt_u64(schema: &At<'_>, key: &str) -> Result<Option<u64>> {
    schema
        .get(key)?
        .map(|n| {
            n.value
                .as_u64()
                .ok_or_else(|| n.err(format!("`{key}` must be a non-negative integer")))
        })
        .transpose()
}

/// Recognises the one `not` form the generator implements: two array members
/// that may not both be non-empty.
fn not_both_non_empty(not: &At<'_>, fields: &[FieldDef]) -> Result<StructRule> {
    let unsupported = || {
        not.err(
            "unsupported `not`: only {required: [a, b], properties: {a: {minItems: 1}, b: {minItems: 1}}} is understood",
        )
    };
    let names: Vec<&str> = not
        .req("required")?
        .items()?
        .iter()
        .map(|i| i.str())
        .collect::<Result<_>>()?;
    let [first, second] = names[..] else {
        return Err(unsupported());
    };
    let props = not.req("properties")?;
    for (name, prop) in props.entries()? {
        let is_min_one =
            prop.object()?.len() == 1 && prop.get("minItems")?.is_some_and(|m| m.value == 1);
        if !(name == first || name == second) || !is_min_one {
            return Err(unsupported());
        }
    }
    if props.object()?.len() != 2 {
        return Err(unsupported());
    }
    for name in [first, second] {
        match fields.iter().find(|f| f.wire == name) {
            Some(f) if matches!(f.ty, TypeRef::Array(_)) => {}
            _ => return Err(not.err(format!("`{name}` must be an array member of this object"))),
        }
    }
    Ok(StructRule::NotBothNonEmpty {
        first: first.to_owned(),
        second: second.to_owned(),
        doc: not
            .opt_str("description")?
            .map(str::to_owned)
            .unwrap_or_else(|| format!("`{first}` and `{second}` must not both be non-empty.")),
    })
}

fn type_ref(schema: &At<'_>, kinds: &BTreeMap<String, NamedKind>) -> Result<TypeRef> {
    if let Some(reference) = schema.get("$ref")? {
        let name = resolve_ref(&reference, kinds)?;
        return Ok(TypeRef::Named {
            kind: kinds[&name],
            name,
        });
    }
    if schema.get("enum")?.is_some() || schema.get("oneOf")?.is_some() {
        return Err(schema.err(
            "inline enums and oneOf are not supported: move the schema to components/schemas and $ref it",
        ));
    }
    match schema_type(schema)? {
        None => Ok(TypeRef::Any),
        Some("string") => {
            if schema.get("pattern")?.is_some() {
                return Err(schema.err(
                    "inline patterns are not supported: move the schema to components/schemas",
                ));
            }
            Ok(TypeRef::String {
                format: format_of(schema)?,
            })
        }
        Some(ty @ ("integer" | "number")) => {
            if schema.get("minimum")?.is_some() || schema.get("maximum")?.is_some() {
                return Err(schema.err(
                    "inline bounds are not supported: move the schema to components/schemas",
                ));
            }
            Ok(if ty == "integer" {
                TypeRef::Integer
            } else {
                TypeRef::Number
            })
        }
        Some("boolean") => Ok(TypeRef::Bool),
        Some("array") => Ok(TypeRef::Array(Box::new(type_ref(
            &schema.req("items")?,
            kinds,
        )?))),
        Some(other) => Err(schema.err(format!(
            "inline `{other}` schemas are not supported: move the schema to components/schemas"
        ))),
    }
}

fn resolve_ref(reference: &At<'_>, kinds: &BTreeMap<String, NamedKind>) -> Result<String> {
    let target = reference.str()?;
    let name = target.strip_prefix(SCHEMA_PREFIX).ok_or_else(|| {
        reference.err(format!(
            "unsupported $ref `{target}`: only {SCHEMA_PREFIX}<Name> is supported"
        ))
    })?;
    if !kinds.contains_key(name) {
        return Err(reference.err(format!("unresolved $ref `{target}`: no such schema")));
    }
    Ok(name.to_owned())
}

fn parse_union(
    name: &str,
    schema: &At<'_>,
    kinds: &BTreeMap<String, NamedKind>,
) -> Result<UnionDef> {
    let mut variants = Vec::new();
    for member in schema.req("oneOf")?.items()? {
        let reference = member.req("$ref")?;
        let target = resolve_ref(&reference, kinds)?;
        if kinds[&target] != NamedKind::Struct {
            return Err(reference.err("oneOf members must be object schemas"));
        }
        // `PresetColorPalette` in `ColorPalette` becomes `Preset`.
        let ident = match target.strip_suffix(name) {
            Some(stem) if !stem.is_empty() => stem.to_owned(),
            _ => target.clone(),
        };
        if variants.iter().any(|(i, _)| *i == ident) {
            return Err(reference.err(format!("duplicate variant name `{ident}`")));
        }
        variants.push((ident, target));
    }
    Ok(UnionDef {
        name: name.to_owned(),
        doc: doc_of(schema)?,
        variants,
        usage: Usage::default(),
    })
}

/// Field defaults of enum type must name a value of that enum.
fn check_field_defaults(api: &Api, schemas: &At<'_>) -> Result<()> {
    for s in &api.structs {
        for f in &s.fields {
            let (
                Some(default),
                TypeRef::Named {
                    name,
                    kind: NamedKind::Enum,
                },
            ) = (&f.default, &f.ty)
            else {
                continue;
            };
            let e = api.enum_def(name).expect("classified as enum");
            if !default
                .as_str()
                .is_some_and(|d| e.variants.iter().any(|v| v.wire == d))
            {
                let at = schemas
                    .req(&s.name)?
                    .req("properties")?
                    .req(&f.wire)?
                    .req("default")?;
                return Err(at.err(format!("default {default} is not a value of `{name}`")));
            }
        }
    }
    Ok(())
}

fn parse_endpoints(root: &At<'_>, kinds: &BTreeMap<String, NamedKind>) -> Result<Vec<EndpointDef>> {
    let paths = root.req("paths")?;
    let mut endpoints = Vec::new();
    for (path, item) in paths.entries()? {
        let Some(post) = item.get("post")? else {
            continue;
        };
        let Some(meta) = post.get("x-segmind-endpoint")? else {
            continue;
        };
        let slug = meta.req("slug")?.str()?;
        let slug_ok = slug.starts_with(|c: char| c.is_ascii_lowercase())
            && slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !slug_ok {
            return Err(meta.req("slug")?.err(format!(
                "slug `{slug}` must be lowercase letters, digits and dashes"
            )));
        }
        if path != format!("/v1/{slug}") {
            return Err(meta.req("slug")?.err(format!(
                "slug `{slug}` does not match the path `{path}` (expected /v1/{slug})"
            )));
        }
        let schema_ref = post
            .req("requestBody")?
            .req("content")?
            .req("application/json")?
            .req("schema")?
            .req("$ref")?;
        let request = resolve_ref(&schema_ref, kinds)?;
        if kinds[&request] != NamedKind::Struct {
            return Err(schema_ref.err("a request body must be an object schema"));
        }
        let response = match meta.req("response")?.str()? {
            "image" => ResponseKind::Image,
            "json-or-image" => ResponseKind::JsonOrImage,
            other => {
                return Err(meta.req("response")?.err(format!(
                    "unknown response kind `{other}` (image, json-or-image)"
                )));
            }
        };
        let price_usd = match meta.get("price_usd")? {
            None => None,
            Some(p) => {
                let min = p.req("min")?;
                let max = p.req("max")?;
                let number =
                    |n: &At<'_>| n.value.as_f64().ok_or_else(|| n.err("expected a number"));
                let (lo, hi) = (number(&min)?, number(&max)?);
                if lo > hi || lo < 0.0 {
                    return Err(p.err("price needs 0 <= min <= max"));
                }
                Some((lo, hi))
            }
        };
        let mut error_statuses = Vec::new();
        for (code, _) in post.req("responses")?.entries()? {
            let status: u16 = code.parse().map_err(|_| {
                post.req("responses")
                    .map_or_else(|e| e, |r| r.err(format!("`{code}` is not a status code")))
            })?;
            if status >= 400 {
                error_statuses.push(status);
            }
        }
        let submit = format!("/v2/{slug}");
        let has_submit = paths
            .get(&submit)?
            .map(|p| p.get("post"))
            .transpose()?
            .flatten()
            .is_some();
        endpoints.push(EndpointDef {
            slug: slug.to_owned(),
            sync_path: path.to_owned(),
            submit_path: has_submit.then_some(submit),
            operation_id: post.req("operationId")?.str()?.to_owned(),
            title: meta.req("title")?.str()?.to_owned(),
            summary: post.opt_str("description")?.unwrap_or_default().to_owned(),
            request,
            response,
            price_usd,
            typical_latency_seconds: meta.opt_f64("typical_latency_seconds")?,
            note: meta.opt_str("note")?.map(str::to_owned),
            error_statuses,
            unset_size: meta
                .get("output_size")?
                .map(|o| crate::sizes::parse_unset_size(&o))
                .transpose()?,
        });
    }
    if endpoints.is_empty() {
        return Err(paths.err("no operation carries `x-segmind-endpoint`"));
    }
    Ok(endpoints)
}

/// Marks every named type reachable from a request body as input and every
/// one reachable from a response as output.
fn mark_usage(api: &mut Api, root: &At<'_>) -> Result<()> {
    let mut input = BTreeSet::new();
    let mut output = BTreeSet::new();
    for (_, item) in root.req("paths")?.entries()? {
        for (_, op) in item.entries()? {
            if op.value.as_object().is_none() {
                continue;
            }
            if let Some(body) = op.get("requestBody")? {
                collect_refs(body.value, &mut input);
            }
            if let Some(responses) = op.get("responses")? {
                collect_refs(responses.value, &mut output);
            }
        }
    }
    // Responses referenced through components/responses.
    if let Some(responses) = root.req("components")?.get("responses")? {
        collect_refs(responses.value, &mut output);
    }
    let closure = |seeds: BTreeSet<String>| {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<String> = seeds.into_iter().collect();
        while let Some(name) = todo.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            if let Some(s) = api.struct_def(&name) {
                for f in &s.fields {
                    todo.extend(named(&f.ty).map(str::to_owned));
                }
            }
            if let Some(u) = api.union_def(&name) {
                todo.extend(u.variants.iter().map(|(_, t)| t.clone()));
            }
        }
        seen
    };
    let input = closure(input);
    let output = closure(output);
    let usage = |name: &str| Usage {
        input: input.contains(name),
        output: output.contains(name),
    };
    for e in &mut api.enums {
        e.usage = usage(&e.name);
    }
    for s in &mut api.scalars {
        s.usage = usage(&s.name);
    }
    for s in &mut api.structs {
        s.usage = usage(&s.name);
    }
    for u in &mut api.unions {
        u.usage = usage(&u.name);
    }
    Ok(())
}

fn named(ty: &TypeRef) -> Option<&str> {
    match ty {
        TypeRef::Named { name, .. } => Some(name),
        TypeRef::Array(inner) => named(inner),
        _ => None,
    }
}

fn collect_refs(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref"
                    && let Some(name) = v.as_str().and_then(|s| s.strip_prefix(SCHEMA_PREFIX))
                {
                    out.insert(name.to_owned());
                }
                collect_refs(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}
