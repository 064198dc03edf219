//! One endpoint subcommand: dry run, queued job with progress (the
//! default), or a synchronous call with `--sync`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{ArgMatches, FromArgMatches as _};
use indicatif::{ProgressBar, ProgressStyle};
use segmind_ideogram::{Client, EndpointInfo, Error, GeneratedImage, Job, JobUpdate, WaitOptions};

use crate::args::{ConnectionArgs, EndpointArgs, WaitArgs};
use crate::command::short_name;
use crate::connect::connect;
use crate::failure::Failure;
use crate::paths::{check_output_file, check_output_folder, is_safe_file_stem};
use crate::payload::{Draft, estimated_cost};
use crate::signals;

pub async fn run(info: &'static EndpointInfo, m: &ArgMatches) -> Result<(), Failure> {
    let parse = |e: clap::Error| Failure::input(e.to_string());
    let args = EndpointArgs::from_arg_matches(m).map_err(parse)?;
    let wait = WaitArgs::from_arg_matches(m).map_err(parse)?;
    let connection_args = ConnectionArgs::from_arg_matches(m).map_err(parse)?;
    let draft = Draft::from_matches(info, args.json.as_deref(), m)?;
    let sync = args.sync;
    if args.dry_run {
        let shown = serde_json::to_string_pretty(&draft.for_display(args.inline_images)?)
            .unwrap_or_default();
        let version = if sync { "v1" } else { "v2" };
        println!(
            "POST /{version}/{}\n{shown}\nestimated cost: {}",
            info.slug,
            estimated_cost(info)
        );
        return Ok(());
    }
    // A paid image that cannot be saved is money thrown away, and one saved
    // over the user's file destroys something: both are checked first.
    let output = &args.output;
    match &output.out {
        Some(out) => check_output_file(out, output.overwrite)?,
        // The default name is the job's, known once paid; its folder is not.
        None => check_output_folder(&default_out(short_name(info.slug), None))?,
    }
    let connection = connect(&connection_args).await?;
    let request = draft
        .resolve(&connection.client, args.inline_images)
        .await?;
    let name = short_name(info.slug);
    signals::note(MAYBE_BILLED);
    if sync {
        let image = connection.client.run_any(&request).await?;
        let out = output
            .out
            .clone()
            .unwrap_or_else(|| default_out(name, image.metadata().request_id.as_deref()));
        return save(&image, &out, output.overwrite && output.out.is_some()).map_err(|f| Failure {
            message: format!("the image was paid for but not saved: {}", f.message),
            ..f
        });
    }
    let options = wait_options(&connection.client, &wait);
    let job = connection.client.submit_any(&request).await?;
    let out = output
        .out
        .clone()
        .unwrap_or_else(|| default_out(name, Some(job.request_id())));
    // Printed at once: from here on the image can be had by id.
    eprintln!(
        "submitted job {id}; if interrupted: ideogram jobs wait {id} --out {}",
        out.display(),
        id = job.request_id()
    );
    signals::note(format!(
        "job {id} goes on and may be paid for: `ideogram jobs wait {id} --out {}` fetches its image",
        out.display(),
        id = job.request_id()
    ));
    // Past this point, whatever fails (but the job itself) leaves a paid
    // job: the one line says how to fetch it.
    let fetch_it = |failure: Failure| Failure {
        message: format!(
            "{}; job {id} may be paid for: `ideogram jobs wait {id} --out {}` fetches its image",
            failure.message,
            out.display(),
            id = job.request_id()
        ),
        ..failure
    };
    let image = match wait_with_progress(&job, options).await {
        Ok(image) => image,
        Err(error @ Error::JobFailed { .. }) => return Err(error.into()),
        Err(error) => return Err(fetch_it(error.into())),
    };
    save(&image, &out, output.overwrite && output.out.is_some()).map_err(fetch_it)
}

/// What an interruption leaves once a generation is on its way.
const MAYBE_BILLED: &str = "the request may have reached Segmind and been billed: look for it in \
     your request history before sending it again";

/// The name of an image the user did not name: `<endpoint>-<job id>.png`
/// (the extension follows the real format), unique per job; without an id
/// that can name a file, `<endpoint>.png`, numbered when taken.
pub fn default_out(prefix: &str, id: Option<&str>) -> PathBuf {
    match id {
        Some(id) if is_safe_file_stem(id) => PathBuf::from(format!("{prefix}-{id}.png")),
        _ => PathBuf::from(format!("{prefix}.png")),
    }
}

/// How to wait for a job: the client's options (adaptive, or the embedded
/// mock's clock), with `--poll-interval` and `--wait-timeout` applied.
pub fn wait_options(client: &Client, wait: &WaitArgs) -> WaitOptions {
    let options = client.wait_options().timeout(wait.wait_timeout);
    match wait.poll_interval {
        Some(interval) => options.interval(interval),
        None => options,
    }
}

/// Waits for the job with a spinner showing its state as the library
/// reports it, then downloads the image. Without a terminal the spinner
/// draws nothing, so each change of state is a plain line instead.
pub async fn wait_with_progress(job: &Job, options: WaitOptions) -> Result<GeneratedImage, Error> {
    let spinner = ProgressBar::new_spinner();
    spinner.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    spinner.enable_steady_tick(Duration::from_millis(120));
    spinner.set_message(format!("job {} submitted", job.request_id()));
    let mut last = None;
    let outcome = job
        .wait_with_progress(options, |update: &JobUpdate| {
            let mut message = format!(
                "job {} {} ({} check{}",
                job.request_id(),
                update.status,
                update.polls,
                if update.polls == 1 { "" } else { "s" }
            );
            if let Some(cost) = update.metrics.as_ref().and_then(|m| m.cost) {
                message.push_str(&format!(", ${cost:.3}"));
            }
            message.push(')');
            spinner.set_message(message.clone());
            // Without a terminal the spinner draws nothing: each change of
            // state is a plain line instead.
            if spinner.is_hidden() && last.as_ref() != Some(&update.status) {
                eprintln!("{message} after {:.1}s", update.elapsed.as_secs_f64());
            }
            last = Some(update.status.clone());
        })
        .await;
    spinner.finish_and_clear();
    // Storage may lag the job: a 404 is tried again, within a request's time.
    let limit = job.request_timeout().unwrap_or(Duration::from_secs(120));
    job.output_image_within(&outcome?, limit).await
}

/// Saves `image` at `out`, replacing a file there only when `overwrite`
/// and the image lands at `out` itself (its real format fits the
/// extension); any other file in the way gives the image a free name,
/// which is said. Prints the path written on stdout.
pub fn save(image: &GeneratedImage, out: &Path, overwrite: bool) -> Result<(), Failure> {
    let target = image.path_for(out);
    let written = if overwrite && target == out {
        image.save(out)?
    } else {
        image.save_new(out)?
    };
    if written != target {
        eprintln!(
            "{} exists; the image is saved as {} instead",
            target.display(),
            written.display()
        );
    }
    let mut details = vec![
        image.format().extension().to_uppercase(),
        format!("{} bytes", image.bytes().len()),
    ];
    if let Some(cost) = image.metadata().cost {
        details.push(format!("${cost:.3}"));
    }
    if let Some(credits) = image.metadata().remaining_credits {
        details.push(format!("{credits} credits left"));
    }
    eprintln!("saved {} ({})", written.display(), details.join(", "));
    println!("{}", written.display());
    Ok(())
}
