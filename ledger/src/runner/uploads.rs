//! Local images of a run's requests go to Segmind's storage before the
//! requests are sent (uploads are free): each distinct file once per run,
//! each upload within the client's request timeout.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use segmind_ideogram::{AnyRequest, ImageInput};
use tokio::sync::OnceCell;

use super::Batch;

/// The uploads of a run, by file: a file is uploaded once.
pub type Uploads = Mutex<HashMap<PathBuf, Arc<OnceCell<String>>>>;

/// `request` with every local image replaced by its URL in Segmind's
/// storage; or why an image could not be uploaded.
pub async fn resolve(batch: &Batch, mut request: AnyRequest) -> Result<AnyRequest, String> {
    for image in request.images_mut() {
        if image.as_url().is_some() {
            continue;
        }
        let url = match image.as_file() {
            Some(path) => {
                let cell = {
                    let mut uploads = batch.uploads.lock().unwrap_or_else(|e| e.into_inner());
                    Arc::clone(uploads.entry(path.to_path_buf()).or_default())
                };
                cell.get_or_try_init(|| upload(batch, image)).await?.clone()
            }
            None => upload(batch, image).await?,
        };
        *image = url.into();
    }
    Ok(request)
}

/// One upload, all its attempts within the client's request timeout.
async fn upload(batch: &Batch, image: &ImageInput) -> Result<String, String> {
    let deadline = batch.deadline();
    match tokio::time::timeout(deadline, batch.client.upload(image)).await {
        Ok(uploaded) => uploaded.map_err(|e| e.to_string()),
        Err(_) => Err(format!(
            "no answer within {}",
            humantime::format_duration(deadline)
        )),
    }
}
