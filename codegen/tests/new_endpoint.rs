//! A new endpoint is the spec and nothing else: a copy of the spec with one
//! more endpoint (a text-to-image one, with a new enum, a new integer
//! bound and an optional input image) yields, from `generate` alone, its request type with accessors,
//! the new types, its registry entry, its `AnyRequest` variant and its place
//! in every per-endpoint list of the generated code. Its names are made up,
//! so that the real spec can gain any endpoint (`ideogram-3-txt-2-img`, say)
//! without touching this test.

use crate::common;

use common::{add_endpoint, file, item_starting, methods, spec, struct_named, tokens};
use segmind_ideogram_codegen::generate;
use serde_json::{Value, json};

const SLUG: &str = "ideogram-fixture-txt-2-img";
const REQUEST: &str = "IdeogramFixtureTxt2ImgRequest";
const VARIANT: &str = "IdeogramFixtureTxt2Img";
const STATIC: &str = "IDEOGRAM_FIXTURE_TXT_2_IMG";
const ENUM: &str = "FixtureStylePreset";
const BOUNDED: &str = "FixtureImageCount";

/// The spec with one more endpoint: its request schema, a new enum (1 of 3
/// presets) and a new bounded integer (1 to 8 images), and its `/v1` and
/// `/v2` operations copied from reframe's.
fn spec_with_a_new_endpoint() -> Value {
    let mut spec = spec();
    let schemas = json!({
        ENUM: {
            "title": "Style preset",
            "type": "string",
            "enum": ["AUTO", "WATERCOLOR", "OIL_PAINTING"],
            "default": "AUTO"
        },
        BOUNDED: {
            "title": "Number of images",
            "type": "integer",
            "minimum": 1,
            "maximum": 8
        },
        REQUEST: {
            "title": "Ideogram 3 text to image",
            "type": "object",
            "properties": {
                "prompt": {"type": "string", "description": "What the image should show.", "x-segmind-member": "prompt"},
                "num_images": {"$ref": format!("#/components/schemas/{BOUNDED}"), "default": 1},
                "style_preset": {"$ref": format!("#/components/schemas/{ENUM}")},
                "character_image": {"type": "string", "format": "uri", "x-segmind-member": "image"},
                "resolution": {"$ref": "#/components/schemas/V3Resolution", "default": "1024x1024", "x-segmind-member": "output-size"},
                "seed": {"$ref": "#/components/schemas/Seed", "x-segmind-member": "seed"}
            },
            "required": ["prompt"],
            "additionalProperties": false
        }
    });
    add_endpoint(
        &mut spec,
        SLUG,
        REQUEST,
        schemas,
        json!({"title": "Ideogram Fixture Text to Image"}),
    );
    spec
}

#[test]
fn one_more_endpoint_in_the_spec_is_one_more_endpoint_in_the_code() {
    let files = generate(&spec_with_a_new_endpoint().to_string()).expect("the spec generates");

    // The request type: its members, `new` with the required one, accessors.
    let requests = file(&files, "requests.rs");
    let request = struct_named(&requests, REQUEST).expect("the request type");
    let fields: Vec<String> = request.fields.iter().map(|f| tokens(&f.ty)).collect();
    let expected = [
        "String".to_owned(),
        format!("Option < {BOUNDED} >"),
        format!("Option < {ENUM} >"),
        "Option < ImageInput >".to_owned(),
        "Option < V3Resolution >".to_owned(),
        "Option < Seed >".to_owned(),
    ];
    assert_eq!(fields, expected);
    let methods = methods(&requests, REQUEST);
    for signature in [
        "pub fn new (prompt : impl Into < String >) -> Self".to_owned(),
        format!("pub fn num_images (mut self , num_images : {BOUNDED}) -> Self"),
        format!("pub fn style_preset (mut self , style_preset : {ENUM}) -> Self"),
        "pub fn character_image (mut self , character_image : impl Into < ImageInput >) -> Self"
            .to_owned(),
        "pub fn prompt_text (& self) -> & str".to_owned(),
        "pub fn seed_value (& self) -> Option < Seed >".to_owned(),
        "pub fn output_size (& self) -> OutputSize".to_owned(),
    ] {
        assert!(
            methods.contains(&signature),
            "{signature} not in {methods:#?}"
        );
    }
    let accessors = item_starting(
        &requests,
        &format!("impl {REQUEST} {{ # [doc = \" The prompt"),
    );
    assert!(
        accessors.contains(
            "if let Some (size) = self . resolution { return size . into () ; } V3Resolution :: Size1024x1024 . into ()"
        ),
        "the default size applies when unset: {accessors}"
    );

    // The new enum and the new bound.
    let enums = file(&files, "enums.rs");
    let preset = enums
        .items
        .iter()
        .find_map(|item| match item {
            syn::Item::Enum(e) if e.ident == ENUM => Some(tokens(e)),
            _ => None,
        })
        .expect("the new enum");
    for variant in ["Auto", "Watercolor", "OilPainting"] {
        assert!(preset.contains(variant), "{variant} not in {preset}");
    }
    let scalars = file(&files, "scalars.rs");
    assert!(struct_named(&scalars, BOUNDED).is_some());
    let bounds = item_starting(&scalars, &format!("impl {BOUNDED} {{"));
    assert!(
        bounds.contains("pub const MIN : u32 = 1 ;")
            && bounds.contains("pub const MAX : u32 = 8 ;"),
        "{bounds}"
    );

    // The registry: its entry, its `Endpoint` impl, its place in every list.
    let registry = file(&files, "registry.rs");
    let entry = item_starting(&registry, &format!("# [doc = \" `POST /v1/{SLUG}`"));
    for part in [
        format!("pub static {STATIC} : EndpointInfo"),
        format!("slug : \"{SLUG}\""),
        format!("submit_path : Some (\"/v2/{SLUG}\")"),
        "name : \"num_images\"".to_owned(),
        "FieldShape :: Integer { min : Some (1) , max : Some (8) , }".to_owned(),
    ] {
        assert!(entry.contains(&part), "`{part}` not in {entry}");
    }
    let endpoint = item_starting(&registry, &format!("impl Endpoint for {REQUEST}"));
    for part in [
        "images . extend (self . character_image . as_ref ())",
        "images . extend (self . character_image . as_mut ())",
    ] {
        assert!(endpoint.contains(part), "`{part}` not in {endpoint}");
    }
    item_starting(
        &registry,
        &format!("impl From < {REQUEST} > for AnyRequest"),
    );
    let endpoints = item_starting(&registry, "# [doc = \" Every endpoint of the spec");
    assert!(
        endpoints.ends_with(&format!("& {STATIC} ,] ;")),
        "{endpoints}"
    );
    let any = item_starting(&registry, "# [doc = \" A request for any endpoint");
    assert!(any.contains(&format!("{VARIANT} ({REQUEST})")), "{any}");
    let any_impl = item_starting(&registry, "impl AnyRequest {");
    for arm in [
        format!("\"{SLUG}\" => {{ {REQUEST} :: from_json (value) . map (Self :: {VARIANT}) }}"),
        format!("Self :: {VARIANT} (_) => & {STATIC}"),
        format!("Self :: {VARIANT} (request) => request . validate ()"),
        format!("Self :: {VARIANT} (request) => Some (request . prompt_text ())"),
        format!(
            "Self :: {VARIANT} (request) => {{ request . seed_value () . map (| seed | u64 :: from (seed . get ())) }}"
        ),
        format!("Self :: {VARIANT} (request) => request . output_size ()"),
        format!("Self :: {VARIANT} (request) => request . images_mut ()"),
    ] {
        assert!(any_impl.contains(&arm), "`{arm}` not in {any_impl}");
    }
    let for_each = item_starting(&registry, "# [doc = \" Expands `callback!");
    assert!(
        for_each.contains(&format!("$ crate :: {REQUEST} }}")),
        "{for_each}"
    );
}

#[test]
fn the_new_endpoint_changes_no_other_generated_item() {
    // Everything generated for the five endpoints stays as it was; only the
    // lists of every endpoint grow (and the new types appear).
    let before = generate(&spec().to_string()).unwrap();
    let after = generate(&spec_with_a_new_endpoint().to_string()).unwrap();
    let lists = [
        "# [doc = \" Every endpoint of the spec",
        "# [doc = \" A request for any endpoint",
        "impl AnyRequest {",
        "# [doc = \" Expands `callback!",
    ];
    for (old, new) in before.iter().zip(&after) {
        let new_items: Vec<String> = file(&after, new.name).items.iter().map(tokens).collect();
        for item in file(&before, old.name).items.iter().map(tokens) {
            if lists.iter().any(|l| item.starts_with(l)) {
                continue;
            }
            assert!(
                new_items.contains(&item),
                "{}: changed by adding an endpoint: {item:.200}",
                old.name
            );
        }
    }
}

#[test]
fn a_new_endpoint_must_decide_its_output_size() {
    let mut spec = spec_with_a_new_endpoint();
    let resolution = &mut spec["components"]["schemas"][REQUEST]["properties"]["resolution"];
    resolution
        .as_object_mut()
        .unwrap()
        .remove("x-segmind-member");
    // The model still parses (`xtask changes` reads specs from before the
    // markers); the code cannot be generated.
    assert!(segmind_ideogram_codegen::parse(&spec.to_string()).is_ok());
    let e = generate(&spec.to_string()).unwrap_err();
    assert_eq!(e.pointer, format!("/components/schemas/{REQUEST}"));
    assert!(
        e.message.contains(&format!(
            "the request of `{SLUG}` does not decide its output size"
        )),
        "{e}"
    );
}
