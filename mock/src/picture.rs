//! Deterministic pictures: the same prompt, seed and size always give the
//! same PNG, so tests can compare bytes. Encoded once and cached, because
//! a 1024×1024 PNG costs milliseconds and a mock should answer in micro.

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::Bytes;

/// Largest number of encoded pictures kept.
const CACHE_ENTRIES: usize = 64;

#[derive(Default)]
pub(crate) struct Pictures {
    cache: Mutex<HashMap<(u64, u32, u32), Bytes>>,
}

impl Pictures {
    /// The PNG for `key` (a hash of prompt and seed) at `width`×`height`.
    pub fn png(&self, key: u64, width: u32, height: u32) -> Bytes {
        let cache_key = (key, width, height);
        if let Some(hit) = self.lock().get(&cache_key) {
            return hit.clone();
        }
        let png = render(key, width, height);
        let mut cache = self.lock();
        if cache.len() >= CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(cache_key, png.clone());
        png
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(u64, u32, u32), Bytes>> {
        // A panic while holding the lock leaves a valid map; keep serving.
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A diagonal gradient between two colours taken from `key`, with bands
/// whose width also comes from `key`. A pixel's colour depends only on
/// `x + y`, so each row is a window of one diagonal palette.
fn render(key: u64, width: u32, height: u32) -> Bytes {
    let rgb = pixels(key, width, height);
    let mut out = Vec::with_capacity(rgb.len() / 4);
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fastest);
    let written = encoder
        .write_header()
        .and_then(|mut writer| writer.write_image_data(&rgb));
    // Encoding into memory with a consistent header cannot fail.
    written.expect("in-memory PNG encoding");
    Bytes::from(out)
}

/// The RGB bytes of [`render`]'s picture, row by row.
fn pixels(key: u64, width: u32, height: u32) -> Vec<u8> {
    let [r0, g0, b0, r1, g1, b1, band, _] = key.to_le_bytes();
    let band = u32::from(band % 48) + 16;
    let (w, h) = (width as usize, height as usize);
    let span = (width + height).max(1);
    let diagonals = (width + height).saturating_sub(1);
    let palette: Vec<u8> = (0..diagonals)
        .flat_map(|d| {
            let t = d * 255 / span;
            let stripe = if (d / band) % 2 == 0 { 0 } else { 24 };
            let mix = |a: u8, b: u8| {
                let v = (u32::from(a) * (255 - t) + u32::from(b) * t) / 255;
                u8::try_from(v.saturating_sub(stripe)).unwrap_or(u8::MAX)
            };
            [mix(r0, r1), mix(g0, g1), mix(b0, b1)]
        })
        .collect();
    let mut rgb = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        rgb.extend_from_slice(&palette[y * 3..(y + w) * 3]);
    }
    rgb
}

/// FNV-1a: a stable hash, unlike `DefaultHasher`, so pictures stay the
/// same across Rust versions.
pub(crate) fn stable_hash(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in *part {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        hash ^= 0xff;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_are_real_deterministic_pngs_of_the_size_asked() {
        let pictures = Pictures::default();
        let a = pictures.png(stable_hash(&[b"panda", b"42"]), 64, 48);
        let b = pictures.png(stable_hash(&[b"panda", b"42"]), 64, 48);
        let c = pictures.png(stable_hash(&[b"panda", b"43"]), 64, 48);
        assert_eq!(a, b);
        assert_ne!(a, c);
        let decoder = png::Decoder::new(std::io::Cursor::new(a.to_vec()));
        let reader = decoder.read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), (64, 48));
    }

    /// The colours pixel by pixel, as first written: the palette rows must
    /// give the same picture.
    fn per_pixel(key: u64, width: u32, height: u32) -> Vec<u8> {
        let [r0, g0, b0, r1, g1, b1, band, _] = key.to_le_bytes();
        let band = u32::from(band % 48) + 16;
        let span = (width + height).max(1);
        let mut rgb = Vec::new();
        for y in 0..height {
            for x in 0..width {
                let t = (x + y) * 255 / span;
                let stripe = if ((x + y) / band) % 2 == 0 { 0 } else { 24 };
                let mix = |a: u8, b: u8| {
                    let v = (u32::from(a) * (255 - t) + u32::from(b) * t) / 255;
                    u8::try_from(v.saturating_sub(stripe)).unwrap_or(u8::MAX)
                };
                rgb.extend([mix(r0, r1), mix(g0, g1), mix(b0, b1)]);
            }
        }
        rgb
    }

    #[test]
    fn palette_rows_paint_the_same_picture_as_pixel_by_pixel() {
        for (key, width, height) in [(1, 1, 1), (42, 64, 48), (u64::MAX, 37, 211), (7, 300, 2)] {
            let key = stable_hash(&[&u64::to_le_bytes(key)]);
            assert_eq!(
                pixels(key, width, height),
                per_pixel(key, width, height),
                "{width}x{height}"
            );
        }
    }
}
