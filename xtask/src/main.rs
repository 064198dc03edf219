//! `cargo xtask`: the maintainers' commands. See `xtask/README.md`.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Maintainer tasks: generated code, the spec's sources, semver"
)]
struct Cli {
    /// Workspace root to work on (default: the workspace this xtask belongs to).
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate client/src/generated/ from the spec.
    Codegen {
        /// Only check that the checked-in files are fresh; change nothing.
        #[arg(long)]
        check: bool,
    },
    /// Compare the spec with the Segmind pages in spec/sources/.
    Sources {
        /// Print only unexplained disagreements (one per line, each with the
        /// spec fragment that answers it) and fail if there are any.
        #[arg(long, conflicts_with = "fix")]
        check: bool,
        /// Write the fragments into the spec, then check again.
        #[arg(long)]
        fix: bool,
    },
    /// Bring new captures of Segmind pages (or reference lists) into
    /// spec/sources/, dated in its README.
    Import {
        /// Captured page text (named by its endpoint's slug) or `.json` list.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// The capture's date, YYYY-MM-DD (default: today, UTC).
        #[arg(long, value_name = "DATE")]
        captured: Option<String>,
    },
    /// List what the spec changes since the last release mean for the crate's users.
    Changes {
        /// The revision to compare with (default: the last release: the last
        /// tag, else the commit that recorded the newest version in
        /// CHANGELOG.md, else the spec's first commit).
        #[arg(long, value_name = "REV")]
        since: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = cli
        .root
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."));
    let outcome = match cli.command {
        Command::Codegen { check } => {
            let mode = if check {
                xtask::Mode::Check
            } else {
                xtask::Mode::Write
            };
            xtask::codegen(&root, mode).map(|report| (report, true))
        }
        Command::Sources { check: true, .. } => xtask::sources::check_text(&root),
        Command::Sources { fix: true, .. } => xtask::sources::fix_spec(&root),
        Command::Sources { .. } => xtask::sources::check(&root).map(|r| (r.render(), true)),
        Command::Import { files, captured } => {
            let files: Vec<&std::path::Path> = files.iter().map(PathBuf::as_path).collect();
            xtask::sources::import::import(&root, &files, captured.as_deref()).map(|t| (t, true))
        }
        Command::Changes { since } => {
            xtask::changes::run(&root, since.as_deref()).map(|report| (report, true))
        }
    };
    match outcome {
        Ok((text, ok)) => {
            // A closed pipe (`cargo xtask sources | head`) is no failure.
            let _ = writeln!(std::io::stdout(), "{}", text.trim_end());
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
