//! A width and height that no value of a size enum names
//! (`V2Resolution::from_size(1000, 1000)`), with the nearest that exist.

use std::fmt;

use super::violation::{InvalidValue, ParseEnumError};

/// No value of a size enum names this width and height. Says which come
/// nearest (the same aspect ratio first, then the nearest area).
///
/// ```
/// use segmind_ideogram::V3Resolution;
///
/// let error = V3Resolution::from_size(1000, 1000).unwrap_err();
/// assert_eq!(error.nearest()[0], "1024x1024");
/// assert!(error.to_string().starts_with("no value of V3Resolution is 1000x1000; the nearest: 1024x1024"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SizeError {
    /// The enum's Rust type name.
    pub type_name: &'static str,
    /// The width asked for, in pixels.
    pub width: u32,
    /// The height asked for, in pixels.
    pub height: u32,
    /// Every value of the enum.
    pub values: &'static [&'static str],
    /// The size each value names, in the order of `values`.
    pub sizes: &'static [(u32, u32)],
}

impl SizeError {
    /// `width` × `height` is none of `sizes`, the sizes of `values`.
    pub const fn new(
        type_name: &'static str,
        width: u32,
        height: u32,
        values: &'static [&'static str],
        sizes: &'static [(u32, u32)],
    ) -> Self {
        Self {
            type_name,
            width,
            height,
            values,
            sizes,
        }
    }

    /// The values of the nearest sizes, nearest first (at most three).
    pub fn nearest(&self) -> Vec<&'static str> {
        self.as_parse_error().closest
    }

    fn as_parse_error(&self) -> ParseEnumError {
        ParseEnumError::of_size(
            self.type_name,
            &format!("{}x{}", self.width, self.height),
            self.values,
            self.sizes,
        )
    }
}

impl fmt::Display for SizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no value of {} is {}x{}",
            self.type_name, self.width, self.height
        )?;
        let nearest = self.nearest();
        if !nearest.is_empty() {
            write!(f, "; the nearest: {}", nearest.join(", "))?;
        }
        Ok(())
    }
}

impl std::error::Error for SizeError {}

impl From<SizeError> for ParseEnumError {
    fn from(error: SizeError) -> Self {
        error.as_parse_error()
    }
}

impl From<SizeError> for InvalidValue {
    fn from(error: SizeError) -> Self {
        ParseEnumError::from(error).into()
    }
}
