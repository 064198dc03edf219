//! Each fact a page states, next to what the spec says about it.
//!
//! The spec is read through the generator's model (every reference
//! resolved, every type classified), so the comparison sees the spec the
//! way the generated client does. Facts are rendered in the pages'
//! vocabulary (`string (uri)`, `100-999999`, `"AUTO"`) so a line reads the
//! same on both sides.

use segmind_ideogram_codegen::model::{
    Api, EndpointDef, EnumDef, FieldDef, Format, NamedKind, ResponseKind, ScalarKind, StructDef,
    TypeRef,
};
use serde_json::{Map, Value};

use super::page::{Page, Param};

/// One fact: what the page says and what the spec says.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    pub endpoint: String,
    /// `url`, `price`, `seed.range`, `resolution.values`, ...
    pub field: String,
    pub page: String,
    pub spec: String,
    pub agrees: bool,
}

/// Lists of values the pages truncate, from `spec/sources/*.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceList {
    pub file: String,
    pub values: Vec<String>,
}

/// What the comparison needs of the spec.
pub struct Spec<'a> {
    pub api: &'a Api,
    /// `servers[0].url`.
    pub server: &'a str,
    /// `paths`, for the queue calls and the operations' examples.
    pub paths: &'a Map<String, Value>,
}

const NOT_STATED: &str = "not stated";

/// Every fact of one page about the endpoint `slug` (the file's name).
pub fn page_facts(slug: &str, page: &Page, spec: &Spec<'_>, lists: &[ReferenceList]) -> Vec<Fact> {
    let mut facts = Facts {
        endpoint: slug,
        out: Vec::new(),
    };
    let page_url = page.url.as_ref().map(|(url, _)| url.clone());
    let Some(endpoint) = spec.api.endpoints.iter().find(|e| e.slug == slug) else {
        facts.push(
            "endpoint",
            page_url.unwrap_or_else(|| NOT_STATED.into()),
            format!("no endpoint {slug}"),
            false,
        );
        return facts.out;
    };
    let spec_url = format!("{}/v1/{slug}", spec.server);
    facts.push(
        "url",
        page_url.clone().unwrap_or_else(|| NOT_STATED.into()),
        spec_url.clone(),
        page_url.as_deref() == Some(spec_url.as_str()),
    );
    endpoint_facts(&mut facts, page, endpoint, spec);
    let Some(request) = spec.api.struct_def(&endpoint.request) else {
        return facts.out;
    };
    for param in &page.params {
        match request.fields.iter().find(|f| f.wire == param.name) {
            Some(field) => param_facts(&mut facts, param, field, spec.api, lists),
            None => facts.push(
                &param.name,
                format!("{} {}", required_word(param.required), param.ty),
                "no such parameter".into(),
                false,
            ),
        }
    }
    for field in &request.fields {
        if !page.params.iter().any(|p| p.name == field.wire) {
            facts.push(
                &field.wire,
                "not listed".into(),
                format!(
                    "{} {}",
                    required_word(field.required),
                    type_words(&field.ty, spec.api)
                ),
                false,
            );
        }
    }
    rule_facts(&mut facts, request);
    example_facts(&mut facts, page, endpoint, request, spec);
    facts.out
}

struct Facts<'a> {
    endpoint: &'a str,
    out: Vec<Fact>,
}

impl Facts<'_> {
    fn push(&mut self, field: &str, page: String, spec: String, agrees: bool) {
        self.out.push(Fact {
            endpoint: self.endpoint.to_owned(),
            field: field.to_owned(),
            page,
            spec,
            agrees,
        });
    }

    /// A fact both sides may leave unstated: compared only when one states it.
    fn optional(&mut self, field: &str, page: Option<String>, spec: Option<String>) {
        if page.is_some() || spec.is_some() {
            let agrees = page == spec;
            self.push(
                field,
                page.unwrap_or_else(|| NOT_STATED.into()),
                spec.unwrap_or_else(|| "none".into()),
                agrees,
            );
        }
    }
}

fn required_word(required: bool) -> &'static str {
    if required { "required" } else { "optional" }
}

fn endpoint_facts(facts: &mut Facts<'_>, page: &Page, endpoint: &EndpointDef, spec: &Spec<'_>) {
    let price = |(lo, hi): (f64, f64)| {
        if lo == hi {
            format!("${lo}")
        } else {
            format!("${lo}-${hi}")
        }
    };
    facts.optional(
        "price",
        page.price_usd.map(price),
        endpoint.price_usd.map(price),
    );
    let seconds = |s: f64| format!("{s} s");
    facts.optional(
        "latency",
        page.latency_seconds.map(seconds),
        endpoint.typical_latency_seconds.map(seconds),
    );
    let spec_response = match endpoint.response {
        ResponseKind::Image => "image",
        ResponseKind::JsonOrImage => "json-or-image",
    };
    let page_response = page.returns.clone();
    let agrees = page_response
        .as_deref()
        .is_some_and(|r| r.eq_ignore_ascii_case(spec_response));
    facts.push(
        "response",
        page_response.unwrap_or_else(|| NOT_STATED.into()),
        spec_response.into(),
        agrees,
    );

    let page_queue: Vec<&String> = page
        .queue_paths
        .iter()
        .filter(|p| p.contains("/v2/requests/") || p.ends_with(&format!("/v2/{}", endpoint.slug)))
        .collect();
    let spec_queue = spec_queue_calls(endpoint, spec);
    facts.push(
        "queue",
        if page_queue.is_empty() {
            "not documented".into()
        } else {
            join(&page_queue)
        },
        if spec_queue.is_empty() {
            "none".into()
        } else {
            join(&spec_queue)
        },
        page_queue.len() == spec_queue.len() && page_queue.iter().all(|p| spec_queue.contains(p)),
    );
    if !page.queue_statuses.is_empty() {
        let spec_statuses = job_statuses(spec);
        facts.push(
            "queue.statuses",
            join(&page.queue_statuses),
            join(&spec_statuses),
            page.queue_statuses
                .iter()
                .all(|s| spec_statuses.contains(s)),
        );
    }
    if !page.error_statuses.is_empty() {
        facts.push(
            "errors",
            join(&page.error_statuses),
            join(&endpoint.error_statuses),
            page.error_statuses
                .iter()
                .all(|s| endpoint.error_statuses.contains(s)),
        );
    }
}

fn join<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The queue calls the spec offers for an endpoint, written as the pages
/// write them (`GET /v2/requests/{id}/status`), sorted.
fn spec_queue_calls(endpoint: &EndpointDef, spec: &Spec<'_>) -> Vec<String> {
    if endpoint.submit_path.is_none() {
        return Vec::new();
    }
    let mut calls = vec![format!("POST /v2/{}", endpoint.slug)];
    for (path, item) in spec.paths {
        if path.starts_with("/v2/requests/") && item.get("get").is_some() {
            calls.push(format!("GET {}", path.replace("{request_id}", "{id}")));
        }
    }
    calls.sort();
    calls
}

/// Error statuses of the job status and result calls.
fn job_statuses(spec: &Spec<'_>) -> Vec<u16> {
    let mut statuses: Vec<u16> = spec
        .paths
        .iter()
        .filter(|(path, _)| path.starts_with("/v2/requests/"))
        .filter_map(|(_, item)| item.pointer("/get/responses")?.as_object())
        .flat_map(|responses| responses.keys().filter_map(|code| code.parse().ok()))
        .filter(|status| *status >= 400)
        .collect();
    statuses.sort_unstable();
    statuses.dedup();
    statuses
}

fn param_facts(
    facts: &mut Facts<'_>,
    param: &Param,
    field: &FieldDef,
    api: &Api,
    lists: &[ReferenceList],
) {
    let name = &param.name;
    facts.push(
        &format!("{name}.required"),
        required_word(param.required).into(),
        required_word(field.required).into(),
        param.required == field.required,
    );
    let spec_type = type_words(&field.ty, api);
    facts.push(
        &format!("{name}.type"),
        param.ty.clone(),
        spec_type.clone(),
        param.ty == spec_type,
    );
    let (spec_format, each) = format_of(&field.ty, api);
    facts.optional(
        &format!("{name}.format"),
        param.format.clone(),
        spec_format.map(|f| format!("{f}{each}")),
    );
    // The pages never state a pattern: any in the spec is the spec's own.
    let (pattern, each) = pattern_of(&field.ty, api);
    facts.optional(
        &format!("{name}.pattern"),
        None,
        pattern.map(|p| format!("{p}{each}")),
    );
    facts.optional(
        &format!("{name}.items"),
        None,
        count_words((field.min_items, field.max_items), "items"),
    );
    // Nor a string's length: any bound is the spec's own.
    facts.optional(
        &format!("{name}.length"),
        None,
        count_words(field.length, "characters"),
    );
    facts.optional(
        &format!("{name}.default"),
        param.default.clone(),
        field.default.as_ref().map(Value::to_string),
    );
    let range = |(lo, hi): (f64, f64)| format!("{lo}-{hi}");
    facts.optional(
        &format!("{name}.range"),
        param.range.map(range),
        range_of(&field.ty, api),
    );
    if let Some(e) = enum_of(&field.ty, api) {
        value_facts(facts, param, e, lists);
    } else if !param.values.is_empty() {
        facts.push(
            &format!("{name}.values"),
            quoted_list(&param.values),
            format!("{spec_type}, no list of values"),
            false,
        );
    }
    if let TypeRef::Named {
        name: union,
        kind: NamedKind::Union,
    } = &field.ty
    {
        facts.push(
            &format!("{name}.variants"),
            page_variants(param),
            spec_variants(union, api),
            page_variants(param) == spec_variants(union, api),
        );
    }
}

fn quoted_list(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("\"{v}\""))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Allowed values shown, their announced total, and for a truncated list
/// the reference list in `spec/sources/` that holds the rest.
fn value_facts(facts: &mut Facts<'_>, param: &Param, e: &EnumDef, lists: &[ReferenceList]) {
    let name = &param.name;
    let spec_values: Vec<&str> = e.variants.iter().map(|v| v.wire.as_str()).collect();
    let shown = param.values.len() as u64;
    let truncated = param.more.is_some_and(|more| more > 0);
    let shown_values: Vec<&str> = param.values.iter().map(String::as_str).collect();
    let values_agree = value_differences(
        facts,
        &format!("{name}.values"),
        (&shown_values, &spec_values),
        &e.name,
        |v| format!("shows \"{v}\""),
        // A truncated list need not show every value.
        (!truncated && !shown_values.is_empty())
            .then_some(|v: &str| format!("does not show \"{v}\"")),
    );
    if values_agree && !param.values.is_empty() {
        facts.push(
            &format!("{name}.values"),
            format!("{shown} shown"),
            format!("{shown} of {} in {}", spec_values.len(), e.name),
            true,
        );
    }
    if param.values.is_empty() && param.total.is_none() {
        return;
    }
    let computed = shown.checked_add(param.more.unwrap_or(0));
    let announced = param.total.or(computed);
    let page_total = match (param.total, param.more, computed) {
        (Some(total), Some(more), Some(sum)) if sum != total => {
            format!("{total} (but {shown} shown +{more} more)")
        }
        _ => announced.map_or_else(|| "unreadable".into(), |n| n.to_string()),
    };
    let spec_total = spec_values.len().to_string();
    let agrees = page_total == spec_total;
    facts.push(&format!("{name}.total"), page_total, spec_total, agrees);
    if truncated {
        reference_facts(facts, param, e, lists);
    }
}

/// The spec's full list against the reference list that holds the shown values.
fn reference_facts(facts: &mut Facts<'_>, param: &Param, e: &EnumDef, lists: &[ReferenceList]) {
    let field = format!("{}.reference", param.name);
    let holds_shown = |list: &&ReferenceList| param.values.iter().all(|v| list.values.contains(v));
    let Some(list) = lists.iter().find(holds_shown) else {
        facts.push(
            &field,
            format!(
                "shows {} values; no list in spec/sources holds them",
                param.values.len()
            ),
            format!("{} values in {}", e.variants.len(), e.name),
            false,
        );
        return;
    };
    let spec_values: Vec<&str> = e.variants.iter().map(|v| v.wire.as_str()).collect();
    let listed: Vec<&str> = list.values.iter().map(String::as_str).collect();
    let agrees = value_differences(
        facts,
        &field,
        (&listed, &spec_values),
        &e.name,
        |v| format!("{} lists \"{v}\"", list.file),
        Some(|v: &str| format!("{} does not list \"{v}\"", list.file)),
    );
    if agrees {
        let same_order = list
            .values
            .iter()
            .map(String::as_str)
            .eq(spec_values.iter().copied());
        facts.push(
            &field,
            format!("{}: {} values", list.file, list.values.len()),
            format!(
                "{}: {} values, {}",
                e.name,
                spec_values.len(),
                if same_order {
                    "same order"
                } else {
                    "another order"
                }
            ),
            same_order,
        );
    }
}

/// One fact per value the source has and the spec's enum lacks, and (when
/// `lacks` is given) per value the spec has and the source lacks. Whether
/// there was none.
fn value_differences(
    facts: &mut Facts<'_>,
    field: &str,
    (source, spec): (&[&str], &[&str]),
    enum_name: &str,
    has: impl Fn(&str) -> String,
    lacks: Option<impl Fn(&str) -> String>,
) -> bool {
    let before = facts.out.len();
    for value in source.iter().filter(|v| !spec.contains(v)) {
        facts.push(field, has(value), format!("{enum_name} lacks it"), false);
    }
    if let Some(lacks) = lacks {
        for value in spec.iter().filter(|v| !source.contains(v)) {
            facts.push(field, lacks(value), format!("{enum_name} has it"), false);
        }
    }
    facts.out.len() == before
}

fn page_variants(param: &Param) -> String {
    param
        .variants
        .iter()
        .map(|v| {
            let fields: Vec<String> = v
                .fields
                .iter()
                .map(|f| format!("{} {} {}", f.name, required_word(f.required), f.ty))
                .collect();
            format!("{{{}}}", fields.join(", "))
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

fn spec_variants(union: &str, api: &Api) -> String {
    let Some(u) = api.union_def(union) else {
        return "unknown union".into();
    };
    u.variants
        .iter()
        .map(|(_, target)| {
            let fields: Vec<String> = api
                .struct_def(target)
                .map(|s| {
                    s.fields
                        .iter()
                        .map(|f| {
                            format!(
                                "{} {} {}",
                                f.wire,
                                required_word(f.required),
                                type_words(&f.ty, api)
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            format!("{{{}}}", fields.join(", "))
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

/// A spec type in the pages' words: `string`, `integer`, `object[]`, `any | any`.
pub fn type_words(ty: &TypeRef, api: &Api) -> String {
    match ty {
        TypeRef::String { .. } | TypeRef::Image => "string".into(),
        TypeRef::Integer => "integer".into(),
        TypeRef::Number => "number".into(),
        TypeRef::Bool => "boolean".into(),
        TypeRef::Any => "any".into(),
        TypeRef::Array(inner) => format!("{}[]", type_words(inner, api)),
        TypeRef::Named { name, kind } => match kind {
            NamedKind::Enum => "string".into(),
            NamedKind::Struct => "object".into(),
            NamedKind::Union => api.union_def(name).map_or_else(
                || "any".into(),
                |u| vec!["any"; u.variants.len()].join(" | "),
            ),
            NamedKind::Scalar => match api.scalar_def(name).map(|s| &s.kind) {
                Some(ScalarKind::Integer { .. }) => "integer".into(),
                Some(ScalarKind::Number { .. }) => "number".into(),
                _ => "string".into(),
            },
        },
    }
}

/// The scalar kind behind a field (through one array level), and a note
/// when it applies to each item.
fn scalar_of<'a>(ty: &'a TypeRef, api: &'a Api) -> (Option<&'a ScalarKind>, &'static str) {
    match ty {
        TypeRef::Array(inner) => (scalar_of(inner, api).0, " (each item)"),
        TypeRef::Named {
            name,
            kind: NamedKind::Scalar,
        } => (api.scalar_def(name).map(|s| &s.kind), ""),
        _ => (None, ""),
    }
}

fn format_of(ty: &TypeRef, api: &Api) -> (Option<&'static str>, &'static str) {
    match ty {
        TypeRef::String { format: Some(f) } => (Some(f.as_str()), ""),
        TypeRef::Image => (Some(Format::Uri.as_str()), ""),
        TypeRef::Array(inner) => (format_of(inner, api).0, " (each item)"),
        _ => match scalar_of(ty, api) {
            (
                Some(ScalarKind::String {
                    format: Some(f), ..
                }),
                each,
            ) => (Some(f.as_str()), each),
            _ => (None, ""),
        },
    }
}

fn pattern_of<'a>(ty: &'a TypeRef, api: &'a Api) -> (Option<&'a str>, &'static str) {
    match scalar_of(ty, api) {
        (
            Some(ScalarKind::String {
                pattern: Some(p), ..
            }),
            each,
        ) => (Some(p), each),
        _ => (None, ""),
    }
}

fn range_of(ty: &TypeRef, api: &Api) -> Option<String> {
    let bound = |v: Option<String>| v.unwrap_or_else(|| "…".into());
    match scalar_of(ty, api) {
        (Some(ScalarKind::Integer { min, max }), _) if min.is_some() || max.is_some() => {
            Some(format!(
                "{}-{}",
                bound(min.map(|v| v.to_string())),
                bound(max.map(|v| v.to_string()))
            ))
        }
        (Some(ScalarKind::Number { min, max }), _) if min.is_some() || max.is_some() => {
            Some(format!(
                "{}-{}",
                bound(min.map(|v| v.to_string())),
                bound(max.map(|v| v.to_string()))
            ))
        }
        _ => None,
    }
}

/// `1-8 items`, `1-… characters`: a bound on a count the pages never state.
fn count_words((min, max): (Option<u64>, Option<u64>), unit: &str) -> Option<String> {
    match (min, max) {
        (None, None) => None,
        (lo, hi) => Some(format!(
            "{}-{} {unit}",
            lo.unwrap_or(0),
            hi.map_or_else(|| "…".into(), |h| h.to_string())
        )),
    }
}

fn enum_of<'a>(ty: &'a TypeRef, api: &'a Api) -> Option<&'a EnumDef> {
    match ty {
        TypeRef::Named {
            name,
            kind: NamedKind::Enum,
        } => api.enums.iter().find(|e| &e.name == name),
        TypeRef::Array(inner) => enum_of(inner, api),
        _ => None,
    }
}

/// Cross-field rules: the pages state none, so each is the spec's own.
fn rule_facts(facts: &mut Facts<'_>, request: &StructDef) {
    for rule in &request.rules {
        let segmind_ideogram_codegen::model::StructRule::NotBothNonEmpty { first, second, .. } =
            rule;
        facts.push(
            "rules",
            NOT_STATED.into(),
            format!("{first} and {second} not both non-empty"),
            false,
        );
    }
}

/// The page's example payload: the same as the spec's, and valid under it.
fn example_facts(
    facts: &mut Facts<'_>,
    page: &Page,
    endpoint: &EndpointDef,
    request: &StructDef,
    spec: &Spec<'_>,
) {
    let Some(example) = &page.example else {
        return;
    };
    let example = match example {
        Ok(example) => example,
        Err(why) => {
            facts.push("example", why.clone(), "a request payload".into(), false);
            return;
        }
    };
    let spec_example = spec
        .paths
        .get(&format!("/v1/{}", endpoint.slug))
        .and_then(|item| item.pointer("/post/requestBody/content/application~1json/example"))
        .and_then(Value::as_object);
    match spec_example {
        Some(spec_example) if spec_example == example => facts.push(
            "example",
            format!("sends {}", keys(example)),
            "the same example".into(),
            true,
        ),
        Some(spec_example) => {
            let mut names: Vec<&String> = example.keys().chain(spec_example.keys()).collect();
            names.sort();
            names.dedup();
            for name in names {
                let (p, s) = (example.get(name), spec_example.get(name));
                if p != s {
                    facts.push(
                        &format!("example.{name}"),
                        p.map_or_else(|| "absent".into(), short),
                        s.map_or_else(|| "absent".into(), short),
                        false,
                    );
                }
            }
        }
        None => facts.push(
            "example",
            format!("sends {}", keys(example)),
            "no example".into(),
            false,
        ),
    }
    let missing: Vec<&str> = request
        .fields
        .iter()
        .filter(|f| f.required && !example.contains_key(&f.wire))
        .map(|f| f.wire.as_str())
        .collect();
    let unknown: Vec<&str> = example
        .keys()
        .filter(|k| !request.fields.iter().any(|f| &f.wire == *k))
        .map(String::as_str)
        .collect();
    if missing.is_empty() && unknown.is_empty() {
        facts.push(
            "example.valid",
            "sends every required parameter".into(),
            "valid".into(),
            true,
        );
    }
    if !missing.is_empty() {
        facts.push(
            "example.valid",
            format!("omits {}", missing.join(", ")),
            format!("{} required", missing.join(", ")),
            false,
        );
    }
    if !unknown.is_empty() {
        facts.push(
            "example.valid",
            format!("sends {}", unknown.join(", ")),
            "no such parameter".into(),
            false,
        );
    }
}

fn keys(map: &Map<String, Value>) -> String {
    map.keys().cloned().collect::<Vec<_>>().join(", ")
}

/// A JSON value cut to a readable length.
fn short(value: &Value) -> String {
    const MAX: usize = 48;
    let text = value.to_string();
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}
