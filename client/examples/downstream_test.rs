//! How a crate that uses `segmind-ideogram` tests its own code offline,
//! against the mock: real HTTP on 127.0.0.1, no key, no cost. Run with
//! `cargo test -p segmind-ideogram --example downstream_test`.

use segmind_ideogram::{Client, IdeogramImg2ImgRequest, ImageInput, Seed};

/// The downstream code under test: restyles a local picture.
pub async fn restyle(
    client: &Client,
    picture: &std::path::Path,
) -> segmind_ideogram::Result<Vec<u8>> {
    // A local file goes to Segmind's storage; the request takes its URL.
    let image_url = client.upload(&ImageInput::file(picture)).await?;
    let request = IdeogramImg2ImgRequest::new(image_url, "as a watercolour").seed(Seed::new(777)?);
    let job = client.submit(&request).await?;
    let result = job.wait().await?;
    Ok(job.output_image(&result).await?.into_bytes().to_vec())
}

fn main() {
    println!("run it with: cargo test -p segmind-ideogram --example downstream_test");
}

#[cfg(test)]
mod tests {
    use super::*;
    use segmind_ideogram_mock::MockServer;

    #[tokio::test]
    async fn restyle_sends_one_job_and_returns_a_png() -> Result<(), Box<dyn std::error::Error>> {
        let mock = MockServer::builder().api_key("test-key").start().await?;
        let client = Client::builder()
            .api_key("test-key")
            .base_url(mock.base_url())
            .wait_options(mock.wait_options())
            .build()?;
        let dir = tempfile::tempdir()?;
        let picture = dir.path().join("in.png");
        let source = client
            .run(&segmind_ideogram::IdeogramTxt2ImgRequest::new(
                "a source picture",
            ))
            .await?;
        source.save(&picture)?;

        let png = restyle(&client, &picture).await?;
        assert!(png.starts_with(b"\x89PNG"));
        assert_eq!(mock.jobs_submitted(), 1);
        let accepted = mock.accepted();
        let sent = &accepted.last().expect("a job").body;
        assert!(
            sent["image_file"]
                .as_str()
                .unwrap()
                .starts_with(mock.base_url())
        );
        assert_eq!(sent["seed"], 777);
        Ok(())
    }
}
