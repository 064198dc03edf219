//! The size of the picture the mock paints for a request, from what the
//! request says of it (`output_size()`): its pixels; an aspect ratio at a
//! base size; the size of the input image it names (read from the mock's
//! storage or a `data:` URI); or, when it cannot know, a square.

use segmind_ideogram::OutputSize;
use serde_json::Value;

use crate::state::State;

/// The longer side of a picture painted for an aspect ratio (`16x9` is
/// 1024 × 576), and the side of the square painted for Segmind's unstated
/// default or for an input image the mock cannot read (a URL elsewhere).
pub const BASE_SIDE: u32 = 1024;

/// The longest side painted for an input image's size: a larger input is
/// scaled down to it, keeping its ratio.
pub const MAX_SIDE: u32 = 4096;

/// Width and height of the picture for a request that says `size` of its
/// output (and was sent as `body`).
pub(crate) fn picture_size(state: &State, size: OutputSize, body: &Value) -> (u32, u32) {
    match size {
        OutputSize::Pixels { width, height } => (width, height),
        OutputSize::Ratio { width, height } => at_longer_side((width, height), BASE_SIDE),
        OutputSize::FollowsInput { member } => body
            .get(member)
            .and_then(Value::as_str)
            .and_then(|image| input_size(state, image))
            .map_or((BASE_SIDE, BASE_SIDE), |size| {
                let longer = size.0.max(size.1);
                if longer > MAX_SIDE {
                    at_longer_side(size, MAX_SIDE)
                } else {
                    size
                }
            }),
        // `OutputSize` may grow; an unknown kind is painted like a default.
        _ => (BASE_SIDE, BASE_SIDE),
    }
}

/// `ratio` scaled so its longer side is `side` (the other at least 1).
fn at_longer_side((width, height): (u32, u32), side: u32) -> (u32, u32) {
    let scale = |short: u32, long: u32| {
        let scaled = u64::from(side) * u64::from(short) / u64::from(long.max(1));
        u32::try_from(scaled).unwrap_or(side).clamp(1, side)
    };
    if width >= height {
        (side, scale(height, width))
    } else {
        (scale(width, height), side)
    }
}

/// The size of an input image the mock holds: a `data:` URI, or a file of
/// its storage (`{base}/files/{name}`).
fn input_size(state: &State, image: &str) -> Option<(u32, u32)> {
    let bytes = match crate::account::decode_image(image) {
        Some((_, bytes)) => bytes,
        None => {
            let name = image.strip_prefix(&format!("{}/files/", state.base_url))?;
            state.stored(name)?.1
        }
    };
    crate::image_size::image_size(&bytes)
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use serde_json::json;

    use super::*;
    use crate::config::MockConfig;
    use crate::picture::Pictures;

    const BASE: &str = "http://127.0.0.1:1";

    fn state() -> State {
        State::new(MockConfig::default(), BASE.into())
    }

    #[test]
    fn pixels_ratios_and_unstated_defaults() {
        let (state, body) = (state(), json!({}));
        let size = |size| picture_size(&state, size, &body);
        assert_eq!(
            size(OutputSize::Pixels {
                width: 640,
                height: 480
            }),
            (640, 480)
        );
        assert_eq!(
            size(OutputSize::Ratio {
                width: 9,
                height: 16
            }),
            (576, 1024)
        );
        assert_eq!(size(OutputSize::ServerDefault), (BASE_SIDE, BASE_SIDE));
    }

    #[test]
    fn an_input_image_lends_its_size_from_storage_or_a_data_uri() {
        let state = state();
        let png = Pictures::default().png(1, 300, 200);
        state.store("in.png".into(), "image/png", png.clone());
        let follows = OutputSize::FollowsInput { member: "image" };
        let size = |image: &str| picture_size(&state, follows, &json!({ "image": image }));
        assert_eq!(size(&format!("{BASE}/files/in.png")), (300, 200));
        let inline = format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(&png)
        );
        assert_eq!(size(&inline), (300, 200));
        // What the mock cannot read is painted as its square.
        for unknown in [
            "https://example.com/in.png".to_owned(),
            format!("{BASE}/files/gone.png"),
            "data:image/png;base64,AAAA".to_owned(),
        ] {
            assert_eq!(size(&unknown), (BASE_SIDE, BASE_SIDE), "{unknown}");
        }
        let missing = picture_size(&state, follows, &json!({}));
        assert_eq!(missing, (BASE_SIDE, BASE_SIDE));
    }

    #[test]
    fn a_huge_input_is_painted_at_most_max_side_long() {
        let state = state();
        // A PNG header claiming 100000 x 50000 pixels: only the header is read.
        let mut header = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        header.extend(100_000u32.to_be_bytes());
        header.extend(50_000u32.to_be_bytes());
        state.store("huge.png".into(), "image/png", header.into());
        let body = json!({ "image": format!("{BASE}/files/huge.png") });
        let follows = OutputSize::FollowsInput { member: "image" };
        assert_eq!(
            picture_size(&state, follows, &body),
            (MAX_SIDE, MAX_SIDE / 2)
        );
    }

    #[test]
    fn ratios_are_painted_at_the_base_longer_side() {
        assert_eq!(at_longer_side((16, 9), BASE_SIDE), (1024, 576));
        assert_eq!(at_longer_side((1, 3), BASE_SIDE), (341, 1024));
        assert_eq!(at_longer_side((1, 1), BASE_SIDE), (1024, 1024));
        assert_eq!(at_longer_side((u32::MAX, 1), BASE_SIDE), (1024, 1));
        assert_eq!(at_longer_side((0, 0), BASE_SIDE), (1024, 1));
        assert_eq!(at_longer_side((8000, 6000), MAX_SIDE), (4096, 3072));
    }
}
