//! `cargo xtask sources [--check]`: passes on the real tree, and every way a
//! page changes gives exactly the line a maintainer should read.

use crate::common;

use std::fs;

use common::{scratch, workspace, xtask};
use regex_lite::{Captures, Regex};
use serde_json::Value;
use xtask::SOURCES_DIR;
use xtask::sources::page::{self, Layout};
use xtask::sources::{self, Outcome, Report, Sources};

/// The real spec, pages and reference lists, in memory, to edit.
struct Inputs(Sources);

impl std::ops::Deref for Inputs {
    type Target = Sources;

    fn deref(&self) -> &Sources {
        &self.0
    }
}

impl std::ops::DerefMut for Inputs {
    fn deref_mut(&mut self) -> &mut Sources {
        &mut self.0
    }
}

impl Inputs {
    fn real() -> Self {
        Inputs(Sources::load(&workspace()).unwrap())
    }

    fn page_mut(&mut self, slug: &str) -> &mut String {
        let file = format!("{slug}.txt");
        &mut self
            .pages
            .iter_mut()
            .find(|(name, _)| *name == file)
            .unwrap_or_else(|| panic!("no page {file}"))
            .1
    }

    /// Replaces `old` (which must be on the page) with `new`.
    fn edit(mut self, slug: &str, old: &str, new: &str) -> Self {
        let page = self.page_mut(slug);
        assert!(page.contains(old), "{slug} lacks {old:?}");
        *page = page.replacen(old, new, 1);
        self
    }

    fn report(&self) -> Report {
        self.0.compare().unwrap()
    }

    fn problems(&self) -> Vec<String> {
        self.report().problems()
    }
}

/// Deviation records in the spec, counted independently of the xtask.
fn recorded_deviations(spec: &Value) -> usize {
    match spec {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                if k == "x-source-deviations" {
                    // Records about a page (others keep a value against
                    // another source: the `wild` check's).
                    v.as_array().map_or(0, |records| {
                        records.iter().filter(|r| r.get("page").is_some()).count()
                    })
                } else {
                    recorded_deviations(v)
                }
            })
            .sum(),
        Value::Array(items) => items.iter().map(recorded_deviations).sum(),
        _ => 0,
    }
}

#[test]
fn the_spec_agrees_with_its_sources() {
    // The same check CI runs as `cargo xtask sources --check`.
    let report = sources::check(&workspace()).unwrap();
    assert_eq!(
        report.problems(),
        Vec::<String>::new(),
        "{}",
        report.render()
    );
    let inputs = Inputs::real();
    assert_eq!(report.pages.len(), inputs.pages.len());
    let spec: Value = serde_json::from_str(&inputs.spec).unwrap();
    // Every record is used, none twice.
    assert_eq!(
        report.count(|o| matches!(o, Outcome::Deviation(_))),
        recorded_deviations(&spec)
    );
    // Every page was read: its URL and each of its parameters were checked.
    for page in &report.pages {
        let fields: Vec<&str> = report
            .checked
            .iter()
            .filter(|c| c.fact.endpoint == page.slug)
            .map(|c| c.fact.field.as_str())
            .collect();
        assert!(fields.contains(&"url"), "{}", page.slug);
        assert!(
            fields.iter().filter(|f| f.ends_with(".required")).count() >= 5,
            "{}: {fields:?}",
            page.slug
        );
    }
}

#[test]
fn both_layouts_are_read_into_the_same_facts() {
    // txt-2-img's capture runs fields together; the others put one per line.
    // The same parameter reads the same either way.
    let inputs = Inputs::real();
    let read = |slug: &str| {
        let (_, text) = inputs
            .pages
            .iter()
            .find(|(n, _)| n == &format!("{slug}.txt"))
            .unwrap();
        page::parse(text)
    };
    let run_together = read("ideogram-txt-2-img");
    let per_line = read("ideogram-img-2-img");
    assert_eq!(run_together.layout, Layout::RunTogether);
    assert_eq!(per_line.layout, Layout::FieldPerLine);
    for name in [
        "magic_prompt_option",
        "resolution",
        "style_type",
        "color_palette",
    ] {
        let a = run_together.params.iter().find(|p| p.name == name).unwrap();
        let b = per_line.params.iter().find(|p| p.name == name).unwrap();
        assert_eq!(
            (&a.ty, &a.default, &a.values, a.more, &a.variants),
            (&b.ty, &b.default, &b.values, b.more, &b.variants),
            "{name}"
        );
    }
    // Only the field-per-line layout states the total and the range labels.
    let resolution = per_line
        .params
        .iter()
        .find(|p| p.name == "resolution")
        .unwrap();
    let spec: Value = serde_json::from_str(&inputs.spec).unwrap();
    let listed = spec["components"]["schemas"]["V2Resolution"]["enum"]
        .as_array()
        .map(Vec::len);
    assert_eq!(resolution.total, listed.map(|n| n as u64));
}

#[test]
fn each_way_a_page_changes_gives_its_line() {
    let cases: &[(&str, &str, &str, &[&str])] = &[
        (
            "ideogram-txt-2-img",
            "\"AUTO\"\"AUTO\"\"ON\"\"OFF\"",
            "\"ON\"\"AUTO\"\"ON\"\"OFF\"",
            &["ideogram-txt-2-img, magic_prompt_option.default, page: \"ON\", spec: \"AUTO\""],
        ),
        // A new parameter (on the run-together layout: below).
        (
            "ideogram-turbo-img-2-img",
            "seedoptional\n",
            "aspect_ratiooptional\nstring\n\nAspect ratio of the output\n\nseedoptional\n",
            &[
                "ideogram-turbo-img-2-img, aspect_ratio, page: optional string, spec: no such parameter",
            ],
        ),
        // A removed parameter, on both layouts.
        (
            "ideogram-turbo-img-2-img",
            "negative_promptoptional\nstring\n\nNegative prompt to avoid specific elements\n\n",
            "",
            &["ideogram-turbo-img-2-img, negative_prompt, page: not listed, spec: optional string"],
        ),
        (
            "ideogram-txt-2-img",
            "negative_promptoptionalstringNegative prompt to avoid specific elements\n",
            "",
            &["ideogram-txt-2-img, negative_prompt, page: not listed, spec: optional string"],
        ),
        // A new allowed value in a full list (the total grows too).
        (
            "ideogram-3-reframe",
            "\"TURBO\"\"DEFAULT\"\"QUALITY\"",
            "\"TURBO\"\"DEFAULT\"\"QUALITY\"\"FLASH\"",
            &[
                "ideogram-3-reframe, rendering_speed.values, page: shows \"FLASH\", spec: RenderingSpeed lacks it",
                "ideogram-3-reframe, rendering_speed.total, page: 4, spec: 3",
            ],
        ),
        // Required, type and format.
        (
            "ideogram-turbo-img-2-img",
            "image_filerequired",
            "image_fileoptional",
            &["ideogram-turbo-img-2-img, image_file.required, page: optional, spec: required"],
        ),
        (
            "ideogram-3-reframe",
            "seedoptional\ninteger",
            "seedoptional\nnumber",
            &["ideogram-3-reframe, seed.type, page: number, spec: integer"],
        ),
        (
            "ideogram-3-reframe",
            "imagerequired\nstring (uri)",
            "imagerequired\nstring (url)",
            &["ideogram-3-reframe, image.format, page: url, spec: uri"],
        ),
        // A page that changes where the spec recorded a deviation: the
        // record covers the old text only.
        (
            "ideogram-txt-2-img",
            "Ideogram Text To Image\n",
            "Ideogram Text To Image\n~20.00s\n",
            &[
                "ideogram-txt-2-img, latency, page: 20 s, spec: 21.6 s (deviation recorded for page: not stated)",
            ],
        ),
        // The queue's documented failure status.
        (
            "ideogram-2a-img-2-img",
            "served as HTTP 422",
            "served as HTTP 409",
            &[
                "ideogram-2a-img-2-img, queue.statuses, page: 404, 409, spec: 401, 404, 422, 429, 500",
            ],
        ),
    ];
    for (slug, old, new, expected) in cases {
        let problems = Inputs::real().edit(slug, old, new).problems();
        assert_eq!(&problems, expected, "{slug}: {old:?} -> {new:?}");
    }
}

/// An edit computed from what a page says now: the pattern's first match
/// is replaced, and the lines expected are built from its captures, so the
/// cases hold whatever the real pages say (a new price, a new resolution).
type Computed = (
    &'static str,
    &'static str,
    fn(&Captures<'_>) -> String,
    fn(&Captures<'_>, &Counts) -> Vec<String>,
);

/// What the spec says, for expected lines.
struct Counts {
    v2_resolutions: usize,
    /// How many resolutions the img-2-img page shows.
    shown: usize,
}

fn number(text: &str) -> u64 {
    text.parse().unwrap()
}

#[test]
fn each_way_a_page_changes_a_value_gives_its_line() {
    let inputs = Inputs::real();
    let spec: Value = serde_json::from_str(&inputs.spec).unwrap();
    let img_2_img = inputs
        .pages
        .iter()
        .find(|(name, _)| name == "ideogram-img-2-img.txt")
        .map(|(_, text)| page::parse(text))
        .unwrap();
    let counts = Counts {
        v2_resolutions: spec["components"]["schemas"]["V2Resolution"]["enum"]
            .as_array()
            .unwrap()
            .len(),
        shown: img_2_img
            .params
            .iter()
            .find(|p| p.name == "resolution")
            .map_or(0, |p| p.values.len()),
    };
    let cases: &[Computed] = &[
        // A default.
        (
            "ideogram-img-2-img",
            r"(?s)(image_weightoptional.*?Default: )(\d+)",
            |c| format!("{}{}", &c[1], number(&c[2]) + 10),
            |c, _| {
                vec![format!(
                    "ideogram-img-2-img, image_weight.default, page: {}, spec: {}",
                    number(&c[2]) + 10,
                    &c[2]
                )]
            },
        ),
        // A range, as a label and inside a description.
        (
            "ideogram-3-reframe",
            r"Range: (\d+) - (\d+)",
            |c| format!("Range: 1 - {}", &c[2]),
            |c, _| {
                vec![format!(
                    "ideogram-3-reframe, seed.range, page: 1-{}, spec: {}-{}",
                    &c[2], &c[1], &c[2]
                )]
            },
        ),
        (
            "ideogram-2a-img-2-img",
            r"\(range (\d+)-(\d+)\)",
            |c| format!("(range {}-{})", &c[1], number(&c[2]) / 2),
            |c, _| {
                vec![format!(
                    "ideogram-2a-img-2-img, image_weight.range, page: {}-{}, spec: {}-{}",
                    &c[1],
                    number(&c[2]) / 2,
                    &c[1],
                    &c[2]
                )]
            },
        ),
        // A new parameter on the run-together layout.
        (
            "ideogram-txt-2-img",
            r"(\+\d+ more)(seedoptional)",
            |c| format!("{}aspect_ratiooptionalstringAspect ratio\n{}", &c[1], &c[2]),
            |_, _| {
                vec!["ideogram-txt-2-img, aspect_ratio, page: optional string, spec: no such parameter".into()]
            },
        ),
        // A new value in a truncated list: no reference list holds it.
        (
            "ideogram-img-2-img",
            r#"(total\):\s*)"RESOLUTION_\d+_\d+""#,
            |c| format!("{}\"RESOLUTION_1_2\"", &c[1]),
            |_, n| {
                vec![
                    "ideogram-img-2-img, resolution.values, page: shows \"RESOLUTION_1_2\", spec: V2Resolution lacks it".into(),
                    format!(
                        "ideogram-img-2-img, resolution.reference, page: shows {} values; no list in spec/sources holds them, spec: {} values in V2Resolution",
                        n.shown, n.v2_resolutions
                    ),
                ]
            },
        ),
        // A different announced total: not consistent with "+N more", and consistent.
        (
            "ideogram-img-2-img",
            r"\((\d+) total\)",
            |c| format!("({} total)", number(&c[1]) + 1),
            |c, n| {
                vec![format!(
                    "ideogram-img-2-img, resolution.total, page: {} (but {} shown +{} more), spec: {}",
                    number(&c[1]) + 1,
                    n.shown,
                    n.v2_resolutions - n.shown,
                    n.v2_resolutions
                )]
            },
        ),
        (
            "ideogram-txt-2-img",
            r"\+(\d+) more",
            |c| format!("+{} more", number(&c[1]) + 1),
            |_, n| {
                vec![format!(
                    "ideogram-txt-2-img, resolution.total, page: {}, spec: {}",
                    n.v2_resolutions + 1,
                    n.v2_resolutions
                )]
            },
        ),
        // A new price.
        (
            "ideogram-turbo-img-2-img",
            r"\$([0-9.]+) per generation",
            |c| format!("${}5 per generation", &c[1]),
            |c, _| {
                vec![format!(
                    "ideogram-turbo-img-2-img, price, page: ${}5, spec: ${}",
                    &c[1], &c[1]
                )]
            },
        ),
    ];
    for (slug, pattern, replace, expected) in cases {
        let page = inputs
            .pages
            .iter()
            .find(|(name, _)| *name == format!("{slug}.txt"))
            .map(|(_, text)| text.clone())
            .unwrap();
        let re = Regex::new(pattern).unwrap();
        let captures = re
            .captures(&page)
            .unwrap_or_else(|| panic!("{slug} has no {pattern}"));
        let (old, new) = (captures[0].to_owned(), replace(&captures));
        let problems = Inputs::real().edit(slug, &old, &new).problems();
        assert_eq!(
            problems,
            expected(&captures, &counts),
            "{slug}: {old:?} -> {new:?}"
        );
    }
    // A price where the page had none, on each page without one.
    for (file, text) in &inputs.pages {
        if page::parse(text).price_usd.is_some() {
            continue;
        }
        let slug = file.trim_end_matches(".txt");
        let priced = text.replacen("API Endpoint", "\n$0.05 per generation\nAPI Endpoint", 1);
        let mut edited = Inputs::real();
        *edited.page_mut(slug) = priced;
        assert_eq!(
            edited.problems(),
            [format!("{slug}, price, page: $0.05, spec: none")],
            "{slug}"
        );
    }
}

#[test]
fn a_deviation_the_page_no_longer_needs_is_reported() {
    // Segmind fixes the img-2-img example: both records about it are stale.
    let mut inputs = Inputs::real();
    let spec: Value = serde_json::from_str(&inputs.spec).unwrap();
    let image = spec
        .pointer("/paths/~1v1~1ideogram-img-2-img/post/requestBody/content/application~1json/example/image_file")
        .unwrap()
        .to_string();
    inputs = inputs.edit(
        "ideogram-img-2-img",
        "\"RESOLUTION_1024_1024\"\n15}",
        &format!("\"RESOLUTION_1024_1024\",\n15    \"image_file\": {image}\n16}}"),
    );
    assert_eq!(
        inputs.problems(),
        [
            "ideogram-img-2-img, example.image_file, page: does not state it, spec: stale deviation (recorded for page: absent): remove it",
            "ideogram-img-2-img, example.valid, page: sends every required parameter, spec: valid; stale deviation (recorded for page: omits image_file): remove it",
        ]
    );
}

#[test]
fn endpoints_without_a_page_and_pages_without_an_endpoint() {
    // Endpoints the spec may hold without a page yet (a new one, say).
    let already_unchecked = Inputs::real().report().unchecked;
    let mut inputs = Inputs::real();
    // A page for an endpoint the spec lacks is a problem.
    let turbo = inputs.page_mut("ideogram-turbo-img-2-img").clone();
    inputs.pages.push((
        "ideogram-4-turbo.txt".into(),
        turbo.replace("ideogram-turbo-img-2-img", "ideogram-4-turbo"),
    ));
    // A spec endpoint without a page is unchecked, and its deviations are
    // not stale.
    inputs
        .pages
        .retain(|(name, _)| name != "ideogram-3-reframe.txt");
    let report = inputs.report();
    assert_eq!(
        report.problems(),
        [
            "ideogram-4-turbo, endpoint, page: https://api.segmind.com/v1/ideogram-4-turbo, spec: no endpoint ideogram-4-turbo"
        ]
    );
    let mut expected = already_unchecked;
    expected.push("ideogram-3-reframe".to_owned());
    let mut unchecked = report.unchecked.clone();
    expected.sort();
    unchecked.sort();
    assert_eq!(unchecked, expected);
    let summary = report.summary();
    let (_, listed) = summary
        .split_once("unchecked endpoints (no page): ")
        .unwrap();
    assert!(
        listed.split(", ").any(|slug| slug == "ideogram-3-reframe"),
        "{summary}"
    );

    // A page whose URL names another slug than its file.
    let mut inputs = Inputs::real();
    let page = inputs.page_mut("ideogram-img-2-img");
    *page = page.replace(
        "POSThttps://api.segmind.com/v1/ideogram-img-2-img",
        "POSThttps://api.segmind.com/v1/ideogram-img-2-img-v2",
    );
    assert_eq!(
        inputs.problems(),
        [
            "ideogram-img-2-img, url, page: https://api.segmind.com/v1/ideogram-img-2-img-v2, spec: https://api.segmind.com/v1/ideogram-img-2-img",
            "ideogram-img-2-img, file, page: https://api.segmind.com/v1/ideogram-img-2-img-v2 (its page is named ideogram-img-2-img.txt), spec: pages are named by their slug: ideogram-img-2-img-v2.txt",
        ]
    );
}

#[test]
fn mangled_pages_never_panic() {
    let inputs = Inputs::real();
    let mut variants: Vec<String> = vec![
        String::new(),
        "\"\"\"\"\"".into(),
        "API Endpoint Parameters +99999999999999999999999 more".into(),
        String::from_utf8_lossy(&(0..=255u8).collect::<Vec<_>>()).into_owned(),
    ];
    for (_, text) in &inputs.pages {
        // Every cut of the page, on character boundaries.
        let cuts = text.char_indices().map(|(i, _)| i).step_by(97);
        variants.extend(cuts.map(|i| text[..i].to_owned()));
        variants.push(text.replace('\n', ""));
        variants.push(text.lines().rev().collect::<Vec<_>>().join("\n"));
        variants.push(
            text.replace("100", "1e999")
                .replace("+68", "+18446744073709551616"),
        );
        variants.push(text.replace('"', ""));
        variants.push(text.replace("}", ""));
    }
    for text in variants {
        let pages = [("ideogram-img-2-img.txt".to_owned(), text.clone())];
        let report = sources::compare_sources(&inputs.spec, &pages, &inputs.lists)
            .unwrap_or_else(|e| panic!("{e} on {text:?}"));
        for line in report.problems() {
            assert!(line.starts_with("ideogram-img-2-img, "), "{line}");
            assert!(line.contains(", page: "), "{line}");
        }
    }
}

#[test]
fn malformed_deviation_records_are_located() {
    let inputs = Inputs::real();
    for (old, new, pointer) in [
        (
            "\"fact\": \"latency\",",
            "\"fakt\": \"latency\",",
            "spec error at /paths/~1v1~1ideogram-txt-2-img/post/x-source-deviations/0/fakt: unknown member `fakt`",
        ),
        (
            "\"page\": \"Text/JSON\",",
            "\"page\": \"\",",
            "spec error at /paths/~1v1~1ideogram-txt-2-img/post/x-source-deviations/1/page: `page` must be a non-empty string",
        ),
        (
            "\"x-variant-prefix\": \"Size\"\n",
            "\"x-variant-prefix\": \"Size\", \"x-source-deviations\": []\n",
            "spec error at /components/schemas/V3Resolution/x-source-deviations: `x-source-deviations` is read only on",
        ),
    ] {
        assert!(inputs.spec.contains(old), "{old}");
        let spec = inputs.spec.replacen(old, new, 1);
        let error = sources::compare_sources(&spec, &inputs.pages, &inputs.lists)
            .unwrap_err()
            .to_string();
        assert!(error.starts_with(pointer), "{error}");
    }
}

#[test]
fn the_command_fails_with_one_line_per_problem_and_names_bad_sources() {
    let dir = scratch();
    let (ok, out, _) = xtask(dir.path(), &["sources", "--check"]);
    assert!(ok, "{out}");
    assert_eq!(out.lines().count(), 1, "only the summary: {out}");

    let page = dir
        .path()
        .join(SOURCES_DIR)
        .join("ideogram-turbo-img-2-img.txt");
    let text = fs::read_to_string(&page).unwrap();
    fs::write(&page, text.replace("Default: 50", "Default: 40")).unwrap();
    let (ok, out, _) = xtask(dir.path(), &["sources", "--check"]);
    assert!(!ok);
    assert_eq!(
        out.lines().next(),
        Some("ideogram-turbo-img-2-img, image_weight.default, page: 40, spec: 50")
    );
    // Without --check: the full report, and success.
    let (ok, out, _) = xtask(dir.path(), &["sources"]);
    assert!(ok);
    assert!(
        out.contains("  DISAGREES  image_weight.default: page: 40, spec: 50"),
        "{out}"
    );
    assert!(
        out.contains("  deviation  queue: page: not documented"),
        "{out}"
    );

    fs::write(
        dir.path().join(SOURCES_DIR).join("extra.json"),
        "{\"not\": \"a list\"}",
    )
    .unwrap();
    let (ok, _, err) = xtask(dir.path(), &["sources", "--check"]);
    assert!(!ok);
    assert!(
        err.contains("spec/sources/extra.json: not a JSON array of strings"),
        "{err}"
    );
}
