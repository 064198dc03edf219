//! One synchronous generation (v1): the answer is the image itself.
//!
//! ```text
//! SEGMIND_API_KEY=... cargo run -p segmind-ideogram --example sync_image
//! cargo run -p segmind-ideogram --example sync_image   # offline, against the mock
//! ```

use segmind_ideogram::{Client, IdeogramTxt2ImgRequest, Seed, StyleType, V2Resolution};
use segmind_ideogram_mock::MockServer;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Segmind with your key, or a local stand-in when there is none.
    let (client, _mock) = match Client::from_env() {
        Ok(client) => (client, None),
        Err(_) => {
            let mock = MockServer::start().await?;
            let client = Client::builder()
                .api_key("offline")
                .base_url(mock.base_url())
                .build()?;
            (client, Some(mock))
        }
    };
    let request = IdeogramTxt2ImgRequest::new("a lighthouse at dusk, poster style")
        .style_type(StyleType::Design)
        .resolution(V2Resolution::Resolution1280_720)
        .seed(Seed::new(4242)?);
    let image = client.run(&request).await?;
    let path = image.save(std::env::temp_dir().join("lighthouse.png"))?;
    println!(
        "{} ({}, {} bytes, {:?} credits left)",
        path.display(),
        image.format(),
        image.bytes().len(),
        image.metadata().remaining_credits
    );
    Ok(())
}
