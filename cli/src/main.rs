//! `ideogram`: Segmind's Ideogram endpoints from the shell.

mod args;
mod batch;
mod command;
mod connect;
mod credits;
mod failure;
mod generate;
mod jobs;
mod journal;
mod lines;
mod list;
mod money;
mod paths;
mod payload;
mod progress;
mod reconcile;
mod serve;

use std::process::ExitCode;

use failure::Failure;

fn main() -> ExitCode {
    let matches = match command::command().try_get_matches() {
        Ok(m) => m,
        // --help and --version print in full and succeed.
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // clap's message, on one line: the first line, without its `error: ` tag.
            let rendered = e.render().to_string();
            let first = rendered.lines().next().unwrap_or("invalid arguments");
            eprintln!("ideogram: {}", first.trim_start_matches("error: "));
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
    if let Some(info) = command::resolve_endpoint(name) {
        return generate::run(info, m).await;
    }
    let parsed =
        args::Static::from_arg_matches(matches).map_err(|e| Failure::input(e.to_string()))?;
    match parsed {
        args::Static::Batch(a) => batch::run(a).await,
        args::Static::Jobs(args::JobsCommand::Status(a)) => jobs::status(a).await,
        args::Static::Jobs(args::JobsCommand::Wait(a)) => jobs::wait(a).await,
        args::Static::List(a) => list::run(&a.what),
        args::Static::Credits(a) => credits::run(a).await,
        args::Static::Mock(args::MockCommand::Serve(a)) => serve::run(a).await,
    }
}
