//! Answer bodies: read as a stream against a cap (never an unbounded
//! `bytes()`), and server text made safe to keep: the key is redacted on the
//! whole text before anything is cut or formatted.

use std::borrow::Cow;

use bytes::{Bytes, BytesMut};

use crate::api_key::ApiKey;

/// How many bytes of an unexpected body an error keeps.
pub(crate) const BODY_PREFIX_LIMIT: usize = 512;

/// The most read of an error answer's body: enough for any message, and an
/// error status needs no more.
pub(crate) const ERROR_BODY_LIMIT: u64 = 64 * 1024;

/// What to do with a body longer than its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Overflow {
    /// Stop reading and fail: the body is the answer, and a cut one is useless.
    Fail,
    /// Keep the first `cap` bytes: enough to explain an error status.
    Truncate,
}

/// Why a body could not be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// Past the cap (with [`Overflow::Fail`]).
    TooLarge,
    /// The connection failed mid-body.
    Transport(reqwest::Error),
}

/// A body read whole, or its first `cap` bytes.
#[derive(Debug)]
pub(crate) struct Body {
    pub bytes: Bytes,
    pub truncated: bool,
}

/// Reads `response`'s body, chunk by chunk, never holding more than `cap`
/// bytes of it. A declared length over the cap fails before reading.
pub(crate) async fn read(
    response: &mut reqwest::Response,
    cap: u64,
    overflow: Overflow,
) -> Result<Body, ReadError> {
    let declared = response.content_length();
    if overflow == Overflow::Fail && declared.is_some_and(|len| len > cap) {
        return Err(ReadError::TooLarge);
    }
    let cap = usize::try_from(cap).unwrap_or(usize::MAX);
    // Chunks are kept as they come and joined once at the end, as `bytes()`
    // does. (Sizing one buffer up front from Content-Length was measured
    // 1.2x slower at 64 concurrent bodies: page faults on the fresh pages.)
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut total = 0usize;
    let mut truncated = false;
    while let Some(chunk) = response.chunk().await.map_err(ReadError::Transport)? {
        let room = cap - total;
        let chunk = if chunk.len() > room {
            if overflow == Overflow::Fail {
                return Err(ReadError::TooLarge);
            }
            truncated = true;
            chunk.slice(..room)
        } else {
            chunk
        };
        total += chunk.len();
        chunks.push(chunk);
        if truncated {
            break;
        }
    }
    Ok(Body {
        bytes: join(chunks, total),
        truncated,
    })
}

fn join(mut chunks: Vec<Bytes>, total: usize) -> Bytes {
    if chunks.len() == 1 {
        return chunks.pop().unwrap_or_default();
    }
    let mut joined = BytesMut::with_capacity(total);
    for chunk in &chunks {
        joined.extend_from_slice(chunk);
    }
    joined.freeze()
}

/// `body` with every occurrence of the key replaced by `***`. When the body
/// was cut, a tail that could be the start of the key goes too, so that no
/// piece of the key survives the cut.
pub(crate) fn redact<'b>(key: &ApiKey, body: &'b [u8], truncated: bool) -> Cow<'b, [u8]> {
    redact_as(key, body, truncated, true)
}

/// [`redact`] of the whole key only (not its pieces), for a successful
/// answer that is parsed, not shown: a piece of the key met by chance in
/// an image's base64 must not change the image. What parsing keeps and
/// shows goes through [`redact_text`].
pub(crate) fn redact_whole<'b>(key: &ApiKey, body: &'b [u8], truncated: bool) -> Cow<'b, [u8]> {
    redact_as(key, body, truncated, false)
}

fn redact_as<'b>(key: &ApiKey, body: &'b [u8], truncated: bool, pieces: bool) -> Cow<'b, [u8]> {
    let secret = key.expose_secret().as_bytes();
    if secret.len() < 4 {
        // Too short to search for without mangling ordinary text.
        return Cow::Borrowed(body);
    }
    let mut out: Cow<'b, [u8]> = if pieces && secret.len() >= FRAGMENT {
        redact_fragments(body, secret)
    } else {
        match std::str::from_utf8(body) {
            Ok(text) if !text.contains(key.expose_secret()) => Cow::Borrowed(body),
            Ok(text) => Cow::Owned(text.replace(key.expose_secret(), "***").into_bytes()),
            Err(_) => replace_bytes(body, secret),
        }
    };
    if truncated {
        let keep = out.len() - partial_key_tail(&out, secret);
        match &mut out {
            Cow::Borrowed(slice) => *slice = &slice[..keep],
            Cow::Owned(vec) => vec.truncate(keep),
        }
    }
    out
}

/// `text` decoded from server JSON with the key redacted again: an escaped
/// key (`\u0041…`) survives the redaction of the raw body and reappears
/// when the JSON is decoded.
pub(crate) fn redact_text(key: &ApiKey, text: String) -> String {
    match redact(key, text.as_bytes(), false) {
        Cow::Borrowed(_) => text,
        Cow::Owned(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// The shortest piece of a key that is redacted on its own: a server that
/// echoes part of the key (a prefix in "bad key sk-…") must not have it
/// printed either.
const FRAGMENT: usize = 8;

/// `body` with every run of at least [`FRAGMENT`] bytes that is a piece of
/// `secret` replaced by `***` (the whole key included). Runs are found
/// through the key's 8-byte windows, so a long body costs one hash look-up
/// a byte.
fn redact_fragments<'b>(body: &'b [u8], secret: &[u8]) -> Cow<'b, [u8]> {
    let windows: std::collections::HashSet<&[u8]> = secret.windows(FRAGMENT).collect();
    // The longest piece of `secret` that `at` starts with, if any.
    let piece_at = |at: &[u8]| -> usize {
        if at.len() < FRAGMENT || !windows.contains(&at[..FRAGMENT]) {
            return 0;
        }
        (0..=secret.len() - FRAGMENT)
            .map(|start| {
                secret[start..]
                    .iter()
                    .zip(at)
                    .take_while(|(a, b)| a == b)
                    .count()
            })
            .max()
            .unwrap_or(0)
    };
    let Some(first) = (0..body.len()).find(|&i| piece_at(&body[i..]) >= FRAGMENT) else {
        return Cow::Borrowed(body);
    };
    let mut out = Vec::with_capacity(body.len());
    out.extend_from_slice(&body[..first]);
    let mut i = first;
    while i < body.len() {
        let piece = piece_at(&body[i..]);
        if piece >= FRAGMENT {
            out.extend_from_slice(b"***");
            i += piece;
        } else {
            out.push(body[i]);
            i += 1;
        }
    }
    Cow::Owned(out)
}

/// Byte-wise replacement, for bodies that are not UTF-8.
fn replace_bytes<'b>(body: &'b [u8], secret: &[u8]) -> Cow<'b, [u8]> {
    let Some(first) = body.windows(secret.len()).position(|w| w == secret) else {
        return Cow::Borrowed(body);
    };
    let mut out = Vec::with_capacity(body.len());
    out.extend_from_slice(&body[..first]);
    let mut rest = &body[first..];
    while !rest.is_empty() {
        if rest.starts_with(secret) {
            out.extend_from_slice(b"***");
            rest = &rest[secret.len()..];
        } else {
            out.push(rest[0]);
            rest = &rest[1..];
        }
    }
    Cow::Owned(out)
}

/// The length of the longest tail of `text` that is a proper prefix of
/// `secret`.
fn partial_key_tail(text: &[u8], secret: &[u8]) -> usize {
    (1..secret.len())
        .rev()
        .find(|n| text.ends_with(&secret[..*n]))
        .unwrap_or(0)
}

/// The first [`BODY_PREFIX_LIMIT`] bytes of an already redacted `body` as
/// text, cut on a character boundary.
pub(crate) fn prefix(body: &[u8]) -> String {
    let cut = &body[..body.len().min(BODY_PREFIX_LIMIT)];
    let mut text = String::from_utf8_lossy(cut).into_owned();
    // A multi-byte character split by the cut decodes as U+FFFD; drop it.
    if body.len() > BODY_PREFIX_LIMIT && text.ends_with('\u{FFFD}') {
        text.pop();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_is_bounded_and_valid_utf8() {
        let body = "é".repeat(600);
        let text = prefix(body.as_bytes());
        assert!(text.len() <= BODY_PREFIX_LIMIT);
        assert!(text.chars().all(|c| c == 'é'));
    }

    #[test]
    fn the_key_is_redacted_before_any_cut() {
        let key = ApiKey::new("sk-CANARY-0123456789");
        let mut body = "x".repeat(505).into_bytes();
        body.extend_from_slice(key.expose_secret().as_bytes());
        let text = prefix(&redact(&key, &body, false));
        assert!(text.ends_with("***"), "{text}");
        for piece in key.expose_secret().as_bytes().windows(4) {
            let piece = std::str::from_utf8(piece).unwrap();
            assert!(!text.contains(piece), "{piece} leaked in {text}");
        }
    }

    #[test]
    fn a_cut_through_the_key_drops_its_start() {
        let key = ApiKey::new("sk-CANARY-0123456789");
        let body = b"error for sk-CANARY-01";
        // Eight bytes or more of the key go, cut or not.
        assert_eq!(&*redact(&key, body, true), b"error for ***");
        assert_eq!(&*redact(&key, body, false), b"error for ***");
        // A shorter start of it at a cut goes too.
        assert_eq!(&*redact(&key, b"error for sk-CA", true), b"error for ");
        assert_eq!(
            &*redact(&key, b"error for sk-CA", false),
            b"error for sk-CA"
        );
    }

    #[test]
    fn pieces_of_the_key_are_redacted_too() {
        let key = ApiKey::new("sk-SECRETKEY123456");
        let body = b"bad key sk-SECRETKEY12 given; the key: sk-SECRETKEY123456; sk-SEC ok";
        assert_eq!(
            &*redact(&key, body, false),
            b"bad key *** given; the key: ***; sk-SEC ok"
        );
        assert_eq!(
            redact_text(&key, "tail EY123456.".into()),
            "tail ***.",
            "a suffix of eight bytes"
        );
        // Parsing a success sees pieces as they are: only the whole key goes.
        assert_eq!(
            &*redact_whole(&key, body, false),
            b"bad key sk-SECRETKEY12 given; the key: ***; sk-SEC ok"
        );
    }

    #[test]
    fn binary_bodies_are_redacted_bytewise() {
        let key = ApiKey::new("secret-key");
        let body = b"\xff\xfe secret-key \xff secret-key";
        assert_eq!(&*redact(&key, body, false), b"\xff\xfe *** \xff ***");
        assert!(matches!(
            redact(&key, b"\xff nothing", false),
            Cow::Borrowed(_)
        ));
    }
}
