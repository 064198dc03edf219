//! The lists of endpoints the READMEs show are generated, like the code:
//! `cargo xtask codegen` rewrites what stands between `<!-- endpoints -->`
//! and `<!-- /endpoints -->` (the slugs) or `<!-- subcommands -->` and
//! `<!-- /subcommands -->` (the CLI's subcommands), so a new endpoint needs
//! no hand edit outside `spec/`, and `codegen --check` fails when a list is
//! stale. The markers sit inside a sentence (an HTML comment at the start
//! of a line would end the paragraph).

use segmind_ideogram_codegen::model::Api;

/// The documents that may hold generated lists, relative to the root.
pub const DOCS: &[&str] = &["README.md", "client/README.md", "cli/README.md"];

/// `text` with every generated list rewritten from `api`; a list whose
/// end marker is missing is an error naming the marker.
pub fn rewrite(text: &str, api: &Api) -> Result<String, String> {
    let slugs: Vec<String> = api
        .endpoints
        .iter()
        .map(|e| format!("`{}`", e.slug))
        .collect();
    // The CLI's short names (`cli/src/command.rs`, `short_name`).
    let short: Vec<String> = api
        .endpoints
        .iter()
        .map(|e| format!("`{}`", e.slug.strip_prefix("ideogram-").unwrap_or(&e.slug)))
        .collect();
    let mut out = text.to_owned();
    for (name, items) in [("endpoints", &slugs), ("subcommands", &short)] {
        out = replace_between(&out, name, &words(items))?;
    }
    Ok(out)
}

/// `a`, `a and b`, `a, b and c`.
fn words(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn replace_between(text: &str, name: &str, list: &str) -> Result<String, String> {
    let (open, close) = (format!("<!-- {name} -->"), format!("<!-- /{name} -->"));
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(&open) {
        let after = start + open.len();
        let end = rest[after..]
            .find(&close)
            .ok_or_else(|| format!("`{open}` without its `{close}`"))?;
        out.push_str(&rest[..after]);
        out.push_str(list);
        out.push_str(&close);
        rest = &rest[after + end + close.len()..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_rewritten_between_their_markers() {
        let text = "on <!-- endpoints -->`old`<!-- /endpoints -->, each; cmds <!-- subcommands -->x<!-- /subcommands -->.";
        let out = replace_between(text, "endpoints", "`a`, `b` and `c`").unwrap();
        assert_eq!(
            out,
            "on <!-- endpoints -->`a`, `b` and `c`<!-- /endpoints -->, each; cmds <!-- subcommands -->x<!-- /subcommands -->."
        );
        assert_eq!(
            replace_between(&out, "endpoints", "`a`, `b` and `c`").unwrap(),
            out
        );
        assert!(replace_between("<!-- endpoints -->x", "endpoints", "y").is_err());
        let items = |n: usize| (0..n).map(|i| format!("`{i}`")).collect::<Vec<_>>();
        assert_eq!(words(&items(1)), "`0`");
        assert_eq!(words(&items(2)), "`0` and `1`");
        assert_eq!(words(&items(3)), "`0`, `1` and `2`");
    }
}
