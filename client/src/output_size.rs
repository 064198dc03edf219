//! What a request says about the size of the image it asks for. Segmind's
//! endpoints fix it in pixels, choose it by aspect ratio, follow an input
//! image, or leave it to a default the page does not state; the generated
//! `output_size()` of every request (and of `AnyRequest`) says which.

/// The size of the image a request asks for, as far as the request tells.
///
/// ```
/// use segmind_ideogram::{IdeogramTxt2ImgRequest, OutputSize, V2Resolution};
///
/// let request = IdeogramTxt2ImgRequest::new("a fox").resolution(V2Resolution::Resolution1280_720);
/// assert_eq!(request.output_size(), OutputSize::Pixels { width: 1280, height: 720 });
/// assert_eq!(request.output_size().pixels(), Some((1280, 720)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OutputSize {
    /// Exactly this many pixels.
    Pixels {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// This aspect ratio, width to height (`16:9` is 16 and 9); Segmind
    /// picks the pixels.
    Ratio {
        /// The ratio's width term.
        width: u32,
        /// The ratio's height term.
        height: u32,
    },
    /// The size of the input image in this request member.
    FollowsInput {
        /// The member's JSON name (`image`).
        member: &'static str,
    },
    /// The request does not say: Segmind's default, which its page does not
    /// state.
    ServerDefault,
}

impl OutputSize {
    /// Width and height in pixels, when the request fixes them.
    pub const fn pixels(self) -> Option<(u32, u32)> {
        match self {
            OutputSize::Pixels { width, height } => Some((width, height)),
            _ => None,
        }
    }
}
