//! Spec fragments written from what a page states: the schema of a
//! parameter the spec lacks, and the whole of an endpoint it lacks. The
//! generator's rules shape them (bounds and enums live in
//! `components/schemas`, referenced by `$ref`); what the spec already has is
//! reused (a parameter of the same name on another endpoint, an enum with
//! the values shown, a reference list in `spec/sources/`), and anything
//! guessed is said in a note.

use serde_json::{Map, Value, json};

use super::compare::ReferenceList;
use super::page::{Page, Param};

/// A JSON pointer of the spec and the value to put there.
pub type Edit = (String, Value);

/// A schema to add under `components/schemas`.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    pub name: String,
    pub schema: Value,
}

/// What a page parameter becomes in the spec.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSchema {
    /// New component schemas the property refers to.
    pub components: Vec<Component>,
    /// The property of the request schema.
    pub property: Value,
    /// What `--fix` could not know and a maintainer should check.
    pub notes: Vec<String>,
}

/// The schema of `param` for the request `request`, in the spec `spec`.
pub fn param_schema(
    spec: &Value,
    request: &str,
    param: &Param,
    lists: &[ReferenceList],
) -> ParamSchema {
    let mut notes = Vec::new();
    let mut components = Vec::new();
    let schemas = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    let mut property = match same_parameter_elsewhere(spec, request, param) {
        Some(existing) => existing,
        None => match param.ty.as_str() {
            "integer" | "number" => match param.range {
                Some((lo, hi)) => {
                    let number = |n: f64| {
                        if param.ty == "integer" {
                            json!(n as i64)
                        } else {
                            json!(n)
                        }
                    };
                    let mut scalar = json!({
                        "type": param.ty,
                        "minimum": number(lo),
                        "maximum": number(hi),
                    });
                    if !param.description.is_empty() {
                        scalar["description"] = json!(param.description);
                    }
                    component_ref(schemas, request, &param.name, scalar, &mut components)
                }
                None => json!({"type": param.ty}),
            },
            "boolean" => json!({"type": "boolean"}),
            "string" if !param.values.is_empty() => {
                enum_ref(schemas, request, param, lists, &mut components, &mut notes)
            }
            "string" => match param.format.as_deref() {
                Some(format) => json!({"type": "string", "format": format}),
                None => json!({"type": "string"}),
            },
            "string[]" => {
                let format = if param.name.contains("image") {
                    json!({"type": "string", "format": "uri"})
                } else {
                    json!({"type": "string"})
                };
                json!({"type": "array", "items": format})
            }
            other => {
                notes.push(format!(
                    "`{}` is `{other}` on the page: written as any JSON value; give it its schema",
                    param.name
                ));
                json!({})
            }
        },
    };
    let object = property
        .as_object_mut()
        .expect("every schema written here is an object");
    if !param.description.is_empty() {
        object.insert("description".into(), json!(param.description));
    } else {
        object.shift_remove("description");
    }
    match param.default.as_deref().map(page_value) {
        Some(default) => object.insert("default".into(), default),
        None => object.shift_remove("default"),
    };
    if !object.contains_key("x-segmind-member")
        && let Some(member) = member_of(param, object, schemas)
    {
        object.insert("x-segmind-member".into(), json!(member));
    }
    ParamSchema {
        components,
        property,
        notes,
    }
}

/// A value as the pages write it (`"AUTO"`, `50`) as JSON; bare text as a string.
pub fn page_value(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| json!(text))
}

/// The property of the same name on another request, without its
/// documentation: the same parameter on another endpoint takes the same
/// values (`image_weight`, `style_codes`, `color_palette`). Its recorded
/// deviations come along for the facts this page does not state either
/// (a pattern no page states).
fn same_parameter_elsewhere(spec: &Value, request: &str, param: &Param) -> Option<Value> {
    let name = &param.name;
    let schemas = spec.pointer("/components/schemas")?.as_object()?;
    let (_, schema) = schemas
        .iter()
        .filter(|(other, _)| other.as_str() != request && other.ends_with("Request"))
        .find(|(_, s)| s.pointer(&format!("/properties/{name}")).is_some())?;
    let mut property = schema.pointer(&format!("/properties/{name}"))?.clone();
    let object = property.as_object_mut()?;
    for key in ["description", "default", "title"] {
        object.shift_remove(key);
    }
    let key = super::deviations::KEY;
    if let Some(Value::Array(records)) = object.get_mut(key) {
        records.retain(|r| {
            !r["fact"]
                .as_str()
                .is_some_and(|fact| page_states(param, fact))
        });
        if records.is_empty() {
            object.shift_remove(key);
        }
    }
    Some(property)
}

/// Whether the page states this fact of the parameter, which a deviation
/// recorded for another page does not cover.
fn page_states(param: &Param, fact: &str) -> bool {
    match fact {
        "range" => param.range.is_some(),
        "default" => param.default.is_some(),
        "values" | "total" => !param.values.is_empty(),
        "format" => param.format.is_some(),
        // Pages never state a pattern, a list's length or a string's.
        "pattern" | "items" | "length" => false,
        _ => true,
    }
}

/// `{"$ref": ...}` to `schema` under the parameter's name (`num_images`
/// gives `NumImages`): the existing component when it is the same schema,
/// else a new one (named after the request when the name is taken).
fn component_ref(
    schemas: Option<&Map<String, Value>>,
    request: &str,
    param: &str,
    schema: Value,
    components: &mut Vec<Component>,
) -> Value {
    let plain = type_name(param);
    let name = match schemas.and_then(|s| s.get(&plain)) {
        Some(existing) if same_constraints(existing, &schema) => plain,
        Some(_) => format!("{}{plain}", request.trim_end_matches("Request")),
        None => plain,
    };
    if schemas.is_none_or(|s| !s.contains_key(&name)) {
        components.push(Component {
            name: name.clone(),
            schema,
        });
    }
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// Whether an existing schema constrains values as `new` does (its type,
/// bounds and values), whatever its documentation.
fn same_constraints(existing: &Value, new: &Value) -> bool {
    ["type", "minimum", "maximum", "enum"]
        .iter()
        .all(|key| existing.get(key) == new.get(key))
}

/// The enum of a parameter whose values the page shows: an existing enum
/// that holds them (and as many as the page announces), else one from the
/// reference list that holds them, else the values shown.
fn enum_ref(
    schemas: Option<&Map<String, Value>>,
    request: &str,
    param: &Param,
    lists: &[ReferenceList],
    components: &mut Vec<Component>,
    notes: &mut Vec<String>,
) -> Value {
    let total = param
        .total
        .or_else(|| Some(param.values.len() as u64 + param.more.unwrap_or(0)));
    let holds = |values: &[Value]| {
        param.values.iter().all(|v| values.contains(&json!(v)))
            && total.is_none_or(|t| values.len() as u64 == t)
    };
    if let Some((name, _)) = schemas.into_iter().flatten().find(|(_, s)| {
        s.get("enum")
            .and_then(Value::as_array)
            .is_some_and(|values| holds(values))
            && s.get("x-open-enum").is_none()
    }) {
        return json!({"$ref": format!("#/components/schemas/{name}")});
    }
    let truncated = param.more.is_some_and(|more| more > 0);
    let values: Vec<String> = match lists
        .iter()
        .find(|l| param.values.iter().all(|v| l.values.contains(v)))
    {
        Some(list) if truncated => list.values.clone(),
        _ => {
            if truncated {
                notes.push(format!(
                    "`{}`: the page shows {} of {} values and no list in spec/sources holds them: add the reference list, or complete the enum",
                    param.name,
                    param.values.len(),
                    total.unwrap_or_default()
                ));
            }
            param.values.clone()
        }
    };
    let mut schema = json!({"type": "string", "enum": values});
    if !param.description.is_empty() {
        schema["description"] = json!(param.description);
    }
    if values
        .iter()
        .any(|v| v.starts_with(|c: char| c.is_ascii_digit()))
    {
        // Rust variant names cannot start with a digit.
        schema["x-variant-prefix"] = json!(type_name(&param.name));
    }
    component_ref(schemas, request, &param.name, schema, components)
}

/// The member a parameter is to code that handles any endpoint, when its
/// name and shape say so: `prompt`, `seed`, an input image, the output's
/// size in pixels (`resolution`) or its aspect ratio.
fn member_of(
    param: &Param,
    property: &Map<String, Value>,
    schemas: Option<&Map<String, Value>>,
) -> Option<&'static str> {
    let name = param.name.as_str();
    let uri = |p: &Map<String, Value>| p.get("format") == Some(&json!("uri"));
    let items_uri = property
        .get("items")
        .and_then(Value::as_object)
        .is_some_and(uri);
    let enum_values = property
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
        .and_then(|n| schemas?.get(n)?.get("enum")?.as_array().cloned())
        .or_else(|| Some(param.values.iter().map(|v| json!(v)).collect()))
        .filter(|v: &Vec<Value>| !v.is_empty());
    let sized = enum_values.is_some_and(|values| {
        values.iter().all(|v| {
            v.as_str().is_some_and(|s| {
                s.split(|c: char| !c.is_ascii_digit())
                    .filter(|g| !g.is_empty())
                    .count()
                    == 2
            })
        })
    });
    match name {
        "prompt" if param.ty == "string" => Some("prompt"),
        "seed" if param.ty == "integer" => Some("seed"),
        "resolution" if sized => Some("output-size"),
        "aspect_ratio" if sized => Some("aspect-ratio"),
        _ if name.contains("image") && (uri(property) || items_uri) => Some("image"),
        _ => None,
    }
}

/// `num_images` → `NumImages`; `ideogram-3-remix` → `Ideogram3Remix`.
pub fn type_name(name: &str) -> String {
    name.split(['_', '-'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The spec's edits for an endpoint only the page has: its request schema
/// and its `/v1` and `/v2` operations, modelled on the spec's first
/// endpoint (responses, queue) with the page's metadata. Returns the
/// (pointer, value) pairs to add and the notes.
pub fn new_endpoint(
    spec: &Value,
    slug: &str,
    page: &Page,
    lists: &[ReferenceList],
) -> Option<(Vec<Edit>, Vec<String>)> {
    let mut notes = Vec::new();
    let request = format!("{}Request", type_name(slug));
    let paths = spec.get("paths")?.as_object()?;
    let response = response_kind(page);
    let endpoints = || {
        paths
            .iter()
            .filter(|(_, item)| item.pointer("/post/x-segmind-endpoint").is_some())
    };
    let (template_path, template) = endpoints()
        .find(|(_, item)| {
            item.pointer("/post/x-segmind-endpoint/response") == Some(&json!(response))
        })
        .or_else(|| endpoints().next())?;
    let template_slug = template_path.strip_prefix("/v1/")?;
    let mut edits: Vec<Edit> = Vec::new();
    let mut properties = Map::new();
    let mut required = Vec::new();
    for param in &page.params {
        let schema = param_schema(spec, &request, param, lists);
        for c in schema.components {
            if !edits
                .iter()
                .any(|(p, _)| *p == format!("/components/schemas/{}", c.name))
            {
                edits.push((format!("/components/schemas/{}", c.name), c.schema));
            }
        }
        notes.extend(schema.notes);
        properties.insert(param.name.clone(), schema.property);
        if param.required {
            required.push(json!(param.name));
        }
    }
    let title = page.title.clone().unwrap_or_else(|| slug.to_owned());
    let mut body = json!({
        "title": title,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    });
    if let Some(summary) = &page.summary {
        body["description"] = json!(summary);
    }
    edits.push((format!("/components/schemas/{request}"), body));

    let reference = json!({"$ref": format!("#/components/schemas/{request}")});
    let mut sync = template.clone();
    let post = sync.get_mut("post")?.as_object_mut()?;
    post.insert("operationId".into(), json!(camel(slug)));
    post.insert("summary".into(), json!(title));
    match &page.summary {
        Some(summary) => post.insert("description".into(), json!(summary)),
        None => post.shift_remove("description"),
    };
    let mut meta = json!({"slug": slug, "title": title, "response": response});
    if let Some((min, max)) = page.price_usd {
        meta["price_usd"] = json!({"min": min, "max": max});
    }
    if let Some(latency) = page.latency_seconds {
        meta["typical_latency_seconds"] = json!(latency);
    }
    let sized = properties.values().any(|p| {
        matches!(
            p.get("x-segmind-member").and_then(Value::as_str),
            Some("output-size" | "aspect-ratio")
        )
    });
    if !sized {
        let images: Vec<&Param> = page
            .params
            .iter()
            .filter(|p| {
                p.required && p.format.as_deref() == Some("uri") && p.name.contains("image")
            })
            .collect();
        let declared = match images.as_slice() {
            [image] => json!({"follows": image.name}),
            _ => json!("server-default"),
        };
        notes.push(format!(
            "{slug}: the page names no output size; written `\"output_size\": {declared}`: check it against the page"
        ));
        meta["output_size"] = declared;
    }
    post.insert("x-segmind-endpoint".into(), meta);
    // The template's records concern its own page; the queue's reason holds
    // for every slug the page does not show it for.
    let queue_record = post
        .get(super::deviations::KEY)
        .and_then(Value::as_array)
        .and_then(|records| records.iter().find(|r| r["fact"] == "queue").cloned())
        .filter(|_| page.queue_paths.is_empty());
    post.shift_remove(super::deviations::KEY);
    if let Some(record) = queue_record {
        post.insert(super::deviations::KEY.into(), json!([record]));
    }
    let content = json!({"schema": reference.clone()});
    let mut content = content;
    if let Some(Ok(example)) = &page.example {
        content["example"] = Value::Object(example.clone());
    }
    post.insert(
        "requestBody".into(),
        json!({"required": true, "content": {"application/json": content}}),
    );
    edits.push((format!("/paths/{}", escape(&format!("/v1/{slug}"))), sync));

    let queued_path = format!("/v2/{template_slug}");
    if let Some(queued) = paths.get(&queued_path) {
        let mut queued = queued.clone();
        if let Some(post) = queued.get_mut("post").and_then(Value::as_object_mut) {
            post.insert(
                "operationId".into(),
                json!(format!("{}Submit", camel(slug))),
            );
            post.insert("summary".into(), json!(format!("{title} (queued)")));
            if let Some(Value::String(text)) = post.get_mut("description") {
                *text = text.replace(&format!("/v1/{template_slug}"), &format!("/v1/{slug}"));
            }
            post.insert(
                "requestBody".into(),
                json!({"required": true, "content": {"application/json": {"schema": reference}}}),
            );
        }
        edits.push((format!("/paths/{}", escape(&format!("/v2/{slug}"))), queued));
    }
    Some((edits, notes))
}

/// `ideogram-3-remix` → `ideogram3Remix`.
fn camel(slug: &str) -> String {
    let name = type_name(slug);
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// `image` or `json-or-image`, from the page's `Returns:`.
fn response_kind(page: &Page) -> &'static str {
    match page.returns.as_deref().map(str::to_ascii_lowercase) {
        Some(r) if r.contains("json") || r.contains("text") => "json-or-image",
        _ => "image",
    }
}

/// A key as a JSON pointer segment.
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}
