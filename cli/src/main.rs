//! `ideogram`: Segmind's Ideogram endpoints from the shell.

mod args;
mod batch;
mod command;
mod connect;
mod credits;
mod failure;
mod generate;
mod help;
mod jobs;
mod lines;
mod list;
mod man;
mod paths;
mod payload;
mod progress;
mod serve;
mod signals;

use std::process::ExitCode;

use failure::Failure;

fn main() -> ExitCode {
    restore_sigpipe();
    let matches = match command::command().try_get_matches() {
        Ok(m) => m,
        // --help and --version print in full and succeed.
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        // A usage error: clap's whole message, with its tips ("a similar
        // argument exists") and possible values.
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(failure::Exit::InvalidInput as u8);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ideogram: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(dispatch(&matches)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("ideogram: {failure}");
            ExitCode::from(failure.exit as u8)
        }
    }
}

async fn dispatch(matches: &clap::ArgMatches) -> Result<(), Failure> {
    use clap::FromArgMatches as _;

    let Some((name, m)) = matches.subcommand() else {
        return Err(Failure::input("no command given; see ideogram --help"));
    };
    // A single command stops on Ctrl-C or SIGTERM, saying what it leaves;
    // a batch and the mock server end their own waits. Listened to from
    // here on, before anything is printed or sent.
    if !matches!(name, "list" | "man" | "completions") {
        signals::listen();
    }
    if let Some(info) = command::resolve_endpoint(name) {
        return signals::stoppable(generate::run(info, m)).await;
    }
    let parsed =
        args::Static::from_arg_matches(matches).map_err(|e| Failure::input(e.to_string()))?;
    match parsed {
        args::Static::Batch(a) => batch::run(a).await,
        args::Static::Jobs(args::JobsCommand::Status(a)) => {
            signals::stoppable(jobs::status(a)).await
        }
        args::Static::Jobs(args::JobsCommand::Wait(a)) => signals::stoppable(jobs::wait(a)).await,
        args::Static::List(a) => list::run(&a.what),
        args::Static::Credits(a) => signals::stoppable(credits::run(a)).await,
        args::Static::Completions(a) => {
            let mut script = Vec::new();
            clap_complete::generate(a.shell, &mut command::command(), "ideogram", &mut script);
            print_bytes(&script)
        }
        args::Static::Man(a) => man::run(a.dir.as_deref()),
        args::Static::Mock(args::MockCommand::Serve(a)) => serve::run(*a).await,
    }
}

pub fn print_bytes(bytes: &[u8]) -> Result<(), Failure> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| Failure::input(format!("cannot write to stdout: {e}")))
}

/// A closed pipe (`ideogram list resolutions | head -1`) ends the process
/// quietly, as it does other Unix tools, instead of panicking in a print.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to its default, before any
    // thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
