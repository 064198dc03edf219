//! The same calls without async (feature `blocking`).
//!
//! ```text
//! cargo run -p segmind-ideogram --features blocking --example blocking
//! ```

use segmind_ideogram::{IdeogramTxt2ImgRequest, MagicPromptOption};
use segmind_ideogram_mock::MockServer;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The mock runs on a runtime of its own, started for it. With a key,
    // use `blocking::Client::from_env()` instead.
    let mock = MockServer::start_blocking()?;
    let client = segmind_ideogram::blocking::Client::builder()
        .api_key("offline")
        .base_url(mock.base_url())
        .wait_options(mock.wait_options())
        .build_blocking()?;

    let request = IdeogramTxt2ImgRequest::new("a paper crane on a desk")
        .magic_prompt_option(MagicPromptOption::Off);
    let image = client.generate(&request)?;
    let path = image.save(std::env::temp_dir().join("crane.png"))?;
    println!(
        "{} ({} credits left)",
        path.display(),
        client.credits()?.credits.unwrap_or(0.0)
    );
    Ok(())
}
