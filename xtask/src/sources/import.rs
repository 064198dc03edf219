//! `cargo xtask import FILE... [--captured DATE]`: brings a new capture of
//! a Segmind page (or a reference list) into `spec/sources/` and notes its
//! date in `spec/sources/README.md`, so the maintainer edits neither by
//! hand. A page is named by the slug of the endpoint URL it shows; a
//! reference list (`.json`, an array of strings) keeps its file name.

use std::fs;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use super::page;
use crate::{Error, SOURCES_DIR};

const README: &str = "README.md";

/// Imports each file; the lines say what was written.
pub fn import(root: &Path, files: &[&Path], captured: Option<&str>) -> Result<String, Error> {
    let date = match captured {
        Some(date) if is_date(date) => date.to_owned(),
        Some(other) => {
            return Err(Error::Invalid(format!(
                "--captured {other}: not a date (YYYY-MM-DD)"
            )));
        }
        None => today(),
    };
    let dir = root.join(SOURCES_DIR);
    let readme_path = dir.join(README);
    let mut readme = crate::read(&readme_path)?;
    let mut out = String::new();
    for file in files {
        let bytes = fs::read(file).map_err(|e| Error::Io(file.to_path_buf(), e))?;
        let name = source_name(file, &bytes)?;
        let target = dir.join(&name);
        let existed = target.exists();
        fs::write(&target, &bytes).map_err(|e| Error::Io(target.clone(), e))?;
        readme = note_date(&readme, &name, &date);
        out.push_str(&format!(
            "{} {SOURCES_DIR}/{name} (captured {date})\n",
            if existed { "replaced" } else { "added" }
        ));
    }
    fs::write(&readme_path, &readme).map_err(|e| Error::Io(readme_path, e))?;
    out.push_str("now `cargo xtask sources --check` (or `--fix`) compares the spec with it\n");
    Ok(out)
}

/// The name a capture takes in `spec/sources/`: `<slug>.txt` for a page,
/// the file's own name for a reference list.
fn source_name(file: &Path, bytes: &[u8]) -> Result<String, Error> {
    let shown = file.display();
    if file.extension().is_some_and(|e| e == "json") {
        serde_json::from_slice::<Vec<String>>(bytes).map_err(|e| {
            Error::Invalid(format!(
                "{shown}: a reference list is a JSON array of strings: {e}"
            ))
        })?;
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
        return name.ok_or_else(|| Error::Invalid(format!("{shown}: no file name")));
    }
    let text = String::from_utf8_lossy(bytes);
    match page::parse(&text).url {
        Some((_, slug)) if !slug.is_empty() => Ok(format!("{slug}.txt")),
        _ => Err(Error::Invalid(format!(
            "{shown}: no endpoint URL (https://api.segmind.com/v1/<slug>) under \"API Endpoint\": is it a Segmind model page?"
        ))),
    }
}

/// The README with `name`'s row dated `date`, or a new row for it.
pub fn note_date(readme: &str, name: &str, date: &str) -> String {
    let cell = format!("| `{name}` |");
    let mut lines: Vec<String> = readme.lines().map(str::to_owned).collect();
    if let Some(row) = lines.iter_mut().find(|l| l.starts_with(&cell)) {
        if let Some(cut) = row.trim_end().trim_end_matches('|').rfind('|') {
            row.truncate(cut);
            row.push_str(&format!("| {date} |"));
        }
    } else {
        let what = match name.strip_suffix(".txt") {
            Some(slug) => format!(
                "| `{name}` | Segmind's model page for `{slug}` | Segmind's public model page of the endpoint (text of its API section), imported with `cargo xtask import` | {date} |"
            ),
            None => format!(
                "| `{name}` | a reference list of values | imported with `cargo xtask import`; say where it came from | {date} |"
            ),
        };
        // After the last row of the table (its rows start with "| `").
        let at = lines
            .iter()
            .rposition(|l| l.starts_with("| `"))
            .map_or(lines.len(), |i| i + 1);
        lines.insert(at, what);
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    matches!(parts.as_slice(), [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2
        && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())))
}

/// Today's date (UTC), `YYYY-MM-DD`.
fn today() -> String {
    let days = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    civil_date(days)
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_date(days: u64) -> String {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_become_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(11_016), "2000-02-29");
        assert_eq!(civil_date(20_778), "2026-11-21");
        assert!(is_date("2026-11-21") && !is_date("2026-1-21") && !is_date("today"));
    }

    #[test]
    fn a_row_is_dated_or_added() {
        let readme = "intro\n\n| file | what | where | captured |\n|---|---|---|---|\n| `a.txt` | page a | site | 2026-01-01 |\n| `b.json` | list | ref | 2026-01-01 |\n\nafter\n";
        let dated = note_date(readme, "a.txt", "2026-12-05");
        assert!(
            dated.contains("| `a.txt` | page a | site | 2026-12-05 |"),
            "{dated}"
        );
        assert!(
            dated.contains("| `b.json` | list | ref | 2026-01-01 |"),
            "{dated}"
        );
        let added = note_date(readme, "c-d.txt", "2026-12-05");
        let rows: Vec<&str> = added.lines().filter(|l| l.starts_with("| `")).collect();
        assert_eq!(rows.len(), 3);
        assert!(rows[2].starts_with("| `c-d.txt` | Segmind's model page for `c-d` |"));
        assert!(rows[2].ends_with("| 2026-12-05 |"));
        assert!(added.ends_with("\nafter\n"), "{added}");
    }
}
