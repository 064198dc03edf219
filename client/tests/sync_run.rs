//! `Client::run` against a real HTTP server: what goes on the wire, and how
//! every kind of answer body is read.

use crate::common;

use common::{JPEG, KEY, WEBP, builder, client, image, json, png};
use segmind_ideogram::{
    AnyRequest, ColorHex, ColorPaletteMember, ColorWeight, CustomColorPalette, Endpoint, Error,
    Ideogram2aImg2ImgRequest, Ideogram3ReframeRequest, IdeogramImg2ImgRequest,
    IdeogramTurboImg2ImgRequest, IdeogramTxt2ImgRequest, ImageFormat, ImageInput, ImageWeight,
    MagicPromptOption, PalettePresetName, PresetColorPalette, RenderingSpeed, Rule, Seed,
    StyleCode, StyleType, V2Resolution, V3Resolution,
};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Runs `request` against a fresh server and checks the request it got:
/// method, path, headers and the exact JSON body; `run_any` on the same
/// request sends the same bytes. Local images go inline (this server has no
/// storage; `tests/images.rs` uploads them to the mock's).
async fn assert_wire_format<E: Endpoint + Into<AnyRequest>>(request: E, expected: Value) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v1/{}", E::INFO.slug)))
        .respond_with(image(&png(2, 2), "image/png"))
        .expect(2)
        .mount(&server)
        .await;
    let client = builder(&server.uri()).inline_images(true).build().unwrap();
    let image = client.run(&request).await.expect("run");
    assert_eq!(image.format(), ImageFormat::Png);
    client.run_any(&request.into()).await.expect("run_any");

    let received = server.received_requests().await.expect("recording");
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].body, received[1].body);
    let sent = &received[0];
    let header = |name: &str| {
        sent.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(header("x-api-key").as_deref(), Some(KEY));
    assert_eq!(header("content-type").as_deref(), Some("application/json"));
    assert_eq!(
        header("user-agent"),
        Some(format!("segmind-ideogram-rs/{}", env!("CARGO_PKG_VERSION")))
    );
    assert!(sent.url.query().is_none(), "nothing travels in the URL");
    let body: Value = serde_json::from_slice(&sent.body).expect("JSON body");
    assert_eq!(body, expected);
}

#[tokio::test]
async fn txt_2_img_wire_format() {
    let request = IdeogramTxt2ImgRequest::new("a panda in a spacesuit")
        .color_palette(PresetColorPalette::new(PalettePresetName::Pastel))
        .magic_prompt_option(MagicPromptOption::On)
        .negative_prompt("blurry")
        .resolution(V2Resolution::Resolution1024_1024)
        .seed(Seed::new(4242).unwrap())
        .style_type(StyleType::Design);
    let expected = json!({
        "prompt": "a panda in a spacesuit",
        "color_palette": {"name": "PASTEL"},
        "magic_prompt_option": "ON",
        "negative_prompt": "blurry",
        "resolution": "RESOLUTION_1024_1024",
        "seed": 4242,
        "style_type": "DESIGN"
    });
    assert_wire_format(request, expected).await;
}

#[tokio::test]
async fn img_2_img_wire_format_with_a_local_image() {
    let pixels = png(2, 2);
    let data_uri = ImageInput::bytes(pixels.clone()).to_data_uri().unwrap();
    let palette =
        CustomColorPalette::new([ColorPaletteMember::new(ColorHex::new("#b470b3").unwrap())
            .color_weight(ColorWeight::new(0.5).unwrap())])
        .unwrap();
    let request =
        IdeogramImg2ImgRequest::new(ImageInput::bytes(pixels), "the same, in watercolour")
            .image_weight(ImageWeight::new(70).unwrap())
            .color_palette(palette);
    let expected = json!({
        "image_file": data_uri,
        "prompt": "the same, in watercolour",
        "color_palette": {"members": [{"color_hex": "#b470b3", "color_weight": 0.5}]},
        "image_weight": 70
    });
    assert!(data_uri.starts_with("data:image/png;base64,iVBORw0KGgo"));
    assert_wire_format(request, expected).await;
}

#[tokio::test]
async fn turbo_img_2_img_wire_format() {
    let request = IdeogramTurboImg2ImgRequest::new("https://example.com/in.png", "sharper")
        .style_type(StyleType::Realistic)
        .resolution(V2Resolution::Resolution1024_1024);
    let expected = json!({
        "image_file": "https://example.com/in.png",
        "prompt": "sharper",
        "resolution": "RESOLUTION_1024_1024",
        "style_type": "REALISTIC"
    });
    assert_wire_format(request, expected).await;
}

#[tokio::test]
async fn two_a_img_2_img_wire_format() {
    let request = Ideogram2aImg2ImgRequest::new("https://example.com/in.jpg", "at night")
        .image_weight(ImageWeight::new(35).unwrap())
        .magic_prompt_option(MagicPromptOption::Off)
        .seed(Seed::new(100).unwrap());
    let expected = json!({
        "image_file": "https://example.com/in.jpg",
        "prompt": "at night",
        "image_weight": 35,
        "magic_prompt_option": "OFF",
        "seed": 100
    });
    assert_wire_format(request, expected).await;
}

#[tokio::test]
async fn reframe_wire_format_with_style_references() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("style.jpg");
    std::fs::write(&file, JPEG).unwrap();
    let reference = ImageInput::bytes(JPEG).to_data_uri().unwrap();
    let request = Ideogram3ReframeRequest::new("https://example.com/wide.webp")
        .resolution(V3Resolution::Size1280x800)
        .rendering_speed(RenderingSpeed::Quality)
        .seed(Seed::new(999_999).unwrap())
        .style_reference_images([ImageInput::file(&file)]);
    let expected = json!({
        "image": "https://example.com/wide.webp",
        "rendering_speed": "QUALITY",
        "resolution": "1280x800",
        "seed": 999_999,
        "style_reference_images": [reference]
    });
    assert!(reference.starts_with("data:image/jpeg;base64,/9j/"));
    assert_wire_format(request, expected).await;
}

#[tokio::test]
async fn png_jpeg_and_webp_are_recognised_by_their_bytes() {
    let server = MockServer::start().await;
    let pixels = png(3, 1);
    for (bytes, content_type, format) in [
        (pixels.as_slice(), "image/png", ImageFormat::Png),
        (JPEG, "image/jpeg", ImageFormat::Jpeg),
        (WEBP, "image/webp", ImageFormat::Webp),
    ] {
        server.reset().await;
        Mock::given(method("POST"))
            .respond_with(image(bytes, content_type))
            .mount(&server)
            .await;
        let image = client(&server.uri())
            .run(&IdeogramTxt2ImgRequest::new("x"))
            .await
            .expect("run");
        assert_eq!(image.format(), format);
        assert_eq!(image.bytes().as_ref(), bytes);
        assert!(image.content_type_matches());
    }
}

#[tokio::test]
async fn a_mismatched_content_type_trusts_the_bytes_and_save_fixes_the_extension() {
    let server = MockServer::start().await;
    let pixels = png(2, 2);
    // Older Segmind answers declared image/jpeg for the PNGs Ideogram makes.
    Mock::given(method("POST"))
        .respond_with(image(&pixels, "image/jpeg"))
        .mount(&server)
        .await;
    let image = client(&server.uri())
        .run(&IdeogramTxt2ImgRequest::new("x"))
        .await
        .expect("run");
    assert_eq!(image.format(), ImageFormat::Png);
    assert_eq!(image.metadata().content_type.as_deref(), Some("image/jpeg"));
    assert!(!image.content_type_matches());

    let dir = tempfile::tempdir().unwrap();
    let written = image.save(dir.path().join("out.jpg")).unwrap();
    assert_eq!(written, dir.path().join("out.png"));
    assert_eq!(std::fs::read(&written).unwrap(), pixels);
    assert!(!dir.path().join("out.jpg").exists());
}

#[tokio::test]
async fn a_truncated_image_is_a_decode_error() {
    let server = MockServer::start().await;
    let pixels = png(16, 16);
    let half = &pixels[..pixels.len() / 2];
    Mock::given(method("POST"))
        .respond_with(image(half, "image/png"))
        .mount(&server)
        .await;
    let err = client(&server.uri())
        .run(&IdeogramTxt2ImgRequest::new("x"))
        .await
        .unwrap_err();
    match err {
        Error::Decode {
            status,
            reason,
            body_prefix,
            ..
        } => {
            assert_eq!(status, 200);
            assert!(reason.contains("truncated"), "{reason}");
            assert!(body_prefix.starts_with("\u{FFFD}PNG"), "{body_prefix:?}");
        }
        other => panic!("expected Decode, got {other:?}"),
    }
}

#[tokio::test]
async fn every_json_form_of_the_image_is_accepted() {
    use base64::Engine as _;
    let server = MockServer::start().await;
    let pixels = png(2, 2);
    let b64 = base64::engine::general_purpose::STANDARD.encode(&pixels);
    Mock::given(method("GET"))
        .and(path("/files/out.png"))
        .respond_with(image(&pixels, "image/png"))
        .mount(&server)
        .await;
    let download = format!("{}/files/out.png", server.uri());
    let bodies = [
        json!({"image": b64}),
        json!({"image": format!("data:image/png;base64,{b64}")}),
        json!({"output": format!("data:image/png;base64,{b64}")}),
        json!({"output": download}),
        json!({"images": [b64]}),
        json!({"images": [download]}),
    ];
    for body in bodies {
        Mock::given(method("POST"))
            .respond_with(json(200, body.clone()))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        let image = client(&server.uri())
            .run(&IdeogramTxt2ImgRequest::new("x"))
            .await
            .unwrap_or_else(|e| panic!("{body}: {e}"));
        assert_eq!(image.bytes().as_ref(), pixels.as_slice(), "{body}");
    }
}

#[tokio::test]
async fn a_body_that_is_neither_image_nor_json_is_a_decode_error() {
    let server = MockServer::start().await;
    let html = format!("<html>{}</html>", "x".repeat(2000));
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(html.clone(), "text/html"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(json(200, json!({"images": ["aGVsbG8="], "image": null})))
        .mount(&server)
        .await;
    let client = client(&server.uri());
    let request = IdeogramTxt2ImgRequest::new("x");

    let err = client.run(&request).await.unwrap_err();
    assert!(
        matches!(&err, Error::Decode { status: 200, path: None, body_prefix, .. }
            if body_prefix.len() == 512 && html.starts_with(body_prefix.as_str())),
        "{err:?}"
    );
    let err = client.run(&request).await.unwrap_err();
    assert!(
        matches!(&err, Error::Decode { path: Some(p), .. } if p == "images[0]"),
        "{err:?}"
    );
    assert!(err.to_string().contains("at `images[0]`"), "{err}");
}

#[tokio::test]
async fn an_unusable_json_image_names_its_path() {
    // A value no image can be (a number) is passed over; the first that
    // could be one and is not names its path.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json(200, json!({"images": [5, "ok"]})))
        .mount(&server)
        .await;
    let err = client(&server.uri())
        .run(&IdeogramTxt2ImgRequest::new("x"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Decode { path: Some(p), .. } if p == "images[1]"),
        "{err:?}"
    );
}

#[tokio::test]
async fn metadata_headers_are_read() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            image(&png(1, 1), "image/png")
                .insert_header("x-remaining-credits", "41.5")
                .insert_header("x-seed-value", "123456")
                .insert_header("x-cost", "0.08")
                .insert_header("x-generation-time", "11.2")
                .insert_header("x-request-id", "req-42"),
        )
        .mount(&server)
        .await;
    let image = client(&server.uri())
        .run(&IdeogramTxt2ImgRequest::new("x"))
        .await
        .unwrap();
    let meta = image.metadata();
    assert_eq!(meta.remaining_credits, Some(41.5));
    assert_eq!(meta.seed, Some(123_456));
    assert_eq!(meta.cost, Some(0.08));
    assert_eq!(meta.generation_time, Some(11.2));
    assert_eq!(meta.request_id.as_deref(), Some("req-42"));
}

#[tokio::test]
async fn an_invalid_request_sends_nothing() {
    let server = MockServer::start().await;
    let client = client(&server.uri());

    let err = client
        .run(&IdeogramImg2ImgRequest::new("panda.png", "x"))
        .await
        .unwrap_err();
    let Error::InvalidRequest(errors) = &err else {
        panic!("expected InvalidRequest, got {err:?}");
    };
    assert_eq!(errors.violations().len(), 1);
    assert_eq!(errors.violations()[0].path, "image_file");

    // Every violation is reported, not just the first.
    let both = Ideogram3ReframeRequest::new("not a uri")
        .style_codes([StyleCode::new("AAFF5733").unwrap()])
        .style_reference_images(["also not a uri", "https://example.com/a.png"]);
    let Err(Error::InvalidRequest(errors)) = client.run(&both).await else {
        panic!("expected InvalidRequest");
    };
    let rules: Vec<_> = errors.violations().iter().map(|v| v.rule.code()).collect();
    assert_eq!(rules, ["format", "format", "not_both_non_empty"]);

    // Bare base64 is not a URI: the validator rejects it before sending.
    let raw = ImageInput::bytes(png(1, 1)).to_base64().unwrap();
    let Err(Error::InvalidRequest(errors)) =
        client.run(&IdeogramImg2ImgRequest::new(raw, "x")).await
    else {
        panic!("expected InvalidRequest");
    };
    assert_eq!(errors.violations()[0].rule, Rule::Format { format: "uri" });

    assert!(
        client
            .submit(&IdeogramImg2ImgRequest::new("panda.png", "x"))
            .await
            .is_err()
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
}

#[tokio::test]
async fn image_inputs_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.webp");
    std::fs::write(&file, WEBP).unwrap();
    let uri = ImageInput::file(&file).to_data_uri().unwrap();
    assert!(uri.starts_with("data:image/webp;base64,UklGR"));

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello").unwrap();
    assert!(matches!(
        ImageInput::file(&text).to_data_uri(),
        Err(Error::ImageInput(_))
    ));

    let big = dir.path().join("big.png");
    let file_handle = std::fs::File::create(&big).unwrap();
    file_handle.set_len(10 * 1024 * 1024 + 1).unwrap();
    let err = ImageInput::file(&big).to_data_uri().unwrap_err();
    assert!(err.to_string().contains("more than"), "{err}");
}
