//! The generated API behaves as promised: every enum value, names that keep
//! digit groups apart, round-trips through strings, sizes, newtypes that
//! refuse invalid values, builders and JSON snapshots of built payloads.

use std::str::FromStr;

use segmind_ideogram::*;
use segmind_ideogram_tests::reference_list;

#[test]
fn resolution_enums_have_every_value_in_reference_order() {
    let v2: Vec<&str> = V2Resolution::ALL.iter().map(|r| r.as_str()).collect();
    let v3: Vec<&str> = V3Resolution::ALL.iter().map(|r| r.as_str()).collect();
    assert_eq!(v2, reference_list("ideogram-v2-resolutions.json"));
    assert_eq!(v3, reference_list("ideogram-v3-resolutions.json"));
    assert_eq!(V2Resolution::VALUES, v2.as_slice());
}

#[test]
fn enum_values_round_trip_through_display_from_str_and_serde() {
    fn check<T>(all: &[T])
    where
        T: Copy
            + std::fmt::Display
            + FromStr
            + PartialEq
            + std::fmt::Debug
            + serde::Serialize
            + serde::de::DeserializeOwned,
        <T as FromStr>::Err: std::fmt::Debug,
    {
        for value in all {
            let text = value.to_string();
            assert_eq!(text.parse::<T>().unwrap(), *value);
            let json = serde_json::to_value(value).unwrap();
            assert_eq!(json, serde_json::Value::String(text));
            assert_eq!(serde_json::from_value::<T>(json).unwrap(), *value);
        }
    }
    check(V2Resolution::ALL);
    check(V3Resolution::ALL);
    check(StyleType::ALL);
    check(MagicPromptOption::ALL);
    check(RenderingSpeed::ALL);
    check(PalettePresetName::ALL);
    // Every value of the spec, in its order.
    assert_eq!(StyleType::VALUES, spec_enum("StyleType"));
    assert_eq!(MagicPromptOption::VALUES, spec_enum("MagicPromptOption"));
    assert_eq!(RenderingSpeed::VALUES, spec_enum("RenderingSpeed"));
    assert_eq!(PalettePresetName::VALUES, spec_enum("PalettePresetName"));
}

/// The values of the spec's enum `name`.
fn spec_enum(name: &str) -> Vec<String> {
    let spec = segmind_ideogram_tests::spec();
    let values = spec["components"]["schemas"][name]["enum"]
        .as_array()
        .unwrap();
    values
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// The default of the spec's enum `name`.
fn spec_default(name: &str) -> String {
    let spec = segmind_ideogram_tests::spec();
    spec["components"]["schemas"][name]["default"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn variant_names_keep_digit_groups_apart_and_sizes_are_right() {
    assert_eq!(
        V2Resolution::Resolution512_1536.as_str(),
        "RESOLUTION_512_1536"
    );
    assert_eq!(
        V2Resolution::default().as_str(),
        spec_default("V2Resolution")
    );
    assert_eq!(V3Resolution::Size800x1280.as_str(), "800x1280");
    assert_eq!(
        V3Resolution::default().as_str(),
        spec_default("V3Resolution")
    );
    assert_eq!(StyleType::Render3d.as_str(), "RENDER_3D");
    for r in V2Resolution::ALL {
        assert_eq!(
            r.as_str(),
            format!("RESOLUTION_{}_{}", r.width(), r.height())
        );
    }
    for r in V3Resolution::ALL {
        assert_eq!(r.as_str(), format!("{}x{}", r.width(), r.height()));
    }
    // A value that is not one names the count and the nearest sizes; the
    // other spelling of a size is suggested as its own value.
    let err = "RESOLUTION_1_1".parse::<V2Resolution>().unwrap_err();
    assert_eq!(err.expected.len(), V2Resolution::VALUES.len());
    assert!(
        err.to_string().starts_with(&format!(
            "`RESOLUTION_1_1` is not one of the {} possible values; the closest: RESOLUTION_",
            V2Resolution::VALUES.len()
        )),
        "{err}"
    );
    let other_spelling = "1280x720".parse::<V2Resolution>().unwrap_err();
    assert_eq!(other_spelling.closest[0], "RESOLUTION_1280_720");
    // A short list is listed whole, with a similar value when there is one.
    let err = "DESING".parse::<StyleType>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "`DESING` is not one of the possible values (GENERAL, REALISTIC, DESIGN, RENDER_3D, \
         ANIME); a similar value exists: DESIGN"
    );
    assert_eq!(StyleType::try_from("DESIGN"), Ok(StyleType::Design));
}

#[test]
fn sizes_find_their_resolution_and_absent_sizes_the_nearest() {
    for r in V2Resolution::ALL {
        assert_eq!(V2Resolution::from_size(r.width(), r.height()), Ok(*r));
        assert_eq!(V2Resolution::try_from((r.width(), r.height())), Ok(*r));
    }
    for r in V3Resolution::ALL {
        assert_eq!(V3Resolution::from_size(r.width(), r.height()), Ok(*r));
    }
    // 1280x720 exists only in Ideogram 2, 800x1280 only in Ideogram 3.
    assert_eq!(
        V2Resolution::from_size(1280, 720),
        Ok(V2Resolution::Resolution1280_720)
    );
    assert_eq!(
        V3Resolution::from_size(800, 1280),
        Ok(V3Resolution::Size800x1280)
    );
    let missing = V3Resolution::from_size(1280, 720).unwrap_err();
    assert_eq!((missing.width, missing.height), (1280, 720));
    // The nearest of the same shape: 16:9 stays wide.
    let nearest = missing.nearest();
    assert!(!nearest.is_empty() && nearest.len() <= 3, "{nearest:?}");
    for value in &nearest {
        let size: V3Resolution = value.parse().unwrap();
        assert!(size.width() > size.height(), "{value} is not wide");
    }
    assert!(
        missing
            .to_string()
            .starts_with("no value of V3Resolution is 1280x720; the nearest: "),
        "{missing}"
    );
    assert_eq!(
        V2Resolution::from_size(1000, 1000).unwrap_err().nearest()[0],
        "RESOLUTION_1024_1024"
    );
    assert!(V2Resolution::from_size(800, 1280).is_err());
    for (width, height) in [(0, 0), (1024, 0), (1, 1), (u32::MAX, u32::MAX)] {
        assert!(V2Resolution::from_size(width, height).is_err());
        assert!(V3Resolution::from_size(width, height).is_err());
    }
    // A `const fn`, like `width()` and `height()`.
    const SQUARE: Result<V3Resolution, segmind_ideogram::SizeError> =
        V3Resolution::from_size(1024, 1024);
    assert_eq!(SQUARE, Ok(V3Resolution::default()));
}

#[test]
fn job_status_tolerates_unknown_values() {
    let known: JobStatus = serde_json::from_str("\"COMPLETED\"").unwrap();
    assert_eq!(known, JobStatus::Completed);
    let unknown: JobStatus = serde_json::from_str("\"THROTTLED\"").unwrap();
    assert_eq!(unknown, JobStatus::Unknown("THROTTLED".into()));
    assert_eq!(serde_json::to_string(&unknown).unwrap(), "\"THROTTLED\"");
    let result: JobResult = serde_json::from_value(serde_json::json!({
        "status": "COMPLETED",
        "output": "https://example.com/a.png",
        "metrics": {"inference_time": 1.5, "gpu": "A100"},
        "new_field": true
    }))
    .unwrap();
    assert_eq!(result.metrics.as_ref().unwrap().inference_time, Some(1.5));
    assert_eq!(result.metrics.as_ref().unwrap().extra["gpu"], "A100");
    assert_eq!(result.extra["new_field"], true);
}

#[test]
fn constrained_scalars_refuse_invalid_values_everywhere() {
    assert!(Seed::new(100).is_ok());
    assert!(Seed::new(999_999).is_ok());
    assert_eq!(
        Seed::new(99).unwrap_err().to_string(),
        "invalid Seed: must be at least 100"
    );
    assert!(Seed::new(1_000_000).is_err());
    assert!("5".parse::<Seed>().is_err());
    assert!(serde_json::from_str::<Seed>("50").is_err());
    assert_eq!(Seed::try_from(4242).unwrap().get(), 4242);
    assert!(ImageWeight::new(0).is_err());
    assert!(ImageWeight::new(101).is_err());
    assert!(ColorWeight::new(0.04).is_err());
    assert!(ColorWeight::new(f64::NAN).is_err());
    assert!(ColorWeight::new(1.0).is_ok());
    assert!(ColorHex::new("#b470b3").is_ok());
    assert_eq!(
        ColorHex::new("pink").unwrap_err().to_string(),
        "invalid ColorHex: must be a hex colour such as #b470b3"
    );
    assert!(StyleCode::new("AAFF5733").is_ok());
    assert!(StyleCode::new("Modern").is_err());
    assert!(serde_json::from_str::<StyleCode>("\"Modern\"").is_err());
    assert_eq!(&*StyleCode::new("0b1c2d3e").unwrap(), "0b1c2d3e");
}

#[test]
fn a_palette_whose_member_count_breaks_the_spec_cannot_be_built() {
    let white = || ColorPaletteMember::new(ColorHex::new("#fff").unwrap());
    let none = CustomColorPalette::new(Vec::<ColorPaletteMember>::new()).unwrap_err();
    assert_eq!(none.rule.code(), "min_items");
    assert_eq!(
        none.to_string(),
        "invalid CustomColorPalette: must have at least 1 items"
    );
    let nine = CustomColorPalette::new((0..9).map(|_| white())).unwrap_err();
    assert_eq!(nine.rule.code(), "max_items");
    assert_eq!(
        CustomColorPalette::new((0..8).map(|_| white()))
            .unwrap()
            .members
            .len(),
        8
    );
}

#[test]
fn validate_reports_every_violation_with_its_path() {
    // A palette emptied after it was built is still caught.
    let mut emptied =
        CustomColorPalette::new([ColorPaletteMember::new(ColorHex::new("#fff").unwrap())]).unwrap();
    emptied.members.clear();
    let request = Ideogram3ReframeRequest::new("not a uri")
        .style_codes([StyleCode::new("AAFF5733").unwrap()])
        .style_reference_images(["https://example.com/a.png", "also not a uri"].map(String::from))
        .color_palette(emptied);
    let errors = request.validate().unwrap_err();
    let found: Vec<(String, &str)> = errors
        .violations()
        .iter()
        .map(|v| (v.path.clone(), v.rule.code()))
        .collect();
    assert_eq!(
        found,
        [
            ("image".to_owned(), "format"),
            ("color_palette.members".to_owned(), "min_items"),
            ("style_reference_images[1]".to_owned(), "format"),
            (String::new(), "not_both_non_empty"),
        ]
    );
}

#[test]
fn builder_payloads_match_snapshots() {
    let palette = CustomColorPalette::new([
        ColorPaletteMember::new(ColorHex::new("#b470b3").unwrap())
            .color_weight(ColorWeight::new(0.6).unwrap()),
        ColorPaletteMember::new(ColorHex::new("#0a0").unwrap()),
    ])
    .unwrap();
    let txt = IdeogramTxt2ImgRequest::new("a panda in a spacesuit")
        .negative_prompt("blurry")
        .magic_prompt_option(MagicPromptOption::Off)
        .resolution(V2Resolution::Resolution1280_720)
        .seed(Seed::new(4242).unwrap())
        .style_type(StyleType::Render3d)
        .color_palette(palette);
    let img = IdeogramImg2ImgRequest::new("https://example.com/in.png", "make it night")
        .image_weight(ImageWeight::new(70).unwrap())
        .color_palette(PresetColorPalette::new(PalettePresetName::Ultramarine));
    let turbo = IdeogramTurboImg2ImgRequest::new("https://example.com/in.jpg", "caricature");
    let a2 = Ideogram2aImg2ImgRequest::new("https://example.com/in.png", "new year")
        .style_type(StyleType::Anime);
    let reframe = Ideogram3ReframeRequest::new("https://example.com/in.png")
        .resolution(V3Resolution::Size800x1280)
        .rendering_speed(RenderingSpeed::Quality)
        .style_codes([StyleCode::new("AAFF5733").unwrap()]);
    for request in [&txt as &dyn ValidateDyn, &img, &turbo, &a2, &reframe] {
        request.check();
    }
    insta::assert_json_snapshot!("builder_txt_2_img", txt);
    insta::assert_json_snapshot!("builder_img_2_img", img);
    insta::assert_json_snapshot!("builder_turbo_img_2_img", turbo);
    insta::assert_json_snapshot!("builder_2a_img_2_img", a2);
    insta::assert_json_snapshot!("builder_3_reframe", reframe);
}

trait ValidateDyn {
    fn check(&self);
}

impl<T: Validate> ValidateDyn for T {
    fn check(&self) {
        self.validate().expect("built request is valid");
    }
}

#[test]
fn example_payloads_serialize_as_snapshotted() {
    insta::glob!("../../spec/examples", "*/*.json", |path| {
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        if !doc["violations"].as_array().unwrap().is_empty() {
            return;
        }
        let slug = path
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap();
        let request = AnyRequest::from_json(slug, &doc["request"])
            .unwrap()
            .unwrap();
        insta::assert_json_snapshot!(request);
    });
}

#[test]
fn accessors_read_prompt_seed_and_size_with_the_default_size_when_unset() {
    let txt = IdeogramTxt2ImgRequest::new("a panda").seed(Seed::new(4242).unwrap());
    assert_eq!(txt.prompt_text(), "a panda");
    assert_eq!(
        txt.seed_value(),
        Some(Seed::new(4242).unwrap()),
        "typed as the seed is"
    );
    let default: V2Resolution = IdeogramTxt2ImgRequest::INFO
        .field("resolution")
        .and_then(|f| f.default)
        .expect("the spec gives the server's default")
        .parse()
        .unwrap();
    assert_eq!(txt.output_size(), default.into(), "the server's default");
    let txt = txt.resolution(V2Resolution::Resolution1280_720);
    assert_eq!(
        txt.output_size(),
        OutputSize::Pixels {
            width: 1280,
            height: 720
        }
    );
    let reframe = Ideogram3ReframeRequest::new("https://example.com/in.png")
        .resolution(V3Resolution::Size800x1280);
    assert_eq!(reframe.seed_value(), None);
    let any = AnyRequest::from(reframe);
    assert_eq!(any.prompt_text(), None, "reframe takes no prompt");
    assert_eq!(any.seed_value(), None);
    assert_eq!(any.output_size().pixels(), Some((800, 1280)));
    let any = AnyRequest::from(txt);
    assert_eq!(any.prompt_text(), Some("a panda"));
    assert_eq!(any.seed_value(), Some(4242));
}

#[test]
fn image_members_hold_urls_files_or_bytes() {
    // A string is a URL, as it was when the members were strings.
    let url = "https://example.com/in.png";
    let from_str = IdeogramImg2ImgRequest::new(url, "at night");
    assert_eq!(from_str.image_file, ImageInput::url(url));
    assert_eq!(
        IdeogramImg2ImgRequest::new(url.to_owned(), "at night"),
        from_str
    );
    assert_eq!(from_str.image_file.as_url(), Some(url));

    // Files and bytes are checked when they are loaded, not by `validate`:
    // a path is no URI, and the file need not exist yet.
    let dir = std::env::temp_dir().join("segmind-ideogram-no-such-dir");
    let file = ImageInput::file(dir.join("in.png"));
    let request = Ideogram3ReframeRequest::new(file.clone())
        .style_reference_images([ImageInput::bytes(&b"not even an image"[..])]);
    assert!(request.validate().is_ok());
    assert_eq!(request.images().len(), 2);
    assert_eq!(request.image.as_file(), Some(dir.join("in.png").as_path()));
    // ... and serializing one reads it: a missing file is an error, not a path.
    let err = serde_json::to_string(&request).unwrap_err();
    assert!(err.to_string().contains("in.png"), "{err}");

    // A URL is checked as a URI, wherever it stands.
    let errors = Ideogram3ReframeRequest::new(file)
        .style_reference_images([url, "a/b.png"])
        .validate()
        .unwrap_err();
    assert_eq!(errors.violations().len(), 1);
    assert_eq!(errors.violations()[0].path, "style_reference_images[1]");

    // JSON strings read as URLs, and serialize back as they were.
    let payload = serde_json::json!({"image": url, "style_reference_images": [url]});
    let parsed = Ideogram3ReframeRequest::from_json(&payload).unwrap();
    assert_eq!(
        parsed.images(),
        [&ImageInput::url(url), &ImageInput::url(url)]
    );
    assert_eq!(serde_json::to_value(&parsed).unwrap(), payload);
    let deserialized: Ideogram3ReframeRequest = serde_json::from_value(payload).unwrap();
    assert_eq!(deserialized, parsed);
    let errors =
        IdeogramImg2ImgRequest::from_json(&serde_json::json!({"image_file": 7, "prompt": "p"}))
            .unwrap_err();
    assert_eq!(
        errors.to_string(),
        "invalid request (1 violation): image_file: must be a string"
    );

    // Bytes serialize as a `data:` URI; the debug form does not dump them.
    let png = b"\x89PNG\r\n\x1a\n".to_vec();
    let inline = IdeogramImg2ImgRequest::new(ImageInput::bytes(png), "p");
    assert_eq!(
        serde_json::to_value(&inline).unwrap()["image_file"],
        "data:image/png;base64,iVBORw0KGgo="
    );
    assert!(format!("{inline:?}").contains("Bytes(8 bytes)"));

    // Every endpoint's images are reachable, through `AnyRequest` too.
    let mut any = AnyRequest::from(inline);
    for image in any.images_mut() {
        *image = ImageInput::url(url);
    }
    assert_eq!(any.images(), [&ImageInput::url(url)]);
    assert!(
        AnyRequest::from(IdeogramTxt2ImgRequest::new("p"))
            .images()
            .is_empty()
    );
}
