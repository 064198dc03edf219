//! One endpoint subcommand: dry run, sync call, or queued job with progress.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::ArgMatches;
use indicatif::{ProgressBar, ProgressStyle};
use segmind_ideogram::{EndpointInfo, Error, GeneratedImage, Job, JobStatus};

use crate::command::short_name;
use crate::connect::{Target, connect};
use crate::failure::Failure;
use crate::payload::{estimated_cost, for_display, request_from_matches};

pub async fn run(info: &'static EndpointInfo, m: &ArgMatches) -> Result<(), Failure> {
    let request = request_from_matches(info, m)?;
    if m.get_flag("dry-run") {
        let payload = serde_json::to_value(&request).map_err(|e| Failure::input(e.to_string()))?;
        let shown = serde_json::to_string_pretty(&for_display(&payload)).unwrap_or_default();
        println!(
            "POST /v1/{}\n{shown}\nestimated cost: {}",
            info.slug,
            estimated_cost(info)
        );
        return Ok(());
    }
    let connection = connect(&Target::from_matches(m)).await?;
    let out = m
        .get_one::<PathBuf>("out")
        .cloned()
        .unwrap_or_else(|| PathBuf::from(format!("{}.png", short_name(info.slug))));
    let image = if m.get_flag("async") {
        let wait = WaitFlags::from_matches(m);
        let job = connection.client.submit_any(&request).await?;
        eprintln!("submitted job {}", job.request_id());
        wait_with_progress(&job, &wait).await?
    } else {
        connection.client.run_any(&request).await?
    };
    save(&image, &out)
}

/// How to wait for a job, from `--poll-interval` and `--wait-timeout`.
pub struct WaitFlags {
    pub interval: Duration,
    pub timeout: Duration,
}

impl WaitFlags {
    pub fn from_matches(m: &ArgMatches) -> Self {
        let secs = m.get_one::<f64>("poll-interval").copied().unwrap_or(1.0);
        Self {
            interval: Duration::from_secs_f64(secs.clamp(0.01, 3600.0)),
            timeout: Duration::from_secs(m.get_one::<u64>("wait-timeout").copied().unwrap_or(600)),
        }
    }
}

/// Polls the job with a spinner showing its state and the time elapsed,
/// then downloads the image.
pub async fn wait_with_progress(job: &Job, wait: &WaitFlags) -> Result<GeneratedImage, Error> {
    let spinner = ProgressBar::new_spinner();
    spinner.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    spinner.enable_steady_tick(Duration::from_millis(120));
    let started = Instant::now();
    let mut last = None;
    let outcome = loop {
        let status = match job.status().await {
            Ok(status) => status.status,
            Err(e) => break Err(e),
        };
        spinner.set_message(format!("job {} {status}", job.request_id()));
        // Without a terminal the spinner draws nothing; log each change instead.
        if spinner.is_hidden() && last.as_ref() != Some(&status) {
            eprintln!(
                "job {} {status} after {:.1}s",
                job.request_id(),
                started.elapsed().as_secs_f64()
            );
        }
        match status {
            JobStatus::Completed | JobStatus::Failed => break job.result().await,
            _ => {}
        }
        if started.elapsed() + wait.interval > wait.timeout {
            break Err(Error::PollTimeout {
                request_id: job.request_id().to_owned(),
                last_status: Some(status),
            });
        }
        last = Some(status);
        tokio::time::sleep(wait.interval).await;
    };
    spinner.finish_and_clear();
    let result = outcome?;
    job.output_image(&result).await
}

pub fn save(image: &GeneratedImage, out: &std::path::Path) -> Result<(), Failure> {
    let written = image.save(out)?;
    let mut details = vec![
        image.format().extension().to_uppercase(),
        format!("{} bytes", image.bytes().len()),
    ];
    if let Some(credits) = image.metadata().remaining_credits {
        details.push(format!("{credits} credits left"));
    }
    eprintln!("saved {} ({})", written.display(), details.join(", "));
    println!("{}", written.display());
    Ok(())
}
