//! Which values come closest to one that is not a value: similar
//! spellings (`PASTELL` → `PASTEL`), or for a member whose values name
//! sizes, the nearest sizes (`1000x1000` → `1024x1024`). What a mistake's
//! message suggests, the way clap suggests a similar flag.

/// The most values suggested.
const MOST: usize = 3;

/// Values spelled like `found` (any case), closest first.
pub(crate) fn by_spelling(found: &str, values: &'static [&'static str]) -> Vec<&'static str> {
    let found = found.to_ascii_uppercase();
    // A typo's worth of edits: one in a short word, more in a long one.
    let allowed = (found.chars().count() / 3).max(1);
    let mut scored: Vec<(usize, usize, &'static str)> = values
        .iter()
        .enumerate()
        .filter_map(|(i, value)| {
            let d = distance(&found, &value.to_ascii_uppercase());
            (d <= allowed).then_some((d, i, *value))
        })
        .collect();
    scored.sort_unstable();
    scored.into_iter().take(MOST).map(|(_, _, v)| v).collect()
}

/// The values whose sizes come nearest the size `found` names (its two
/// numbers, in any spelling): the same aspect ratio first, then the
/// nearest area. `None` when `found` does not name a size.
pub(crate) fn by_size(
    found: &str,
    values: &'static [&'static str],
    sizes: &'static [(u32, u32)],
) -> Option<Vec<&'static str>> {
    let (width, height) = size_in(found)?;
    if width == 0 || height == 0 {
        return None;
    }
    let ratio = |w: u32, h: u32| (f64::from(w) / f64::from(h)).ln();
    let area = |w: u32, h: u32| (f64::from(w) * f64::from(h)).ln();
    let (want_ratio, want_area) = (ratio(width, height), area(width, height));
    let mut scored: Vec<(f64, usize)> = sizes
        .iter()
        .enumerate()
        .filter(|(_, (w, h))| *w > 0 && *h > 0)
        .map(|(i, &(w, h))| {
            // A ratio's distance weighs more than an area's: a 16:9 image
            // asked for should stay 16:9.
            let score = 4.0 * (ratio(w, h) - want_ratio).abs() + (area(w, h) - want_area).abs();
            (score, i)
        })
        .collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut nearest: Vec<&'static str> = Vec::new();
    for (_, i) in scored {
        if nearest.len() == MOST {
            break;
        }
        if let Some(value) = values.get(i).filter(|v| !nearest.contains(v)) {
            nearest.push(value);
        }
    }
    Some(nearest)
}

/// The value of `sizes` that names exactly the size `text` names, in any
/// spelling (`1024x768`, `1024×768`, `RESOLUTION_1024_768`, `1024_768`),
/// when one value and only one does.
pub(crate) fn exact_size(
    text: &str,
    values: &'static [&'static str],
    sizes: &'static [(u32, u32)],
) -> Option<&'static str> {
    let size = size_in(text)?;
    let mut matching = sizes
        .iter()
        .zip(values)
        .filter(|(s, _)| **s == size)
        .map(|(_, v)| *v);
    let first = matching.next()?;
    matching.next().is_none().then_some(first)
}

/// The two numbers of `text`, when it holds exactly two and nothing but
/// separators and letters around them.
fn size_in(text: &str) -> Option<(u32, u32)> {
    let numbers: Vec<&str> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    match numbers[..] {
        [w, h] => Some((w.parse().ok()?, h.parse().ok()?)),
        _ => None,
    }
}

/// Levenshtein distance, by characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRESETS: &[&str] = &["EMBER", "FRESH", "PASTEL", "ULTRAMARINE"];
    const VALUES: &[&str] = &["1024x1024", "1280x720", "720x1280", "512x512", "2048x2048"];
    const SIZES: &[(u32, u32)] = &[
        (1024, 1024),
        (1280, 720),
        (720, 1280),
        (512, 512),
        (2048, 2048),
    ];

    #[test]
    fn typos_find_their_value() {
        assert_eq!(by_spelling("PASTELL", PRESETS), ["PASTEL"]);
        assert_eq!(by_spelling("pastle", PRESETS), ["PASTEL"]);
        assert_eq!(by_spelling("ultramarin", PRESETS), ["ULTRAMARINE"]);
        assert!(by_spelling("NEON", PRESETS).is_empty());
        assert!(by_spelling("", PRESETS).is_empty());
    }

    #[test]
    fn sizes_find_the_nearest_of_the_same_shape() {
        assert_eq!(
            by_size("1000x1000", VALUES, SIZES).unwrap(),
            ["1024x1024", "512x512", "2048x2048"]
        );
        assert_eq!(by_size("1920x1080", VALUES, SIZES).unwrap()[0], "1280x720");
        assert_eq!(
            by_size("RESOLUTION_700_1300", VALUES, SIZES).unwrap()[0],
            "720x1280"
        );
        assert_eq!(by_size("big", VALUES, SIZES), None);
        assert_eq!(by_size("0x5", VALUES, SIZES), None);
        assert_eq!(by_size("99999999999x1", VALUES, SIZES), None);
    }

    #[test]
    fn a_size_in_any_spelling_is_its_value_when_only_one_names_it() {
        for text in ["1280x720", "RESOLUTION_1280_720", "1280 × 720", "1280_720"] {
            assert_eq!(exact_size(text, VALUES, SIZES), Some("1280x720"), "{text}");
        }
        assert_eq!(exact_size("1281x720", VALUES, SIZES), None);
        assert_eq!(exact_size("1280x720x3", VALUES, SIZES), None);
        const TWICE: &[(u32, u32)] = &[(1, 1), (1, 1)];
        assert_eq!(exact_size("1x1", &["A", "B"], TWICE), None);
    }
}
