//! Every output-size shape Segmind publishes generates code like the
//! others, on a copy of the spec. Two pages the real spec does not hold
//! yet show the shapes besides a pixel resolution:
//!
//! - `ideogram-3-replace-background` has no size member at all: the output
//!   has the size of the input image (`x-segmind-endpoint.output_size:
//!   {"follows": "image"}`);
//! - `ideogram-3-remix` chooses the size by an `aspect_ratio` of 15 values
//!   (`1x3` ... `16x9`, marked `aspect-ratio`) beside `resolution`.
//!
//! Their fixtures carry made-up slugs, so the real spec can gain those
//! endpoints without touching this test.

use crate::common;

use common::{add_endpoint, assert_refused_spec, file, item_starting, method_body, methods, spec};
use segmind_ideogram_codegen::model::{SizeSource, UnsetSize, size_sources};
use segmind_ideogram_codegen::{generate, parse};
use serde_json::{Value, json};

const REMIX: &str = "ideogram-fixture-remix";
const REMIX_REQUEST: &str = "IdeogramFixtureRemixRequest";
const RATIO: &str = "FixtureAspectRatio";
const REPLACE: &str = "ideogram-fixture-replace-background";
const REPLACE_REQUEST: &str = "IdeogramFixtureReplaceBackgroundRequest";

/// Ideogram 3's aspect ratios, as the remix page lists them.
const RATIOS: [&str; 15] = [
    "1x3", "3x1", "1x2", "2x1", "9x16", "16x9", "10x16", "16x10", "2x3", "3x2", "3x4", "4x3",
    "4x5", "5x4", "1x1",
];

fn remix(spec: &mut Value) {
    add_endpoint(
        spec,
        REMIX,
        REMIX_REQUEST,
        json!({
            RATIO: {
                "title": "Aspect ratio",
                "type": "string",
                "enum": RATIOS,
                "default": "1x1",
                "x-variant-prefix": "Ratio"
            },
            REMIX_REQUEST: {
                "title": "Ideogram 3 remix",
                "type": "object",
                "properties": {
                    "image": {"type": "string", "format": "uri", "x-segmind-member": "image"},
                    "prompt": {"type": "string", "x-segmind-member": "prompt"},
                    "image_weight": {"$ref": "#/components/schemas/ImageWeight", "default": 50},
                    "aspect_ratio": {"$ref": format!("#/components/schemas/{RATIO}"), "x-segmind-member": "aspect-ratio"},
                    "resolution": {"$ref": "#/components/schemas/V3Resolution", "x-segmind-member": "output-size"},
                    "rendering_speed": {"$ref": "#/components/schemas/RenderingSpeed"},
                    "seed": {"$ref": "#/components/schemas/Seed", "x-segmind-member": "seed"}
                },
                "required": ["image", "prompt"],
                "additionalProperties": false
            }
        }),
        json!({"title": "Ideogram Fixture Remix"}),
    );
}

fn replace_background(spec: &mut Value, output_size: Value) {
    add_endpoint(
        spec,
        REPLACE,
        REPLACE_REQUEST,
        json!({
            REPLACE_REQUEST: {
                "title": "Ideogram 3 replace background",
                "type": "object",
                "properties": {
                    "image": {"type": "string", "format": "uri", "x-segmind-member": "image"},
                    "prompt": {"type": "string", "x-segmind-member": "prompt"},
                    "color_palette": {"$ref": "#/components/schemas/ColorPalette"},
                    "magic_prompt": {"$ref": "#/components/schemas/MagicPromptOption"},
                    "rendering_speed": {"$ref": "#/components/schemas/RenderingSpeed"},
                    "seed": {"$ref": "#/components/schemas/Seed", "x-segmind-member": "seed"},
                    "style_codes": {"type": "array", "items": {"$ref": "#/components/schemas/StyleCode"}},
                    "style_reference_images": {"type": "array", "items": {"type": "string", "format": "uri"}, "x-segmind-member": "image"}
                },
                "required": ["image", "prompt"],
                "additionalProperties": false
            }
        }),
        json!({"title": "Ideogram Fixture Replace Background", "output_size": output_size}),
    );
}

#[test]
fn an_aspect_ratio_beside_a_resolution_generates_a_ratio_enum_and_a_size_in_order() {
    let mut spec = spec();
    remix(&mut spec);
    let files = generate(&spec.to_string()).expect("the spec generates");

    // The ratio enum: every value, its ratio, no pixel size.
    let enums = file(&files, "enums.rs");
    let ratio_methods = methods(&enums, RATIO);
    assert!(
        ratio_methods.contains(&"pub const fn ratio (self) -> (u32 , u32)".to_owned()),
        "{ratio_methods:#?}"
    );
    assert!(
        !ratio_methods.iter().any(|m| m.contains("fn width")),
        "a ratio is no width: {ratio_methods:#?}"
    );
    let ratio = method_body(&enums, RATIO, "ratio");
    assert!(ratio.contains("Self :: Ratio16x9 => (16 , 9)"), "{ratio}");
    assert!(ratio.contains("Self :: Ratio1x3 => (1 , 3)"), "{ratio}");
    assert_eq!(ratio.matches("=>").count(), RATIOS.len());
    let into = item_starting(&enums, &format!("impl From < {RATIO} > for OutputSize"));
    assert!(
        into.contains("OutputSize :: Ratio { width , height }"),
        "{into}"
    );

    // The request asks for its pixels, else its ratio, else the defaults,
    // pixels first: `V3Resolution`'s own default.
    let requests = file(&files, "requests.rs");
    let size = method_body(&requests, REMIX_REQUEST, "output_size");
    assert_in_order(
        &size,
        &[
            "if let Some (size) = self . resolution { return size . into () ; }",
            "if let Some (size) = self . aspect_ratio { return size . into () ; }",
            "V3Resolution :: Size1024x1024 . into ()",
        ],
    );
    assert!(
        size.contains("`resolution` when set, else `aspect_ratio` when set, else the server's default size `1024x1024`"),
        "{size}"
    );
    // Without a default pixel size, the ratio's default.
    spec["components"]["schemas"]["V3Resolution"]
        .as_object_mut()
        .unwrap()
        .remove("default");
    let files = generate(&spec.to_string()).expect("the spec generates");
    let size = method_body(&file(&files, "requests.rs"), REMIX_REQUEST, "output_size");
    assert_in_order(
        &size,
        &[
            "self . resolution",
            "self . aspect_ratio",
            &format!("{RATIO} :: Ratio1x1 . into ()"),
        ],
    );
    assert!(
        size.contains("else the server's default aspect ratio `1x1`"),
        "{size}"
    );
    let registry = file(&files, "registry.rs");
    let any = item_starting(&registry, "impl AnyRequest {");
    assert!(
        any.contains("Self :: IdeogramFixtureRemix (request) => request . output_size ()"),
        "{any}"
    );
}

/// Whether each of `steps` is in `code`, in this order.
fn assert_in_order(code: &str, steps: &[&str]) {
    let at: Vec<usize> = steps
        .iter()
        .map(|step| {
            code.find(step)
                .unwrap_or_else(|| panic!("`{step}` not in {code}"))
        })
        .collect();
    assert!(at.is_sorted(), "not in the order {steps:?}: {code}");
}

#[test]
fn a_request_without_a_size_member_follows_its_input_image() {
    let mut spec = spec();
    replace_background(&mut spec, json!({"follows": "image"}));
    let api = parse(&spec.to_string()).unwrap();
    let endpoint = api.endpoints.iter().find(|e| e.slug == REPLACE).unwrap();
    assert_eq!(
        size_sources(&api, endpoint),
        [SizeSource::Unset(UnsetSize::FollowsInput("image".into()))]
    );
    let files = generate(&spec.to_string()).expect("the spec generates");
    let requests = file(&files, "requests.rs");
    let size = method_body(&requests, REPLACE_REQUEST, "output_size");
    assert!(
        size.contains("OutputSize :: FollowsInput { member : \"image\" ,"),
        "{size}"
    );
    // The rest is like any request: its members, images and registry entry.
    let setters = methods(&requests, REPLACE_REQUEST);
    for setter in [
        "magic_prompt",
        "rendering_speed",
        "style_codes",
        "color_palette",
    ] {
        assert!(
            setters
                .iter()
                .any(|m| m.starts_with(&format!("pub fn {setter} ("))),
            "{setter}: {setters:#?}"
        );
    }
    let registry = file(&files, "registry.rs");
    let endpoint = item_starting(&registry, &format!("impl Endpoint for {REPLACE_REQUEST}"));
    assert!(
        endpoint.contains("self . style_reference_images . iter ()"),
        "{endpoint}"
    );
}

#[test]
fn a_request_that_leaves_its_size_to_segmind_says_so() {
    let mut spec = spec();
    replace_background(&mut spec, json!("server-default"));
    let files = generate(&spec.to_string()).expect("the spec generates");
    let size = method_body(&file(&files, "requests.rs"), REPLACE_REQUEST, "output_size");
    assert!(size.contains("OutputSize :: ServerDefault"), "{size}");
}

#[test]
fn an_undecided_or_contradictory_size_is_refused_where_it_is_written() {
    let declared = format!("/paths/~1v1~1{REPLACE}/post/x-segmind-endpoint/output_size");
    // Nothing says what the size is.
    let mut spec = common::spec();
    replace_background(&mut spec, json!("server-default"));
    spec["paths"][format!("/v1/{REPLACE}")]["post"]["x-segmind-endpoint"]
        .as_object_mut()
        .unwrap()
        .remove("output_size");
    assert!(
        parse(&spec.to_string()).is_ok(),
        "`xtask changes` still reads it"
    );
    assert_refused_spec(
        &spec,
        &format!("/components/schemas/{REPLACE_REQUEST}"),
        "does not decide its output size",
    );
    // The size follows a member that is no single required input image.
    for (member, why) in [
        ("prompt", "not a required single input image"),
        (
            "style_reference_images",
            "not a required single input image",
        ),
        ("no_such_member", "not a required single input image"),
    ] {
        let mut spec = common::spec();
        replace_background(&mut spec, json!({"follows": member}));
        assert_refused_spec(&spec, &format!("{declared}/follows"), why);
    }
    // Neither form.
    let mut spec = common::spec();
    replace_background(&mut spec, json!({"same_as": "image"}));
    assert_refused_spec(&spec, &declared, "\"server-default\"");
    // A declaration no request can reach: reframe's resolution has a default.
    let mut spec = common::spec();
    spec["paths"]["/v1/ideogram-3-reframe"]["post"]["x-segmind-endpoint"]["output_size"] =
        json!("server-default");
    assert_refused_spec(
        &spec,
        "/paths/~1v1~1ideogram-3-reframe/post/x-segmind-endpoint/output_size",
        "never used: the server's default size `1024x1024` always gives",
    );
    // One enum cannot be pixels here and a ratio there.
    let mut spec = common::spec();
    remix(&mut spec);
    spec["components"]["schemas"][REMIX_REQUEST]["properties"]["resolution"]["$ref"] =
        json!(format!("#/components/schemas/{RATIO}"));
    assert_refused_spec(
        &spec,
        &format!("/components/schemas/{REMIX_REQUEST}/properties/resolution"),
        "one enum cannot be both",
    );
}
