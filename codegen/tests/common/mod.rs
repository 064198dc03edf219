//! What the generator's tests share: the spec, edits that add an endpoint
//! to a copy of it, and lookups in the generated files by their tokens.
// Each test file uses its own subset.
#![allow(dead_code)]

use quote::ToTokens;
use segmind_ideogram_codegen::{CodegenError, GeneratedFile, generate};
use serde_json::{Value, json};

/// The real spec, decoded.
pub fn spec() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../spec/segmind-ideogram.openapi.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Adds the endpoint `slug` to `spec`: `schemas` (the request schema named
/// `request` among them) under `components/schemas`, and `/v1` and `/v2`
/// operations copied from reframe's, with `endpoint` merged into its
/// `x-segmind-endpoint`.
pub fn add_endpoint(spec: &mut Value, slug: &str, request: &str, schemas: Value, endpoint: Value) {
    let components = spec["components"]["schemas"].as_object_mut().unwrap();
    for (name, schema) in schemas.as_object().unwrap() {
        assert!(
            !components.contains_key(name),
            "the spec has a {name} already"
        );
        components.insert(name.clone(), schema.clone());
    }
    assert!(components.contains_key(request), "no schema {request}");
    let reference = json!({"$ref": format!("#/components/schemas/{request}")});
    let paths = &mut spec["paths"];
    let mut sync = paths["/v1/ideogram-3-reframe"].clone();
    let post = &mut sync["post"];
    post["operationId"] = json!(format!("{request}Sync"));
    let meta = post["x-segmind-endpoint"].as_object_mut().unwrap();
    meta.insert("slug".into(), json!(slug));
    for (key, value) in endpoint.as_object().unwrap() {
        meta.insert(key.clone(), value.clone());
    }
    post["requestBody"]["content"]["application/json"] = json!({"schema": reference});
    let mut queued = paths["/v2/ideogram-3-reframe"].clone();
    queued["post"]["operationId"] = json!(format!("{request}Queued"));
    queued["post"]["requestBody"]["content"]["application/json"]["schema"] = reference;
    let paths = paths.as_object_mut().unwrap();
    paths.insert(format!("/v1/{slug}"), sync);
    paths.insert(format!("/v2/{slug}"), queued);
}

/// The error generating `spec` gives: it must be at `pointer` and say `message`.
pub fn assert_refused_spec(spec: &Value, pointer: &str, message: &str) -> CodegenError {
    let e = generate(&spec.to_string()).expect_err("the spec must be refused");
    assert_eq!(e.pointer, pointer, "{e}");
    assert!(e.message.contains(message), "{e}");
    e
}

/// A generated file, parsed.
pub fn file(files: &[GeneratedFile], name: &str) -> syn::File {
    let text = &files.iter().find(|f| f.name == name).unwrap().contents;
    syn::parse_file(text).unwrap_or_else(|e| panic!("{name} does not parse: {e}"))
}

/// Items' tokens as text, for looking things up by their spelling.
pub fn tokens(item: &impl ToTokens) -> String {
    item.to_token_stream().to_string()
}

pub fn struct_named<'a>(file: &'a syn::File, name: &str) -> Option<&'a syn::ItemStruct> {
    file.items.iter().find_map(|item| match item {
        syn::Item::Struct(s) if s.ident == name => Some(s),
        _ => None,
    })
}

/// The methods of the inherent `impl`s of `type_name`.
fn inherent_methods<'a>(
    file: &'a syn::File,
    type_name: &'a str,
) -> impl Iterator<Item = &'a syn::ImplItemFn> {
    file.items
        .iter()
        .filter_map(move |item| match item {
            syn::Item::Impl(i) if i.trait_.is_none() && tokens(&i.self_ty) == type_name => Some(i),
            _ => None,
        })
        .flat_map(|i| &i.items)
        .filter_map(|item| match item {
            syn::ImplItem::Fn(f) => Some(f),
            _ => None,
        })
}

/// Every method of the inherent `impl`s of `type_name`, by signature.
pub fn methods(file: &syn::File, type_name: &str) -> Vec<String> {
    inherent_methods(file, type_name)
        .map(|f| format!("{} {}", tokens(&f.vis), tokens(&f.sig)))
        .collect()
}

/// The text of the item whose tokens start with `start`.
pub fn item_starting(file: &syn::File, start: &str) -> String {
    file.items
        .iter()
        .map(tokens)
        .find(|t| t.starts_with(start))
        .unwrap_or_else(|| panic!("no item `{start} ...`"))
}

/// The text of the method `name` in the inherent `impl`s of `type_name`.
pub fn method_body(file: &syn::File, type_name: &str, name: &str) -> String {
    inherent_methods(file, type_name)
        .find(|f| f.sig.ident == name)
        .map(tokens)
        .unwrap_or_else(|| panic!("no method {type_name}::{name}"))
}
