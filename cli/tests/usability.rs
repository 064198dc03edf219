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

#[test]
fn help_and_list_read_well() {
    let (code, help, _) = run(&["txt-2-img", "--help"]);
    assert_eq!(code, Some(0));
    insta::assert_snapshot!("txt_2_img_help", help);
    let (code, list, _) = run(&["list"]);
    assert_eq!(code, Some(0));
    insta::assert_snapshot!("list", list);
    // `ideogram` alone shows the help.
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
