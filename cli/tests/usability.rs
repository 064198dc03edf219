//! What a new user meets: help, suggestions for mistakes, any-case choices,
//! palette shorthands, completions and the man page, and refusals that say
//! what to do instead.

use assert_cmd::Command;

fn ideogram() -> Command {
    let mut cmd = Command::cargo_bin("ideogram").expect("binary built");
    cmd.env_remove("SEGMIND_API_KEY").env("NO_COLOR", "1");
    cmd
}

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let output = ideogram().args(args).output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Every command's path below `ideogram`, the top included (empty).
fn command_paths() -> Vec<Vec<String>> {
    let mut paths = vec![Vec::new()];
    let (_, help, _) = run(&["--help"]);
    // The names of a help's `Commands:` (not the lines its wrapping adds).
    let names = |help: &str| -> Vec<String> {
        help.split("Commands:\n")
            .nth(1)
            .unwrap_or_default()
            .lines()
            .take_while(|l| !l.trim().is_empty())
            .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
            .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
            .filter(|name| name != "help")
            .collect()
    };
    for name in names(&help) {
        let (_, sub_help, _) = run(&[&name, "--help"]);
        let children = names(&sub_help);
        paths.push(vec![name.clone()]);
        for child in children {
            paths.push(vec![name.clone(), child]);
        }
    }
    paths
}

#[test]
fn every_help_text_is_a_snapshot_and_ends_with_its_exit_codes() {
    let paths = command_paths();
    assert!(paths.len() > 12, "{paths:?}");
    for path in paths {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let (code, help, stderr) = run(&args);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert!(
            help.trim_end()
                .lines()
                .last()
                .is_some_and(|l| l.ends_with('.'))
                && help.contains("Exit codes: 0 success"),
            "{args:?}: {help}"
        );
        let name = if path.is_empty() {
            "help_ideogram".to_owned()
        } else {
            format!("help_{}", path.join("_"))
        };
        insta::assert_snapshot!(name, help);
    }
}

/// A help text with its wrapping undone.
fn unwrapped(help: &str) -> String {
    help.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_help_says_what_the_command_does() {
    let (_, help, _) = run(&["txt-2-img", "--help"]);
    let help = unwrapped(&help);
    // The queue is the default, local files are uploaded to storage, and
    // the palette's forms come with examples.
    assert!(help.contains("goes through Segmind's queue (v2)"), "{help}");
    assert!(!help.contains("Synchronous: the answer"), "{help}");
    assert!(
        help.contains("#b470b3:0.5,#ffffff") && help.contains("PASTEL"),
        "{help}"
    );
    let (_, help, _) = run(&["img-2-img", "--help"]);
    let help = unwrapped(&help);
    assert!(
        help.contains("uploaded to Segmind's storage when the request is sent"),
        "{help}"
    );
    assert!(!help.contains("to upload inline"), "{help}");
    // Each range once.
    assert_eq!(help.matches("100 to 999999").count(), 1, "{help}");
    assert!(!help.contains("..="), "{help}");
}

#[test]
fn one_man_page_per_command_and_every_reference_exists() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    let (code, stdout, stderr) = run(&["man", "--dir", out.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout.trim(), out.display().to_string());
    let mut pages: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    // One page per command.
    let mut expected: Vec<String> = command_paths()
        .iter()
        .map(|path| {
            let mut name = vec!["ideogram".to_owned()];
            name.extend(path.iter().cloned());
            format!("{}.1", name.join("-"))
        })
        .collect();
    expected.sort();
    assert_eq!(pages, expected);
    // Every page a page refers to is there, and each command's page has
    // its flags.
    for page in &pages {
        let text = std::fs::read_to_string(out.join(page)).unwrap();
        for reference in text.split_whitespace().filter_map(|w| {
            let w = w.trim_start_matches("\\fB").trim_end_matches("\\fR");
            w.strip_suffix("(1)").filter(|n| n.starts_with("ideogram"))
        }) {
            let reference = reference.replace("\\-", "-");
            assert!(
                pages.contains(&format!("{reference}.1")),
                "{page} refers to {reference}(1)"
            );
        }
        insta::assert_snapshot!(format!("man_{page}"), text);
    }
    let txt = std::fs::read_to_string(out.join("ideogram-txt-2-img.1")).unwrap();
    assert!(
        txt.contains("color\\-palette") && txt.contains("Exit codes"),
        "{txt}"
    );
    // Without --dir, the top page on stdout.
    let (code, page, _) = run(&["man"]);
    assert_eq!(code, Some(0));
    assert!(page.contains(".TH ideogram 1"), "{page}");
    let (code, _, stderr) = run(&["man", "--dir", "/dev/null/x"]);
    assert_eq!(code, Some(2), "{stderr}");
}

#[test]
fn list_reads_well() {
    let (code, list, _) = run(&["list"]);
    assert_eq!(code, Some(0));
    insta::assert_snapshot!("list", list);
    let (code, palettes, stderr) = run(&["list", "palettes"]);
    assert_eq!(code, Some(0), "{stderr}");
    for name in segmind_ideogram::PalettePresetName::VALUES {
        assert!(palettes.lines().any(|l| l == *name), "{name}: {palettes}");
    }
    assert!(palettes.contains("#hex[:weight]"), "{palettes}");
    // A thing that cannot be listed is clap's error, with the choices.
    let (code, _, stderr) = run(&["list", "colours"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("palettes") && stderr.contains("resolutions"),
        "{stderr}"
    );
}

#[test]
fn the_command_alone_shows_the_help() {
    let (code, _, stderr) = run(&[]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("Usage: ideogram <COMMAND>") && stderr.contains("Commands:"),
        "{stderr}"
    );
}

#[test]
fn mistakes_get_clap_s_suggestions_and_possible_values() {
    for (name, args) in [
        ("mistyped_subcommand", &["txt2img"][..]),
        ("mistyped_flag", &["txt-2-img", "--promt", "x"][..]),
        (
            "mistyped_value",
            &["txt-2-img", "--prompt", "x", "--style-type", "DESING"][..],
        ),
    ] {
        let (code, stdout, stderr) = run(args);
        assert_eq!(code, Some(2), "{args:?}");
        assert!(stdout.is_empty());
        insta::assert_snapshot!(name, stderr);
    }
}

#[test]
fn choices_take_any_case_and_send_the_wire_value() {
    let (code, stdout, stderr) = run(&[
        "txt-2-img",
        "--dry-run",
        "--prompt",
        "x",
        "--style-type",
        "design",
        "--magic-prompt-option",
        "Off",
        "--resolution",
        "resolution_1280_720",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    for wire in [r#""DESIGN""#, r#""OFF""#, r#""RESOLUTION_1280_720""#] {
        assert!(stdout.contains(wire), "{wire} in {stdout}");
    }
}

#[test]
fn palettes_take_a_preset_name_colours_or_json() {
    let payload = |palette: &str| {
        let (code, stdout, stderr) = run(&[
            "txt-2-img",
            "--dry-run",
            "--prompt",
            "x",
            "--color-palette",
            palette,
        ]);
        assert_eq!(code, Some(0), "{palette}: {stderr}");
        let json = stdout
            .lines()
            .skip(1)
            .take_while(|l| !l.starts_with("estimated"))
            .collect::<String>();
        serde_json::from_str::<serde_json::Value>(&json).unwrap()["color_palette"].clone()
    };
    assert_eq!(payload("PASTEL"), serde_json::json!({"name": "PASTEL"}));
    assert_eq!(payload("pastel"), serde_json::json!({"name": "PASTEL"}));
    assert_eq!(
        payload("#b470b3:0.5,#ffffff"),
        serde_json::json!({"members": [{"color_hex": "#b470b3", "color_weight": 0.5}, {"color_hex": "#ffffff"}]})
    );
    assert_eq!(
        payload(r#"{"name":"EMBER"}"#),
        serde_json::json!({"name": "EMBER"})
    );
    // Shorthands are validated like everything else, with the path.
    for (bad, path) in [
        ("#b470b3:7", "color_palette.members[0].color_weight"),
        ("#zzz", "color_palette.members[0].color_hex"),
        ("SEPIA", "color_palette"),
    ] {
        let (code, _, stderr) = run(&[
            "txt-2-img",
            "--dry-run",
            "--prompt",
            "x",
            "--color-palette",
            bad,
        ]);
        assert_eq!(code, Some(2), "{bad}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(path), "{bad}: {stderr}");
    }
}

#[test]
fn completions_and_the_man_page_are_generated() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, script, stderr) = run(&["completions", shell]);
        assert_eq!(code, Some(0), "{shell}: {stderr}");
        assert!(
            script.contains("txt-2-img") && script.contains("style-type"),
            "{shell}"
        );
    }
    let (code, page, _) = run(&["man"]);
    assert_eq!(code, Some(0));
    assert!(
        page.contains(".TH ideogram 1") && page.contains("Generate images"),
        "{page}"
    );
}

#[test]
fn refusals_say_what_to_do_instead() {
    let (code, _, stderr) = run(&["jobs", "status", "some-id", "--mock"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--base-url"), "{stderr}");
    let (code, _, stderr) = ideogram()
        .env("SEGMIND_API_KEY", "k")
        .args([
            "txt-2-img",
            "--prompt",
            "x",
            "--base-url",
            "http://example.com",
        ])
        .output()
        .map(|o| {
            (
                o.status.code(),
                (),
                String::from_utf8_lossy(&o.stderr).into_owned(),
            )
        })
        .unwrap();
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--allow-insecure-http"), "{stderr}");
    assert!(!stderr.contains("allow_insecure_http("), "{stderr}");
}

#[test]
fn choice_errors_list_the_choices_and_sizes_take_either_spelling() {
    let dry = |extra: &[&str]| {
        let mut args = vec!["txt-2-img", "--dry-run", "--prompt", "x"];
        args.extend_from_slice(extra);
        run(&args)
    };
    // A preset typo: the choices and the similar one, no Rust type name.
    let (code, _, stderr) = dry(&["--color-palette", "PASTELL"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("ULTRAMARINE") && stderr.contains("a similar value exists: PASTEL"),
        "{stderr}"
    );
    assert!(!stderr.contains("PalettePresetName"), "{stderr}");
    // A colour error says what a colour is, not a regular expression.
    let (code, _, stderr) = dry(&["--color-palette", "#fff,pink"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("color_palette.members[1].color_hex: must be a hex colour such as #b470b3"),
        "{stderr}"
    );
    assert!(!stderr.contains("[0-9a-fA-F]"), "{stderr}");
    // Either spelling of a size, on both families.
    let (code, stdout, stderr) = dry(&["--resolution", "1280x720"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains(r#""resolution": "RESOLUTION_1280_720""#),
        "{stdout}"
    );
    let (code, stdout, stderr) = run(&[
        "3-reframe",
        "--dry-run",
        "--image",
        "https://example.com/in.png",
        "--resolution",
        "RESOLUTION_800_1280",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains(r#""resolution": "800x1280""#), "{stdout}");
    // A size that exists nowhere: the nearest, not 78 values.
    let (code, _, stderr) = dry(&["--resolution", "1000x1000"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("the closest: RESOLUTION_1024_1024")
            && stderr.contains("ideogram list resolutions"),
        "{stderr}"
    );
    assert!(!stderr.contains("RESOLUTION_512_1536"), "{stderr}");
}

#[test]
fn nonsense_values_are_input_errors_before_anything_is_sent() {
    for (args, expected) in [
        (
            &[
                "txt-2-img",
                "--mock",
                "--prompt",
                "x",
                "--poll-interval",
                "0",
            ][..],
            "--poll-interval",
        ),
        (
            &[
                "txt-2-img",
                "--mock",
                "--prompt",
                "x",
                "--wait-timeout",
                "0",
            ],
            "--wait-timeout",
        ),
        (
            &["txt-2-img", "--mock", "--prompt", ""],
            "prompt: must not be empty",
        ),
        (
            &[
                "txt-2-img",
                "--mock",
                "--base-url",
                "http://127.0.0.1:9",
                "--prompt",
                "x",
            ],
            "cannot be used with",
        ),
        (
            &[
                "txt-2-img",
                "--mock",
                "--api-key-file",
                "k",
                "--prompt",
                "x",
            ],
            "cannot be used with",
        ),
        (
            &["jobs", "wait", "../etc", "--base-url", "http://127.0.0.1:9"],
            "invalid job id",
        ),
        (
            &[
                "jobs",
                "status",
                "../etc",
                "--base-url",
                "http://127.0.0.1:9",
            ],
            "invalid job id",
        ),
    ] {
        let output = ideogram()
            .env("SEGMIND_API_KEY", "k")
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[test]
fn a_served_mock_is_polled_on_its_own_clock() {
    // `ideogram mock serve` announces its job times; the command pointed at
    // it with --base-url (not --mock) polls when its 300 ms jobs are done,
    // not when a real txt-2-img job could be (11 s, half its typical
    // latency; a 5 s wait would look once only, a second before its end).
    let server = segmind_ideogram_mock::MockServer::builder()
        .api_key("k")
        .job_latency(
            std::time::Duration::ZERO,
            std::time::Duration::from_millis(300),
        )
        .start_blocking()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let output = ideogram()
        .current_dir(dir.path())
        .env("SEGMIND_API_KEY", "k")
        .args(["txt-2-img", "--prompt", "x", "--wait-timeout", "5"])
        .args(["--base-url", server.base_url()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let stats = server.job_stats();
    assert_eq!(stats.len(), 1, "{stats:?}");
    assert!(stats[0].status_polls <= 2, "{stats:?}");
    let noticed = stats[0].notice_delay.expect("the job was seen done");
    assert!(noticed < std::time::Duration::from_secs(2), "{stats:?}");
}

#[test]
fn request_and_key_files_are_read_within_limits() {
    let dir = tempfile::tempdir().unwrap();
    // A request saved by a Windows editor starts with a byte-order mark.
    let request = dir.path().join("r.json");
    std::fs::write(&request, b"\xEF\xBB\xBF{\"prompt\": \"a fox\"}").unwrap();
    let output = ideogram()
        .args(["txt-2-img", "--dry-run", "--json"])
        .arg(&request)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // A key "file" that never ends is refused, not read into memory.
    let output = ideogram()
        .args([
            "credits",
            "--api-key-file",
            "/dev/zero",
            "--base-url",
            "http://127.0.0.1:9",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("larger than 4096 bytes"), "{stderr}");
}

#[test]
fn a_dry_run_shows_the_request_as_it_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let request = dir.path().join("r.json");
    std::fs::write(&request, r#"{"prompt": "a fox", "seed": 500.0}"#).unwrap();
    let output = ideogram()
        .args(["txt-2-img", "--dry-run", "--json"])
        .arg(&request)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(r#""seed": 500"#) && !stdout.contains("500.0"),
        "{stdout}"
    );
    // A member given twice would be sent as its last: refused.
    std::fs::write(&request, r#"{"prompt": "a fox", "prompt": "an owl"}"#).unwrap();
    let output = ideogram()
        .args(["txt-2-img", "--dry-run", "--json"])
        .arg(&request)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("`prompt` is given twice"), "{stderr}");
}
