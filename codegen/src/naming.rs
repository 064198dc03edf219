//! Rust names for spec names. Digit groups stay apart
//! (`RESOLUTION_512_1536` becomes `Resolution512_1536`, not `Resolution5121536`),
//! and anything that cannot become an identifier is reported, never mangled.

/// A PascalCase variant name for a wire value, or `None` when the value
/// yields no identifier (it starts with a digit and no prefix was given).
pub(crate) fn variant_ident(wire: &str, prefix: Option<&str>) -> Option<String> {
    let mut out = String::new();
    for word in wire.split(|c: char| !c.is_ascii_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        let ends_with_digit = out.chars().last().is_some_and(|c| c.is_ascii_digit());
        if ends_with_digit && word.starts_with(|c: char| c.is_ascii_digit()) {
            out.push('_');
        }
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars.map(|c| c.to_ascii_lowercase()));
        }
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out = format!("{}{out}", prefix?);
    }
    is_ident(&out).then_some(out)
}

/// The snake_case Rust name of a JSON member, escaped if it is a keyword.
pub(crate) fn field_ident(wire: &str) -> Option<String> {
    let mut out = String::new();
    for (i, c) in wire.chars().enumerate() {
        match c {
            'A'..='Z' => {
                if i > 0 && !out.ends_with('_') {
                    out.push('_');
                }
                out.push(c.to_ascii_lowercase());
            }
            'a'..='z' | '0'..='9' | '_' => out.push(c),
            '-' | '.' | ' ' => out.push('_'),
            _ => return None,
        }
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    if matches!(out.as_str(), "self" | "crate" | "super") {
        return None;
    }
    if is_keyword(&out) {
        out = format!("r#{out}");
    }
    is_ident(out.trim_start_matches("r#")).then_some(out)
}

/// SCREAMING_SNAKE_CASE for constants named after a type.
pub(crate) fn screaming(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// Whether `name` is a usable Rust type name (UpperCamelCase ASCII identifier).
pub(crate) fn is_type_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase()) && is_ident(name) && !name.contains('_')
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && s != "_"
}

fn is_keyword(s: &str) -> bool {
    matches!(
        s,
        "as" | "break"
            | "const"
            | "continue"
            | "crate"
            | "else"
            | "enum"
            | "extern"
            | "false"
            | "fn"
            | "for"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "pub"
            | "ref"
            | "return"
            | "self"
            | "Self"
            | "static"
            | "struct"
            | "super"
            | "trait"
            | "true"
            | "type"
            | "unsafe"
            | "use"
            | "where"
            | "while"
            | "async"
            | "await"
            | "dyn"
            | "gen"
            | "abstract"
            | "become"
            | "box"
            | "do"
            | "final"
            | "macro"
            | "override"
            | "priv"
            | "typeof"
            | "unsized"
            | "virtual"
            | "yield"
            | "try"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digit_groups_stay_apart() {
        assert_eq!(
            variant_ident("RESOLUTION_512_1536", None).as_deref(),
            Some("Resolution512_1536")
        );
        assert_eq!(
            variant_ident("512x1536", Some("Size")).as_deref(),
            Some("Size512x1536")
        );
        assert_eq!(
            variant_ident("RENDER_3D", None).as_deref(),
            Some("Render3d")
        );
        assert_eq!(variant_ident("512x1536", None), None);
        assert_eq!(variant_ident("", None), None);
    }

    #[test]
    fn field_names() {
        assert_eq!(field_ident("image_file").as_deref(), Some("image_file"));
        assert_eq!(field_ident("type").as_deref(), Some("r#type"));
        assert_eq!(field_ident("colorHex").as_deref(), Some("color_hex"));
        assert_eq!(field_ident("9lives"), None);
        assert_eq!(field_ident("a$b"), None);
        assert_eq!(field_ident("self"), None);
    }

    #[test]
    fn type_names() {
        assert!(is_type_name("V2Resolution"));
        assert!(!is_type_name("v2resolution"));
        assert!(!is_type_name("Bad-Name"));
        assert_eq!(screaming("ColorHex"), "COLOR_HEX");
    }
}
