//! `cargo xtask changes`: a table of spec edits, each with the changes and
//! semver classes the generated crate gives it; and the command on a git
//! repository with a tag.

use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use xtask::SPEC;
use xtask::changes::{self, Class};

fn spec() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(SPEC);
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

fn schema<'a>(spec: &'a mut Value, name: &str) -> &'a mut Value {
    &mut spec["components"]["schemas"][name]
}

fn props<'a>(spec: &'a mut Value, name: &str) -> &'a mut serde_json::Map<String, Value> {
    schema(spec, name)["properties"].as_object_mut().unwrap()
}

fn list<'a>(value: &'a mut Value, key: &str) -> &'a mut Vec<Value> {
    value[key].as_array_mut().unwrap()
}

fn remove_path(spec: &mut Value, path: &str) {
    spec["paths"]
        .as_object_mut()
        .unwrap()
        .shift_remove(path)
        .unwrap();
}

/// An edit of the spec and the (class, item, what) it must produce.
type Case = (
    &'static str,
    fn(&mut Value),
    &'static [(Class, &'static str, &'static str)],
);

const CASES: &[Case] = &[
    ("no change", |_| {}, &[]),
    (
        "new optional field",
        |s| {
            props(s, "IdeogramTxt2ImgRequest")
                .insert("aspect_ratio".into(), json!({"type": "string"}));
        },
        &[(
            Class::Minor,
            "IdeogramTxt2ImgRequest.aspect_ratio",
            "optional field added",
        )],
    ),
    (
        "new required field",
        |s| {
            props(s, "IdeogramTxt2ImgRequest")
                .insert("strength".into(), json!({"type": "integer"}));
            list(schema(s, "IdeogramTxt2ImgRequest"), "required").push(json!("strength"));
        },
        &[(
            Class::Major,
            "IdeogramTxt2ImgRequest.strength",
            "required field added",
        )],
    ),
    (
        "field removed",
        |s| {
            props(s, "IdeogramTxt2ImgRequest").shift_remove("negative_prompt");
        },
        &[(
            Class::Major,
            "IdeogramTxt2ImgRequest.negative_prompt",
            "field removed",
        )],
    ),
    (
        "required to optional",
        |s| list(schema(s, "IdeogramImg2ImgRequest"), "required").retain(|r| r != "image_file"),
        &[(
            Class::Major,
            "IdeogramImg2ImgRequest.image_file",
            "became optional",
        )],
    ),
    (
        "optional to required",
        |s| list(schema(s, "IdeogramTxt2ImgRequest"), "required").push(json!("seed")),
        &[(
            Class::Major,
            "IdeogramTxt2ImgRequest.seed",
            "became required",
        )],
    ),
    (
        "enum value added",
        |s| list(schema(s, "RenderingSpeed"), "enum").push(json!("FLASH")),
        &[(Class::Minor, "RenderingSpeed", "value FLASH added")],
    ),
    (
        "enum value removed",
        |s| list(schema(s, "StyleType"), "enum").retain(|v| v != "ANIME"),
        &[(Class::Major, "StyleType", "value ANIME removed")],
    ),
    (
        "type changed",
        |s| props(s, "IdeogramTxt2ImgRequest")["negative_prompt"]["type"] = json!("integer"),
        &[(
            Class::Major,
            "IdeogramTxt2ImgRequest.negative_prompt",
            "type String → i64",
        )],
    ),
    (
        "format added",
        |s| props(s, "IdeogramTxt2ImgRequest")["negative_prompt"]["format"] = json!("uri"),
        &[(
            Class::Major,
            "IdeogramTxt2ImgRequest.negative_prompt",
            "format uri added",
        )],
    ),
    (
        "format removed",
        |s| {
            // (An image member must be a URI: see `a_spec_that_does_not_parse_is_named`.)
            props(s, "UploadAssetRequest")["data_urls"]["items"]
                .as_object_mut()
                .unwrap()
                .shift_remove("format");
        },
        &[(
            Class::Minor,
            "UploadAssetRequest.data_urls",
            "format uri removed",
        )],
    ),
    (
        "pattern removed",
        |s| {
            schema(s, "StyleCode")
                .as_object_mut()
                .unwrap()
                .shift_remove("pattern");
        },
        &[(
            Class::Minor,
            "StyleCode",
            "pattern ^[0-9a-fA-F]{8}$ removed",
        )],
    ),
    (
        "list length capped",
        |s| props(s, "Ideogram3ReframeRequest")["style_codes"]["maxItems"] = json!(4),
        &[(
            Class::Major,
            "Ideogram3ReframeRequest.style_codes",
            "items maximum 4 added",
        )],
    ),
    (
        "list length widened",
        |s| props(s, "CustomColorPalette")["members"]["maxItems"] = json!(16),
        &[(
            Class::Minor,
            "CustomColorPalette.members",
            "items maximum 8 → 16 (widened)",
        )],
    ),
    (
        "cross-field rule removed",
        |s| {
            schema(s, "Ideogram3ReframeRequest")
                .as_object_mut()
                .unwrap()
                .shift_remove("not");
        },
        &[(
            Class::Minor,
            "Ideogram3ReframeRequest",
            "rule removed: style_codes and style_reference_images not both non-empty",
        )],
    ),
    (
        "unknown members allowed",
        |s| schema(s, "IdeogramTxt2ImgRequest")["additionalProperties"] = json!(true),
        &[(
            Class::Minor,
            "IdeogramTxt2ImgRequest",
            "unknown members now allowed",
        )],
    ),
    (
        // A made-up slug, so that the real spec can gain any endpoint.
        "new endpoint",
        |s| {
            let request = schema(s, "IdeogramTxt2ImgRequest").clone();
            s["components"]["schemas"]["IdeogramFixtureTxt2ImgRequest"] = request;
            let mut sync = s["paths"]["/v1/ideogram-txt-2-img"].clone();
            sync["post"]["x-segmind-endpoint"]["slug"] = json!("ideogram-fixture-txt-2-img");
            sync["post"]["operationId"] = json!("ideogramFixtureTxt2Img");
            sync["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"] =
                json!("#/components/schemas/IdeogramFixtureTxt2ImgRequest");
            s["paths"]["/v1/ideogram-fixture-txt-2-img"] = sync;
        },
        &[
            (
                Class::Minor,
                "endpoint ideogram-fixture-txt-2-img",
                "added (request type IdeogramFixtureTxt2ImgRequest)",
            ),
            (Class::Minor, "IdeogramFixtureTxt2ImgRequest", "new struct"),
        ],
    ),
    (
        "prompt no longer marked",
        |s| {
            props(s, "IdeogramTxt2ImgRequest")["prompt"]
                .as_object_mut()
                .unwrap()
                .shift_remove("x-segmind-member");
        },
        &[(
            Class::Major,
            "IdeogramTxt2ImgRequest",
            "prompt_text() removed (read prompt)",
        )],
    ),
    (
        "prompt marker moved to an optional member",
        |s| {
            let props = props(s, "IdeogramTxt2ImgRequest");
            let marker = props["prompt"]
                .as_object_mut()
                .unwrap()
                .shift_remove("x-segmind-member")
                .unwrap();
            props["negative_prompt"]["x-segmind-member"] = marker;
        },
        &[(
            Class::Major,
            "IdeogramTxt2ImgRequest",
            "prompt_text() reads negative_prompt instead of prompt",
        )],
    ),
    (
        "endpoint removed",
        |s| {
            remove_path(s, "/v1/ideogram-2a-img-2-img");
            remove_path(s, "/v2/ideogram-2a-img-2-img");
            s["components"]["schemas"]
                .as_object_mut()
                .unwrap()
                .shift_remove("Ideogram2aImg2ImgRequest");
        },
        &[
            (
                Class::Major,
                "endpoint ideogram-2a-img-2-img",
                "removed (request type Ideogram2aImg2ImgRequest)",
            ),
            (Class::Major, "Ideogram2aImg2ImgRequest", "struct removed"),
        ],
    ),
    (
        "queue removed",
        |s| remove_path(s, "/v2/ideogram-3-reframe"),
        &[(
            Class::Major,
            "endpoint ideogram-3-reframe",
            "queue (v2) removed",
        )],
    ),
    (
        "union variant added",
        |s| {
            s["components"]["schemas"]["GradientColorPalette"] = json!({
                "type": "object",
                "properties": {"from": {"$ref": "#/components/schemas/ColorHex"}},
                "required": ["from"],
                "additionalProperties": false
            });
            list(schema(s, "ColorPalette"), "oneOf")
                .push(json!({"$ref": "#/components/schemas/GradientColorPalette"}));
        },
        &[
            (Class::Minor, "GradientColorPalette", "new struct"),
            (Class::Minor, "ColorPalette", "variant Gradient added"),
        ],
    ),
    (
        "documentation changed",
        |s| schema(s, "Seed")["description"] = json!("Any seed."),
        &[(Class::Patch, "Seed", "documentation changed")],
    ),
];

/// An edit of a value the spec holds, and what it must produce: both
/// computed from the value the spec holds now, so a page that changes it
/// (a new price, a wider seed range) changes nothing here.
type Computed = (
    &'static str,
    Box<dyn Fn(&mut Value)>,
    Vec<(Class, &'static str, String)>,
);

fn computed_cases(spec: &Value) -> Vec<Computed> {
    let at = |pointer: &str| {
        spec.pointer(pointer)
            .unwrap_or_else(|| panic!("{pointer}"))
            .clone()
    };
    let int = |pointer: &str| at(pointer).as_i64().unwrap();
    let seed_min = int("/components/schemas/Seed/minimum");
    let seed_max = int("/components/schemas/Seed/maximum");
    let weight_max = int("/components/schemas/ImageWeight/maximum");
    let colour_max = at("/components/schemas/ColorWeight/maximum")
        .as_f64()
        .unwrap();
    let weight_default =
        int("/components/schemas/IdeogramImg2ImgRequest/properties/image_weight/default");
    let v2_default = at("/components/schemas/V2Resolution/default");
    let v2_other = at("/components/schemas/V2Resolution/enum")
        .as_array()
        .unwrap()
        .iter()
        .find(|v| **v != v2_default)
        .unwrap()
        .clone();
    let version = at("/info/version");
    let price = at("/paths/~1v1~1ideogram-turbo-img-2-img/post/x-segmind-endpoint/price_usd");
    let (lo, hi) = (
        price["min"].as_f64().unwrap(),
        price["max"].as_f64().unwrap(),
    );
    let money = if lo == hi {
        format!("${lo}")
    } else {
        format!("${lo}-${hi}")
    };
    let (v2_default, v2_other) = (
        v2_default.as_str().unwrap().to_owned(),
        v2_other.as_str().unwrap().to_owned(),
    );
    let version = version.as_str().unwrap().to_owned();
    let new_version = format!("{version}.1");
    vec![
        (
            "bound narrowed",
            Box::new(move |s| schema(s, "Seed")["minimum"] = json!(seed_min + 1)),
            vec![(
                Class::Major,
                "Seed",
                format!("minimum {seed_min} → {} (narrowed)", seed_min + 1),
            )],
        ),
        (
            "bound widened",
            Box::new(|s| schema(s, "Seed")["maximum"] = json!(2147483647)),
            vec![(
                Class::Minor,
                "Seed",
                format!("maximum {seed_max} → 2147483647 (widened)"),
            )],
        ),
        (
            "bound widened below zero",
            Box::new(|s| schema(s, "Seed")["minimum"] = json!(-1)),
            vec![
                (Class::Major, "Seed", "wraps i64 instead of u32".into()),
                (
                    Class::Minor,
                    "Seed",
                    format!("minimum {seed_min} → -1 (widened)"),
                ),
            ],
        ),
        (
            "bound removed",
            Box::new(|s| {
                schema(s, "ImageWeight")
                    .as_object_mut()
                    .unwrap()
                    .shift_remove("maximum");
            }),
            vec![
                (
                    Class::Major,
                    "ImageWeight",
                    "wraps i64 instead of u32".into(),
                ),
                (
                    Class::Major,
                    "ImageWeight",
                    format!("maximum {weight_max} removed"),
                ),
            ],
        ),
        (
            "number bound narrowed",
            Box::new(move |s| schema(s, "ColorWeight")["maximum"] = json!(colour_max / 2.0)),
            vec![(
                Class::Major,
                "ColorWeight",
                format!("maximum {colour_max} → {} (narrowed)", colour_max / 2.0),
            )],
        ),
        (
            "field default changed",
            Box::new(move |s| {
                props(s, "IdeogramImg2ImgRequest")["image_weight"]["default"] =
                    json!(weight_default + 10)
            }),
            vec![(
                Class::Patch,
                "IdeogramImg2ImgRequest.image_weight",
                format!("default {weight_default} → {}", weight_default + 10),
            )],
        ),
        (
            "enum default changed",
            {
                let other = v2_other.clone();
                Box::new(move |s| schema(s, "V2Resolution")["default"] = json!(other))
            },
            vec![(
                Class::Minor,
                "V2Resolution",
                format!("default {v2_default} → {v2_other}"),
            )],
        ),
        (
            "price changed",
            Box::new(move |s| {
                s["paths"]["/v1/ideogram-turbo-img-2-img"]["post"]["x-segmind-endpoint"]["price_usd"] =
                    json!({"min": hi * 2.0, "max": hi * 2.0});
            }),
            vec![(
                Class::Patch,
                "endpoint ideogram-turbo-img-2-img",
                format!("price {money} → ${}", hi * 2.0),
            )],
        ),
        (
            "spec version",
            {
                let new_version = new_version.clone();
                Box::new(move |s| s["info"]["version"] = json!(new_version))
            },
            vec![(
                Class::Patch,
                "spec",
                format!("version {version} → {new_version}"),
            )],
        ),
    ]
}

#[test]
fn each_edit_of_a_value_gets_its_classes() {
    let old = spec();
    let old_text = old.to_string();
    for (name, edit, expected) in computed_cases(&old) {
        let mut new = old.clone();
        edit(&mut new);
        let changes =
            changes::compare(&old_text, &new.to_string()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got: Vec<(Class, &str, String)> = changes
            .iter()
            .map(|c| (c.class, c.item.as_str(), c.what.clone()))
            .collect();
        assert_eq!(got, expected, "{name}");
        let back = changes::compare(&new.to_string(), &old_text).unwrap();
        assert!(!back.is_empty(), "{name}: undoing it shows nothing");
    }
}

#[test]
fn each_spec_edit_gets_its_classes() {
    let old = spec();
    let old_text = old.to_string();
    for (name, edit, expected) in CASES {
        let mut new = old.clone();
        edit(&mut new);
        let changes =
            changes::compare(&old_text, &new.to_string()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got: Vec<(Class, &str, &str)> = changes
            .iter()
            .map(|c| (c.class, c.item.as_str(), c.what.as_str()))
            .collect();
        assert_eq!(&got, expected, "{name}");
        assert!(changes.iter().all(|c| !c.reason.is_empty()), "{name}");
        // Each change is symmetric in kind: undoing it is a change too.
        if !expected.is_empty() {
            let back = changes::compare(&new.to_string(), &old_text).unwrap();
            assert!(!back.is_empty(), "{name}: undoing it shows nothing");
        }
    }
}

#[test]
fn marking_members_adds_their_accessors() {
    // A spec from before `x-segmind-member` still parses; a prompt or seed
    // marker reads as one new accessor, a size marker as the size each
    // endpoint's `output_size()` gives (undecided before), and an image
    // marker as the member's new type (`ImageInput`, which breaks code that
    // built it from a `String` field or read it as one).
    let new = spec();
    let mut old = new.clone();
    let (mut accessors, mut sizes, mut images) = (0, 0, 0);
    for schema in old["components"]["schemas"]
        .as_object_mut()
        .unwrap()
        .values_mut()
    {
        let props = schema.get_mut("properties").and_then(Value::as_object_mut);
        for prop in props.into_iter().flat_map(|p| p.values_mut()) {
            match prop
                .as_object_mut()
                .unwrap()
                .shift_remove("x-segmind-member")
            {
                Some(marker) if marker == "image" => images += 1,
                Some(marker) if marker == "output-size" => sizes += 1,
                Some(_) => accessors += 1,
                None => {}
            }
        }
    }
    let changes = changes::compare(&old.to_string(), &new.to_string()).unwrap();
    assert_eq!(changes.len(), accessors + sizes + images, "{changes:#?}");
    assert!(accessors > 0 && sizes > 0 && images > 0);
    let added: Vec<_> = changes
        .iter()
        .filter(|c| c.what.contains("() added (reads "))
        .collect();
    assert!(added.iter().all(|c| c.class == Class::Minor), "{added:#?}");
    assert_eq!(added.len(), accessors, "{changes:#?}");
    let sized: Vec<_> = changes
        .iter()
        .filter(|c| c.what.starts_with("output_size(): "))
        .collect();
    assert_eq!(sized.len(), sizes, "{changes:#?}");
    assert!(
        sized
            .iter()
            .all(|c| c.class == Class::Minor && c.attention.is_some()),
        "{sized:#?}"
    );
    let typed: Vec<_> = changes.iter().filter(|c| c.class == Class::Major).collect();
    assert_eq!(typed.len(), images, "{typed:#?}");
    assert!(
        typed
            .iter()
            .all(|c| c.what.trim_end_matches('>').ends_with("ImageInput")),
        "{typed:#?}"
    );
    let default = &new["components"]["schemas"]["Ideogram3ReframeRequest"]["properties"]["resolution"]
        ["default"];
    assert!(changes.iter().any(|c| c.item == "endpoint ideogram-3-reframe"
        && c.what
            == format!(
                "output_size(): `resolution` when set, else the server's default size `{}` (was: undecided)",
                default.as_str().unwrap()
            )));
    assert!(changes.iter().any(
        |c| c.item == "Ideogram3ReframeRequest.style_reference_images"
            && c.what == "type Vec<String> → Vec<ImageInput>"
    ));
}

#[test]
fn the_report_gives_a_verdict_a_version_and_a_changelog_entry() {
    let old = spec();
    let mut new = old.clone();
    list(schema(&mut new, "RenderingSpeed"), "enum").push(json!("FLASH"));
    schema(&mut new, "Seed")["minimum"] = json!(1000);
    props(&mut new, "IdeogramImg2ImgRequest")["image_weight"]["default"] = json!(60);
    let changes = changes::compare(&old.to_string(), &new.to_string()).unwrap();
    assert_eq!(changes::verdict(&changes), Some(Class::Major));
    let report = changes::render(&changes, "v0.1.0 (abc1234)", Some("0.1.0"));
    assert!(
        report.contains(
            "Verdict: major (1 major, 1 minor, 1 patch): release 0.2.0 (the crate is at 0.1.0)."
        ),
        "{report}"
    );
    assert!(
        report.contains(
            "major  Seed: minimum 100 → 1000 (narrowed)\n       values valid before are now refused before sending"
        ),
        "{report}"
    );
    assert_eq!(
        changes::changelog(&changes),
        "## [Unreleased]\n\
         \n### Breaking changes\n\n- `Seed`: minimum 100 → 1000 (narrowed).\n\
         \n### Added\n\n- `RenderingSpeed`: value FLASH added.\n\
         \n### Changed\n\n- `IdeogramImg2ImgRequest.image_weight`: default 50 → 60.\n"
    );
    assert_eq!(
        changes::next_version("1.4.2", Class::Minor).as_deref(),
        Some("1.5.0")
    );
    assert_eq!(
        changes::next_version("0.1.0", Class::Minor).as_deref(),
        Some("0.1.1")
    );
    assert_eq!(changes::next_version("not a version", Class::Patch), None);
    assert!(changes::render(&[], "HEAD (abc1234)", Some("0.1.0")).ends_with("Verdict: none.\n"));
}

#[test]
fn a_spec_that_does_not_parse_is_named() {
    let old = spec().to_string();
    let error = changes::compare(&old, "{").unwrap_err().to_string();
    assert!(
        error.starts_with("the new spec: spec error at (document root): not valid JSON"),
        "{error}"
    );
    // A resolution that names no size is no change to classify: the
    // output size read from it would be unknown.
    let mut sizeless = spec();
    list(schema(&mut sizeless, "V2Resolution"), "enum").push(json!("AUTO"));
    let error = changes::compare(&old, &sizeless.to_string())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("the new spec: spec error at /components/schemas/IdeogramTxt2ImgRequest/properties/resolution/x-segmind-member: an output size must be"),
        "{error}"
    );
    // Nor an image member that is no URI: what would the wire carry?
    let mut formatless = spec();
    props(&mut formatless, "IdeogramImg2ImgRequest")["image_file"]
        .as_object_mut()
        .unwrap()
        .shift_remove("format");
    let error = changes::compare(&old, &formatless.to_string())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("image_file/x-segmind-member: an image must be a `format: uri` string"),
        "{error}"
    );
    let mut bad = spec();
    schema(&mut bad, "Seed")["type"] = json!("list");
    let error = changes::compare(&bad.to_string(), &old)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("the old spec: spec error at /components/schemas/Seed"),
        "{error}"
    );
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}

/// A scratch folder for a git repository of a crate at `version`: a
/// manifest, and a folder for the spec.
fn crate_at(version: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("spec")).unwrap();
    fs::write(
        dir.path().join("Cargo.toml"),
        format!("[workspace.package]\nversion = \"{version}\"\n"),
    )
    .unwrap();
    dir
}

#[test]
fn the_command_compares_with_the_last_tag_or_a_given_revision() {
    let dir = crate_at("0.3.1");
    let root = dir.path();
    let write = |spec: &Value| fs::write(root.join(SPEC), spec.to_string()).unwrap();
    let mut spec = spec();
    write(&spec);
    git(root, &["init", "-q"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "first"]);
    git(root, &["tag", "v0.3.1"]);
    list(schema(&mut spec, "StyleType"), "enum").push(json!("FICTION"));
    write(&spec);
    git(root, &["commit", "-qam", "second"]);
    let max = schema(&mut spec, "Seed")["maximum"].as_i64().unwrap();
    schema(&mut spec, "Seed")["maximum"] = json!(max - 1);
    write(&spec);

    // Default: the last tag, so both the commit and the working tree count.
    let report = changes::run(root, None).unwrap();
    assert!(
        report.starts_with("Spec changes since v0.3.1 ("),
        "{report}"
    );
    assert!(
        report.contains("minor  StyleType: value FICTION added"),
        "{report}"
    );
    assert!(
        report.contains(&format!(
            "major  Seed: maximum {max} → {} (narrowed)",
            max - 1
        )),
        "{report}"
    );
    assert!(
        report.contains("release 0.4.0 (the crate is at 0.3.1)"),
        "{report}"
    );
    // Since HEAD: the working tree's edit only.
    let report = changes::run(root, Some("HEAD")).unwrap();
    assert!(!report.contains("FICTION"), "{report}");
    assert!(report.contains("Seed: maximum"), "{report}");
    // A revision git does not know is a clear error.
    let error = changes::run(root, Some("no-such-rev"))
        .unwrap_err()
        .to_string();
    assert!(error.starts_with("git: `git rev-parse"), "{error}");
}

#[test]
fn changes_to_what_a_call_returns_or_costs_are_flagged_for_review() {
    let old = spec();
    let flagged = |edit: fn(&mut Value)| {
        let mut new = old.clone();
        edit(&mut new);
        changes::compare(&old.to_string(), &new.to_string())
            .unwrap()
            .into_iter()
            .map(|c| (c.class, c.item, c.what, c.attention))
            .collect::<Vec<_>>()
    };
    // A count of images: how many a call returns, and pays for.
    let count = flagged(|s| {
        schema(s, "ImageCount").clone_from(&json!({"type": "integer", "minimum": 1, "maximum": 4}));
        props(s, "IdeogramTxt2ImgRequest").insert(
            "num_images".into(),
            json!({"$ref": "#/components/schemas/ImageCount", "description": "Number of images to generate."}),
        );
    });
    assert!(
        count
            .iter()
            .any(|(class, item, what, attention)| *class == Class::Minor
                && item == "IdeogramTxt2ImgRequest.num_images"
                && what == "optional field added"
                && attention.as_deref()
                    == Some(
                        "a count of images: how many images a call returns, and what it costs"
                    )),
        "{count:#?}"
    );
    // A member whose documentation speaks of cost.
    let speed = flagged(|s| {
        props(s, "IdeogramTxt2ImgRequest").insert(
            "rendering_speed".into(),
            json!({"$ref": "#/components/schemas/RenderingSpeed", "description": "Speed, cost and quality trade-off."}),
        );
    });
    assert!(
        speed.iter().any(|(_, item, _, attention)| item
            == "IdeogramTxt2ImgRequest.rendering_speed"
            && attention.as_deref()
                == Some("what a call costs (its documentation speaks of cost)")),
        "{speed:#?}"
    );
    // A plain new member is a plain addition.
    let plain = flagged(|s| {
        props(s, "IdeogramTxt2ImgRequest").insert(
            "caption".into(),
            json!({"type": "string", "description": "A caption to keep with the image."}),
        );
    });
    assert!(
        plain.iter().all(|(.., attention)| attention.is_none()),
        "{plain:#?}"
    );
    // A price, and a new way to choose the size.
    let price = flagged(|s| {
        s["paths"]["/v1/ideogram-img-2-img"]["post"]["x-segmind-endpoint"]["price_usd"]["max"] =
            json!(0.2);
    });
    assert!(
        price
            .iter()
            .any(|(class, _, what, attention)| *class == Class::Patch
                && what.starts_with("price ")
                && attention
                    .as_deref()
                    .is_some_and(|a| a.starts_with("what a call costs"))),
        "{price:#?}"
    );
    let ratio = flagged(|s| {
        schema(s, "AspectRatio").clone_from(
            &json!({"type": "string", "enum": ["16x9", "1x1"], "x-variant-prefix": "Ratio"}),
        );
        props(s, "IdeogramTxt2ImgRequest").insert(
            "aspect_ratio".into(),
            json!({"$ref": "#/components/schemas/AspectRatio", "x-segmind-member": "aspect-ratio"}),
        );
    });
    assert!(
        ratio.iter().any(
            |(_, item, what, attention)| item == "endpoint ideogram-txt-2-img"
                && what.starts_with(
                    "output_size(): `resolution` when set, else `aspect_ratio` when set"
                )
                && attention.as_deref() == Some("the size of the image a call returns")
        ),
        "{ratio:#?}"
    );
    // The report puts them where they cannot be missed.
    let mut new = old.clone();
    schema(&mut new, "ImageCount").clone_from(&json!({"type": "integer", "minimum": 1}));
    props(&mut new, "IdeogramTxt2ImgRequest").insert(
        "num_images".into(),
        json!({"$ref": "#/components/schemas/ImageCount"}),
    );
    let found = changes::compare(&old.to_string(), &new.to_string()).unwrap();
    let report = changes::render(&found, "v0.1.0 (abc1234)", Some("0.1.0"));
    assert!(
        report.contains("REVIEW: changes a count of images")
            && report.contains("Review before releasing: 1 change(s) alter what a call returns or costs")
            && report.contains("- `IdeogramTxt2ImgRequest.num_images`: optional field added (changes a count of images"),
        "{report}"
    );
}

#[test]
fn without_a_tag_the_last_release_is_the_version_the_changelog_records() {
    let dir = crate_at("0.2.0");
    let root = dir.path();
    let write = |spec: &Value| fs::write(root.join(SPEC), spec.to_string()).unwrap();
    let changelog = |text: &str| fs::write(root.join("CHANGELOG.md"), text).unwrap();
    let mut spec = spec();
    write(&spec);
    changelog("# Changelog\n\n## Unreleased\n");
    git(root, &["init", "-q"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-qm", "first"]);
    // Nothing released: said so, and no comparison with an arbitrary commit.
    let report = changes::run(root, None).unwrap();
    assert!(report.starts_with("Nothing is released yet"), "{report}");
    assert!(report.contains("--since REV"), "{report}");

    list(schema(&mut spec, "StyleType"), "enum").push(json!("FICTION"));
    write(&spec);
    changelog("# Changelog\n\n## Unreleased\n\n## [0.2.0] - 2026-12-01\n\n- First release.\n");
    git(root, &["commit", "-qam", "release 0.2.0"]);
    let head = |args: &[&str]| {
        let out = Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let (full, short) = (
        head(&["rev-parse", "HEAD"]),
        head(&["rev-parse", "--short", "HEAD"]),
    );
    let max = schema(&mut spec, "Seed")["maximum"].as_i64().unwrap();
    schema(&mut spec, "Seed")["maximum"] = json!(max - 1);
    write(&spec);
    changelog(
        "# Changelog\n\n## Unreleased\n\n- Seed.\n\n## [0.2.0] - 2026-12-01\n\n- First release.\n",
    );
    git(root, &["commit", "-qam", "after the release"]);
    let report = changes::run(root, None).unwrap();
    assert!(
        report.starts_with(&format!(
            "Spec changes since {full} ({short}), the last release, 0.2.0, recorded in CHANGELOG.md (no tag)"
        )),
        "{report}"
    );
    assert!(!report.contains("FICTION"), "released before: {report}");
    assert!(
        report.contains(&format!("Seed: maximum {max} → {}", max - 1)),
        "{report}"
    );
}
