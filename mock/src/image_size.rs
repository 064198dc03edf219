//! Width and height of a PNG, JPEG or WebP from its header, for endpoints
//! whose output follows the size of an input image. Reads only what the
//! header holds, with every index checked: any bytes give a size or `None`,
//! never a panic.

/// The pixel size `bytes` declare, when they are a PNG, JPEG or WebP whose
/// header says one.
pub(crate) fn image_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let size = png(bytes).or_else(|| jpeg(bytes)).or_else(|| webp(bytes))?;
    (size.0 > 0 && size.1 > 0).then_some(size)
}

fn be16(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(2)?)?;
    Some(u32::from(u16::from_be_bytes([b[0], b[1]])))
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn le(bytes: &[u8], at: usize, len: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(len)?)?;
    Some(
        b.iter()
            .rev()
            .fold(0, |n, &byte| (n << 8) | u32::from(byte)),
    )
}

/// The signature, then the IHDR chunk: width and height, big-endian.
fn png(bytes: &[u8]) -> Option<(u32, u32)> {
    let header = bytes.get(..16)?;
    if header[..8] != *b"\x89PNG\r\n\x1a\n" || header[12..16] != *b"IHDR" {
        return None;
    }
    Some((be32(bytes, 16)?, be32(bytes, 20)?))
}

/// The segments up to a start-of-frame (SOF0–SOF15 but DHT, JPG and DAC),
/// which holds the height, then the width.
fn jpeg(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.get(..2)? != [0xff, 0xd8] {
        return None;
    }
    let mut at = 2;
    loop {
        // Fill bytes (0xff) may precede a marker.
        while *bytes.get(at)? == 0xff && *bytes.get(at + 1)? == 0xff {
            at += 1;
        }
        if *bytes.get(at)? != 0xff {
            return None;
        }
        let marker = *bytes.get(at + 1)?;
        let length = usize::try_from(be16(bytes, at + 2)?).ok()?;
        if matches!(marker, 0xc0..=0xcf) && !matches!(marker, 0xc4 | 0xc8 | 0xcc) {
            return Some((be16(bytes, at + 7)?, be16(bytes, at + 5)?));
        }
        if length < 2 {
            return None;
        }
        at = at.checked_add(2 + length)?;
    }
}

/// `RIFF....WEBP`, then the first chunk: lossy (`VP8 `), lossless
/// (`VP8L`) or extended (`VP8X`).
fn webp(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.get(..4)? != b"RIFF" || bytes.get(8..12)? != b"WEBP" {
        return None;
    }
    match bytes.get(12..16)? {
        b"VP8 " => {
            // The frame tag (3 bytes) and start code, then 14-bit sizes.
            if bytes.get(23..26)? != [0x9d, 0x01, 0x2a] {
                return None;
            }
            Some((le(bytes, 26, 2)? & 0x3fff, le(bytes, 28, 2)? & 0x3fff))
        }
        b"VP8L" => {
            if *bytes.get(20)? != 0x2f {
                return None;
            }
            let bits = le(bytes, 21, 4)?;
            Some(((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1))
        }
        b"VP8X" => Some((le(bytes, 24, 3)? + 1, le(bytes, 27, 3)? + 1)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_png_header_gives_its_size() {
        let png = crate::picture::Pictures::default().png(7, 40, 30);
        assert_eq!(image_size(&png), Some((40, 30)));
    }

    #[test]
    fn jpeg_frames_give_height_then_width() {
        // SOI, an APP0 segment to skip, then SOF0: 200 high, 300 wide.
        let mut jpeg = vec![0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0xaa, 0xbb];
        jpeg.extend([0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0xc8, 0x01, 0x2c, 0x03]);
        assert_eq!(image_size(&jpeg), Some((300, 200)));
        // A Huffman table (0xc4) is no frame.
        jpeg[9] = 0xc4;
        assert_eq!(image_size(&jpeg), None);
    }

    #[test]
    fn the_three_webp_layouts_give_their_size() {
        let riff = |chunk: &[u8], body: &[u8]| {
            let mut bytes = b"RIFF\0\0\0\0WEBP".to_vec();
            bytes.extend(chunk);
            bytes.extend([0u8; 4]);
            bytes.extend(body);
            bytes
        };
        let lossy = riff(
            b"VP8 ",
            &[0, 0, 0, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00],
        );
        assert_eq!(image_size(&lossy), Some((320, 240)));
        // 14 bits each, minus one: 100 x 50.
        let bits: u32 = 99 | (49 << 14);
        let mut lossless = vec![0x2f];
        lossless.extend(bits.to_le_bytes());
        assert_eq!(image_size(&riff(b"VP8L", &lossless)), Some((100, 50)));
        let extended = riff(b"VP8X", &[0, 0, 0, 0, 0xff, 0x03, 0, 0x7f, 0x02, 0]);
        assert_eq!(image_size(&extended), Some((1024, 640)));
    }

    #[test]
    fn any_bytes_give_a_size_or_none_never_a_panic() {
        let mut rng = fastrand::Rng::with_seed(16);
        let heads: [&[u8]; 4] = [
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
            &[0xff, 0xd8, 0xff],
            b"RIFF\0\0\0\0WEBPVP8X",
            b"RIFF\0\0\0\0WEBPVP8L",
        ];
        for i in 0..20_000 {
            let mut bytes = heads[i % heads.len()].to_vec();
            bytes.extend((0..rng.usize(0..40)).map(|_| rng.u8(..)));
            bytes.truncate(rng.usize(0..=bytes.len()));
            if let Some((w, h)) = image_size(&bytes) {
                assert!(w > 0 && h > 0);
            }
        }
        assert_eq!(image_size(&[]), None);
        assert_eq!(image_size(&[0xff, 0xd8, 0xff, 0xff, 0xff]), None);
    }
}
