//! A malformed or unsupported spec is an error naming the JSON pointer of
//! the problem, never a panic.

use crate::common;

use common::spec;
use segmind_ideogram_codegen::{CodegenError, generate, parse};
use serde_json::{Value, json};

fn error_for(mutate: impl FnOnce(&mut Value)) -> CodegenError {
    let mut spec = spec();
    mutate(&mut spec);
    generate(&spec.to_string()).expect_err("the broken spec must be rejected")
}

/// The spec edited by `mutate` is refused at `pointer`, saying `message`.
fn assert_refused(mutate: impl FnOnce(&mut Value), pointer: &str, message: &str) {
    let e = error_for(mutate);
    assert_eq!(e.pointer, pointer, "{e}");
    assert!(e.message.contains(message), "{e}");
}

#[test]
fn the_real_spec_generates() {
    assert_eq!(generate(&spec().to_string()).unwrap().len(), 9);
}

#[test]
fn bad_ref_names_its_location() {
    let e = error_for(|s| {
        s["components"]["schemas"]["IdeogramTxt2ImgRequest"]["properties"]["seed"]["$ref"] =
            json!("#/components/schemas/Sead");
    });
    assert_eq!(
        e.pointer,
        "/components/schemas/IdeogramTxt2ImgRequest/properties/seed/$ref"
    );
    assert!(
        e.message
            .contains("unresolved $ref `#/components/schemas/Sead`"),
        "{e}"
    );
    assert!(
        e.to_string()
            .starts_with("spec error at /components/schemas/IdeogramTxt2ImgRequest")
    );
}

#[test]
fn foreign_ref_is_unsupported() {
    let e = error_for(|s| {
        s["components"]["schemas"]["ColorPalette"]["oneOf"][0]["$ref"] =
            json!("https://example.com/x.json");
    });
    assert_eq!(e.pointer, "/components/schemas/ColorPalette/oneOf/0/$ref");
}

#[test]
fn unknown_type_names_its_location() {
    assert_refused(
        |s| {
            s["components"]["schemas"]["Ideogram3ReframeRequest"]["properties"]["style_codes"]["type"] =
                json!("list");
        },
        "/components/schemas/Ideogram3ReframeRequest/properties/style_codes/type",
        "unknown type `list`",
    );
}

#[test]
fn duplicate_variant_names_name_both_values() {
    let e = error_for(|s| {
        s["components"]["schemas"]["StyleType"]["enum"]
            .as_array_mut()
            .unwrap()
            .push(json!("render-3d"));
    });
    assert_eq!(e.pointer, "/components/schemas/StyleType/enum/5");
    assert!(
        e.message.contains("`RENDER_3D`") && e.message.contains("`render-3d`"),
        "{e}"
    );
}

#[test]
fn digit_leading_values_need_a_prefix() {
    let e = error_for(|s| {
        s["components"]["schemas"]["V3Resolution"]
            .as_object_mut()
            .unwrap()
            .remove("x-variant-prefix");
    });
    assert_eq!(e.pointer, "/components/schemas/V3Resolution/enum/0");
    assert!(e.message.contains("x-variant-prefix"), "{e}");
}

#[test]
fn unsupported_keywords_are_refused_not_ignored() {
    let e = error_for(|s| {
        s["components"]["schemas"]["IdeogramTxt2ImgRequest"]["properties"]["prompt"]["multipleOf"] =
            json!(10);
    });
    assert_eq!(
        e.pointer,
        "/components/schemas/IdeogramTxt2ImgRequest/properties/prompt/multipleOf"
    );
    // String lengths are read on an inline string member only.
    let e = error_for(|s| {
        s["components"]["schemas"]["ColorHex"]["maxLength"] = json!(7);
    });
    assert_eq!(e.pointer, "/components/schemas/ColorHex/maxLength");
    assert_refused(
        |s| {
            s["components"]["schemas"]["IdeogramTxt2ImgRequest"]["properties"]["prompt"]["maxLength"] =
                json!(0);
        },
        "/components/schemas/IdeogramTxt2ImgRequest/properties/prompt/maxLength",
        "below minLength",
    );
    let e = error_for(|s| {
        s["components"]["schemas"]["Ideogram3ReframeRequest"]["not"] =
            json!({"required": ["image"]});
    });
    assert_eq!(e.pointer, "/components/schemas/Ideogram3ReframeRequest/not");
}

#[test]
fn bad_defaults_and_required_members_are_located() {
    let e = error_for(|s| {
        s["components"]["schemas"]["IdeogramTxt2ImgRequest"]["properties"]["style_type"]["default"] =
            json!("PHOTO");
    });
    assert_eq!(
        e.pointer,
        "/components/schemas/IdeogramTxt2ImgRequest/properties/style_type/default"
    );
    let e = error_for(|s| {
        s["components"]["schemas"]["IdeogramTxt2ImgRequest"]["required"] =
            json!(["prompt", "promt"]);
    });
    assert_eq!(
        e.pointer,
        "/components/schemas/IdeogramTxt2ImgRequest/required/1"
    );
}

#[test]
fn bad_pattern_is_located() {
    let e =
        error_for(|s| s["components"]["schemas"]["StyleCode"]["pattern"] = json!("^[0-9a-f{8}$"));
    assert_eq!(e.pointer, "/components/schemas/StyleCode/pattern");
}

#[test]
fn endpoint_metadata_is_checked() {
    let e = error_for(|s| {
        s["paths"]["/v1/ideogram-3-reframe"]["post"]["x-segmind-endpoint"]["slug"] =
            json!("ideogram-3-refrme");
    });
    assert_eq!(
        e.pointer,
        "/paths/~1v1~1ideogram-3-reframe/post/x-segmind-endpoint/slug"
    );
    let e = error_for(|s| {
        s["paths"]["/v1/ideogram-3-reframe"]["post"]["x-segmind-endpoint"]["response"] =
            json!("video");
    });
    assert!(e.message.contains("unknown response kind `video`"), "{e}");
}

#[test]
fn wrong_openapi_version_and_invalid_json() {
    let e = error_for(|s| s["openapi"] = json!("3.0.3"));
    assert_eq!(e.pointer, "/openapi");
    let e = generate("{ not json").unwrap_err();
    assert!(e.message.contains("not valid JSON"), "{e}");
}

#[test]
fn no_input_panics_the_generator() {
    // Every node replaced by a wrong-typed value: always an error or a result, never a panic.
    let original = spec();
    let mut pointers = Vec::new();
    fn collect(v: &Value, at: String, out: &mut Vec<String>) {
        out.push(at.clone());
        match v {
            Value::Object(m) => m.iter().for_each(|(k, v)| {
                collect(
                    v,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                )
            }),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, v)| collect(v, format!("{at}/{i}"), out)),
            _ => {}
        }
    }
    collect(&original, String::new(), &mut pointers);
    let model = parse(&original.to_string()).unwrap();
    let mutations: Vec<(usize, &String)> = pointers.iter().enumerate().step_by(7).collect();
    // Whether the generator rejected each mutated spec; spread over the
    // cores, as each one is a whole generation.
    let try_one = |&(i, pointer): &(usize, &String)| -> bool {
        let mut spec = original.clone();
        let replacement = [json!(null), json!(42), json!("x"), json!([]), json!({})][i % 5].clone();
        if let Some(node) = spec.pointer_mut(pointer) {
            *node = replacement;
        }
        let text = spec.to_string();
        // A spec whose model is the original's generates what the real spec
        // does (`the_real_spec_generates`): only the parse can fail.
        if std::panic::catch_unwind(|| parse(&text)).is_ok_and(|p| p.as_ref() == Ok(&model)) {
            return false;
        }
        match std::panic::catch_unwind(|| generate(&text)) {
            Ok(Err(e)) => {
                assert!(
                    e.pointer.is_empty()
                        || spec.pointer(&e.pointer).is_some()
                        || e.pointer.starts_with('/')
                );
                true
            }
            Ok(Ok(_)) => false,
            Err(_) => panic!("generator panicked when {pointer} was replaced"),
        }
    };
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = mutations.len().div_ceil(threads);
    let rejected: usize = std::thread::scope(|scope| {
        let workers: Vec<_> = mutations
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().filter(|m| try_one(m)).count()))
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    });
    let tried = mutations.len();
    // Many wrong-typed nodes are refused (most others are prose), whatever
    // the spec's size.
    assert!(
        rejected * 4 > tried,
        "only {rejected} of {tried} mutations rejected"
    );
}

#[test]
fn member_markers_are_checked_where_they_stand() {
    let txt = "/components/schemas/IdeogramTxt2ImgRequest/properties";
    let mark = |member: &str, marker: &str| {
        let (member, marker) = (member.to_owned(), marker.to_owned());
        move |s: &mut Value| {
            s["components"]["schemas"]["IdeogramTxt2ImgRequest"]["properties"][&member]["x-segmind-member"] =
                json!(marker);
        }
    };
    for (member, marker, message) in [
        (
            "negative_prompt",
            "negative-prompt",
            "unknown member `negative-prompt` (prompt, seed, output-size, aspect-ratio, image)",
        ),
        (
            "negative_prompt",
            "prompt",
            "`prompt` is marked `prompt` too; a request has one",
        ),
        ("prompt", "seed", "a seed must be an integer"),
        (
            "negative_prompt",
            "image",
            "an image must be a `format: uri` string, or an array of them",
        ),
        ("seed", "prompt", "a prompt must be a string"),
        (
            "style_type",
            "output-size",
            "an output size must be a closed string enum whose every value names a width and a height",
        ),
        (
            "style_type",
            "aspect-ratio",
            "an aspect ratio must be a closed string enum whose every value names a width and a height",
        ),
    ] {
        assert_refused(
            mark(member, marker),
            &format!("{txt}/{member}/x-segmind-member"),
            message,
        );
    }
}

#[test]
fn member_markers_belong_to_requests_with_a_known_size() {
    let txt = "/components/schemas/IdeogramTxt2ImgRequest/properties";
    assert_refused(
        |s| {
            s["components"]["schemas"]["ColorPaletteMember"]["properties"]["color_hex"]["x-segmind-member"] =
                json!("prompt");
        },
        "/components/schemas/ColorPaletteMember/properties/color_hex/x-segmind-member",
        "no endpoint's request",
    );
    // An optional size with no default, and nothing else said: what would
    // the server render?
    assert_refused(
        |s| {
            let schemas = &mut s["components"]["schemas"];
            schemas["V2Resolution"]
                .as_object_mut()
                .unwrap()
                .remove("default");
            schemas["IdeogramTxt2ImgRequest"]["properties"]["resolution"]
                .as_object_mut()
                .unwrap()
                .remove("default");
        },
        "/components/schemas/IdeogramTxt2ImgRequest",
        "does not decide its output size",
    );
    // Images are read on request bodies too (the client resolves them).
    assert_refused(
        |s| {
            s["components"]["schemas"]["UploadAssetRequest"]["properties"]["data_urls"]["x-segmind-member"] =
                json!("image");
        },
        "/components/schemas/UploadAssetRequest/properties/data_urls/x-segmind-member",
        "no endpoint's request",
    );
    // Every request has the image accessors, images or not.
    assert_refused(
        |s| {
            s["components"]["schemas"]["IdeogramTxt2ImgRequest"]["properties"]["images_mut"] =
                json!({"type": "string"});
        },
        &format!("{txt}/images_mut"),
        "accessor `images_mut()`",
    );
    // A member whose setter would be the accessor's name.
    assert_refused(
        |s| {
            s["components"]["schemas"]["IdeogramTxt2ImgRequest"]["properties"]["output_size"] =
                json!({"type": "string"});
        },
        &format!("{txt}/output_size"),
        "accessor `output_size()`",
    );
}
