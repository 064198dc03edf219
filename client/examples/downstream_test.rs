//! How a crate that uses `segmind-ideogram` tests its own code offline,
//! against the mock: real HTTP on 127.0.0.1, no key, no cost. Run with
//! `cargo test -p segmind-ideogram --example downstream_test`.

use std::path::Path;

use segmind_ideogram::{Client, IdeogramImg2ImgRequest, ImageInput, Seed, V2Resolution};

/// What the downstream code returns: its own errors and the crate's.
pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The downstream code under test: restyles a local picture at a size.
pub async fn restyle(
    client: &Client,
    picture: &Path,
    (width, height): (u32, u32),
) -> Result<Vec<u8>> {
    // An unknown size is an error that names the nearest ones.
    let resolution = V2Resolution::from_size(width, height)?;
    // The file goes in as it is: the client uploads it to Segmind's storage
    // when it sends the request, and sends its URL.
    let request = IdeogramImg2ImgRequest::new(ImageInput::file(picture), "as a watercolour")
        .resolution(resolution)
        .seed(Seed::new(777)?);
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
    use segmind_ideogram::{Error, IdeogramTxt2ImgRequest};
    use segmind_ideogram_mock::MockServer;

    /// A client of `mock`, polling at the pace of its jobs.
    fn connect(mock: &MockServer) -> Result<Client> {
        Ok(Client::builder()
            .api_key("test-key")
            .base_url(mock.base_url())
            .wait_options(mock.wait_options())
            .build()?)
    }

    /// Width and height from a PNG's header.
    fn png_size(png: &[u8]) -> (u32, u32) {
        let be = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
        (be(16), be(20))
    }

    #[tokio::test]
    async fn restyle_uploads_the_picture_and_returns_a_png_of_the_size() -> Result<()> {
        let mock = MockServer::builder().api_key("test-key").start().await?;
        let client = connect(&mock)?;
        let dir = tempfile::tempdir()?;
        let picture = dir.path().join("in.png");
        let source = client
            .run(&IdeogramTxt2ImgRequest::new("a source picture"))
            .await?;
        let picture = source.save(&picture)?;

        let png = restyle(&client, &picture, (1280, 720)).await?;
        assert!(png.starts_with(b"\x89PNG"));
        assert_eq!(png_size(&png), (1280, 720));
        assert_eq!(mock.jobs_submitted(), 1);
        let sent = mock.accepted().last().expect("a job").body.clone();
        assert_eq!(sent["resolution"], "RESOLUTION_1280_720");
        assert_eq!(sent["seed"], 777);
        // Sent as the URL of its upload, which serves the picture.
        let url = sent["image_file"].as_str().expect("a URL");
        assert!(url.starts_with(mock.base_url()), "{url}");
        let stored = reqwest::get(url).await?.bytes().await?;
        assert_eq!(stored, source.bytes());
        Ok(())
    }

    #[tokio::test]
    async fn restyle_refuses_what_cannot_be_sent_before_sending_it() -> Result<()> {
        let mock = MockServer::builder().api_key("test-key").start().await?;
        let client = connect(&mock)?;
        let dir = tempfile::tempdir()?;
        let missing = dir.path().join("missing.png");

        let err = restyle(&client, &missing, (1, 1)).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "no value of V2Resolution is 1x1; the nearest: RESOLUTION_1024_1024, \
             RESOLUTION_896_960, RESOLUTION_960_896"
        );
        let err = restyle(&client, &missing, (1024, 1024)).await.unwrap_err();
        let err = err.downcast::<Error>()?;
        assert!(matches!(*err, Error::Io { .. }), "{err:?}");
        assert_eq!(mock.requests_received(), 0);
        Ok(())
    }
}
