//! Each of the five requests as a downstream crate writes it: required
//! members in `new`, a setter per optional one, and every checked value one
//! `?` away (`Seed::new`, `from_size`, `ColorPalette::parse`, ...). A value
//! that breaks the spec cannot be built; `validate()` (which `Client::run`
//! calls before sending) checks what is left: empty strings and rules
//! across members. Nothing is sent: this prints each payload.
//!
//! An image member takes a URL, bytes or `ImageInput::file("sketch.png")`,
//! which the client uploads to Segmind's storage when it sends the request.
//!
//! ```text
//! cargo run -p segmind-ideogram --example every_request
//! cargo test -p segmind-ideogram --example every_request
//! ```

use segmind_ideogram::{
    AnyRequest, ColorPalette, Ideogram2aImg2ImgRequest, Ideogram3ReframeRequest,
    IdeogramImg2ImgRequest, IdeogramTurboImg2ImgRequest, IdeogramTxt2ImgRequest, ImageInput,
    ImageWeight, MagicPromptOption, PalettePresetName, RenderingSpeed, Seed, StyleType,
    V2Resolution, V3Resolution,
};

/// The downstream crate's errors and the client's, through one `?`.
type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Every endpoint's request, each with the members a user reaches for.
fn requests() -> Result<Vec<AnyRequest>> {
    let txt_2_img = IdeogramTxt2ImgRequest::new("a panda in a spacesuit")
        .resolution(V2Resolution::from_size(1280, 720)?)
        .seed(Seed::new(4242)?)
        .color_palette(PalettePresetName::Pastel);

    let img_2_img =
        IdeogramImg2ImgRequest::new("https://example.com/sketch.png", "as a watercolour")
            .image_weight(ImageWeight::new(70)?)
            .color_palette(ColorPalette::parse("#b470b3:0.5,#ffffff")?);

    let turbo = IdeogramTurboImg2ImgRequest::new("https://example.com/sketch.png", "at night")
        .resolution(V2Resolution::try_from((1024, 1024))?)
        .style_type(StyleType::Design);

    let two_a = Ideogram2aImg2ImgRequest::new(ImageInput::bytes(PNG), "in the snow")
        .magic_prompt_option(MagicPromptOption::Off);

    let reframe = Ideogram3ReframeRequest::new("https://example.com/photo.jpg")
        .resolution(V3Resolution::from_size(1280, 800)?)
        .rendering_speed(RenderingSpeed::Turbo)
        .style_reference_images(["https://example.com/style.png"]);

    let all: Vec<AnyRequest> = vec![
        txt_2_img.into(),
        img_2_img.into(),
        turbo.into(),
        two_a.into(),
        reframe.into(),
    ];
    for request in &all {
        request.validate()?;
    }
    Ok(all)
}

/// The eight bytes that start every PNG: enough for a request to hold
/// (the client checks the image itself when it sends it).
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";

fn main() -> Result<()> {
    for request in requests()? {
        println!(
            "{}: {}",
            request.info().slug,
            serde_json::to_string(&request)?
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use segmind_ideogram::ENDPOINTS;
    use serde_json::json;

    #[test]
    fn every_endpoint_has_its_request_and_each_is_valid() -> Result<()> {
        let slugs: Vec<&str> = requests()?.iter().map(|r| r.info().slug).collect();
        let registry: Vec<&str> = ENDPOINTS.iter().map(|info| info.slug).collect();
        assert_eq!(slugs, registry);
        Ok(())
    }

    #[test]
    fn the_payloads_are_what_segmind_documents() -> Result<()> {
        let payloads: Vec<_> = requests()?
            .iter()
            .map(serde_json::to_value)
            .collect::<std::result::Result<_, _>>()?;
        assert_eq!(
            payloads[0],
            json!({
                "prompt": "a panda in a spacesuit",
                "resolution": "RESOLUTION_1280_720",
                "seed": 4242,
                "color_palette": {"name": "PASTEL"}
            })
        );
        assert_eq!(
            payloads[1],
            json!({
                "image_file": "https://example.com/sketch.png",
                "prompt": "as a watercolour",
                "image_weight": 70,
                "color_palette": {"members": [
                    {"color_hex": "#b470b3", "color_weight": 0.5},
                    {"color_hex": "#ffffff"}
                ]}
            })
        );
        assert_eq!(payloads[2]["resolution"], "RESOLUTION_1024_1024");
        assert_eq!(payloads[2]["style_type"], "DESIGN");
        assert_eq!(payloads[3]["magic_prompt_option"], "OFF");
        // Bytes go as a data: URI until the client uploads them.
        let image = payloads[3]["image_file"].as_str().unwrap_or_default();
        assert!(image.starts_with("data:image/png;base64,"), "{image}");
        assert_eq!(
            payloads[4],
            json!({
                "image": "https://example.com/photo.jpg",
                "resolution": "1280x800",
                "rendering_speed": "TURBO",
                "style_reference_images": ["https://example.com/style.png"]
            })
        );
        Ok(())
    }

    #[test]
    fn a_value_that_breaks_the_spec_is_an_error_at_its_question_mark() {
        assert_eq!(
            Seed::new(5).unwrap_err().to_string(),
            "invalid Seed: must be at least 100"
        );
        assert!(V2Resolution::from_size(1280, 721).is_err());
        assert!(ColorPalette::parse("PASTELL").is_err());
        assert!(ColorPalette::parse(&"#ffffff,".repeat(9)).is_err());
    }
}
