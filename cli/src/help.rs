//! What `--help` and the man pages say about an endpoint and its flags,
//! from the registry and the generated types: the queue by default, local
//! images uploaded to Segmind's storage, each range once, every value of a
//! short choice, the palette's forms with examples.

use segmind_ideogram::{
    ColorWeight, CustomColorPalette, EndpointInfo, FieldInfo, FieldShape, ImageFormat,
    MAX_INPUT_IMAGE_BYTES, PalettePresetName,
};

use crate::payload::estimated_cost;

/// Choice lists longer than this are not spelled out in `--help`.
pub const LONG_CHOICE: usize = 12;

/// The long description of an endpoint's subcommand.
pub fn endpoint_about(info: &EndpointInfo) -> String {
    let mut text = format!("{}\n\n{}", info.title, info.summary);
    text.push_str(
        "\n\nThe request goes through Segmind's queue (v2): the job id is printed as soon as \
         Segmind accepts it, the job is followed, and its image is saved; if anything \
         interrupts that, `ideogram jobs wait ID` fetches the paid image. --sync makes one \
         synchronous call (v1) instead, answered with the image.",
    );
    let cost = estimated_cost(info);
    let mut chars = cost.chars();
    let cost: String = chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    text.push_str(&format!("\n\n{cost}"));
    if let Some(seconds) = info.typical_latency_secs {
        text.push_str(&format!("; typical time: {seconds:.1} s"));
    }
    text.push('.');
    if let Some(note) = info.note {
        text.push(' ');
        text.push_str(note);
    }
    text
}

/// The help of `--out` of an endpoint's subcommand.
pub fn out_help(name: &str) -> String {
    format!(
        "Where to save the image; the extension follows the real format (a PNG asked as \
         `out.jpg` is saved as `out.png`) [default: {name}-<JOB_ID>.png, a name of its own per job]"
    )
}

/// The help of one request member's flag.
pub fn field_help(field: &FieldInfo) -> String {
    let mut help = field.doc.trim_end_matches('.').to_owned();
    let shape = match field.shape {
        FieldShape::List(inner) => inner,
        ref shape => shape,
    };
    match shape {
        FieldShape::Integer { min, max } => help.push_str(&range(*min, *max)),
        FieldShape::Choice(values) => help.push_str(&choices(field, values)),
        FieldShape::Uri => help.push_str(&image_forms()),
        FieldShape::Json => help.push_str(&palette_forms()),
        _ => {}
    }
    help.push('.');
    if let Some(default) = field.default {
        help.push_str(&format!(" [server default: {default}]"));
    }
    if matches!(field.shape, FieldShape::List(_)) {
        help.push_str(" (repeat the flag for several)");
    }
    if field.required {
        help.push_str(" (required unless given in --json)");
    }
    help
}

/// ` (100 to 999999)`: the range, once.
fn range(min: Option<i64>, max: Option<i64>) -> String {
    match (min, max) {
        (Some(lo), Some(hi)) => format!(" ({lo} to {hi})"),
        (Some(lo), None) => format!(" (at least {lo})"),
        (None, Some(hi)) => format!(" (at most {hi})"),
        (None, None) => String::new(),
    }
}

/// A long choice is counted and pointed to (clap lists a short one); a
/// member of sizes says that either spelling of a size is taken.
fn choices(field: &FieldInfo, values: &[&str]) -> String {
    if values.len() <= LONG_CHOICE {
        return String::new();
    }
    let list = format!("see `ideogram list {}s`", field.name);
    let example = field.default.unwrap_or(values[0]);
    match field.sizes.and_then(|sizes| {
        let i = values.iter().position(|v| *v == example)?;
        Some(sizes[i])
    }) {
        Some((width, height)) if example != format!("{width}x{height}") => format!(
            ": one of {} sizes, as `{example}` or `{width}x{height}`; {list}",
            values.len()
        ),
        _ => format!(": one of {} values, e.g. `{example}`; {list}", values.len()),
    }
}

/// What an image member takes.
fn image_forms() -> String {
    let formats: Vec<String> = ImageFormat::ALL.iter().map(ToString::to_string).collect();
    format!(
        " (a URL, or a local {} file of at most {} MB, uploaded to Segmind's storage when the \
         request is sent; --inline-images sends it inline as a data: URI instead)",
        or_list(&formats),
        MAX_INPUT_IMAGE_BYTES / 1_000_000
    )
}

/// What a palette member takes, with examples.
pub fn palette_forms() -> String {
    let members = CustomColorPalette::MEMBERS_LEN;
    format!(
        ": a preset ({}; `ideogram list palettes`), or {} to {} colours as #hex[:weight] \
         separated by commas, weights {} to {} (e.g. PASTEL, or '#b470b3:0.5,#ffffff'), or the \
         JSON object",
        PalettePresetName::VALUES.join(", "),
        members.start(),
        members.end(),
        ColorWeight::MIN,
        ColorWeight::MAX
    )
}

/// `a, b or c`.
fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use segmind_ideogram::ENDPOINTS;

    #[test]
    fn each_range_is_said_once() {
        for info in ENDPOINTS {
            for field in info.fields {
                if let FieldShape::Integer {
                    min: Some(lo),
                    max: Some(hi),
                } = field.shape
                {
                    let help = field_help(field);
                    // Each bound, as a whole number, once.
                    let numbers: Vec<&str> = help
                        .split(|c: char| !c.is_ascii_digit())
                        .filter(|n| !n.is_empty())
                        .collect();
                    for bound in [lo, hi] {
                        let times = numbers.iter().filter(|n| **n == bound.to_string()).count();
                        assert_eq!(times, 1, "{bound} in {help}");
                    }
                }
            }
        }
    }

    #[test]
    fn lists_read_as_prose() {
        let items = ["PNG", "JPEG", "WebP"].map(String::from);
        assert_eq!(or_list(&items), "PNG, JPEG or WebP");
        assert_eq!(or_list(&items[..1]), "PNG");
    }
}
