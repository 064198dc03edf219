//! Local input images on their way out: stored in Segmind's storage (the
//! route Segmind documents) or inlined as `data:` URIs, so that a request
//! holding files or bytes is sent with URLs only.

use bytes::Bytes;

use crate::decode::Answer;
use crate::error::{BodyKind, Error};
use crate::generated::{API, OperationKind, UploadAssetRequest, UploadAssetResponse};
use crate::image::{ImageEncoding, ImageFormat, encode_image};
use crate::input::ImageInput;
use crate::transport::{Exchange, Transport};
use crate::validation::Validate as _;
use crate::validation::checks::check_uri;

/// Stores checked image bytes of `format` and returns their persistent URL.
pub(crate) async fn upload(
    transport: &Transport,
    image: &[u8],
    format: ImageFormat,
) -> Result<String, Error> {
    let request = UploadAssetRequest::new([encode_image(image, format, ImageEncoding::DataUri)])?;
    request.validate()?;
    let body = serde_json::to_vec(&request)
        .map(Bytes::from)
        .map_err(|e| Error::ImageInput(format!("could not encode the upload: {e}")))?;
    let url = transport.operation_url(&API.upload_asset, &[])?;
    let exchange = Exchange::post(
        "upload",
        OperationKind::UploadAsset,
        url,
        body,
        BodyKind::Json,
    );
    transport
        .execute(&exchange, |answer: Answer| {
            let answer = answer.success()?;
            let stored: UploadAssetResponse = answer.json()?;
            let first = stored
                .file_urls
                .iter()
                .chain(stored.urls.iter())
                .flatten()
                .map(|u| u.trim())
                .find(|u| !u.is_empty());
            match first {
                // It goes into a request as a `format: uri` member.
                Some(url) if check_uri(url).is_ok() => Ok(url.to_owned()),
                Some(url) => Err(answer.decode_error(
                    Some("file_urls".into()),
                    format!("the upload's answer names {url:?}, which is not a URL"),
                )),
                None => Err(answer
                    .decode_error(Some("file_urls".into()), "the upload's answer names no URL")),
            }
        })
        .await
}

/// Replaces every image that is not a URL with one: the URL of its upload,
/// or its `data:` URI when `inline`. Every file is read and checked before
/// the first upload, so a bad one costs no request; a failed upload is
/// [`Error::Upload`].
pub(crate) async fn resolve(
    transport: &Transport,
    inline: bool,
    images: Vec<&mut ImageInput>,
) -> Result<(), Error> {
    let mut local = Vec::new();
    for image in images {
        if image.as_url().is_none() {
            let loaded = image.load()?;
            local.push((image, loaded));
        }
    }
    for (image, (bytes, format)) in local {
        let url = if inline {
            encode_image(&bytes, format, ImageEncoding::DataUri)
        } else {
            upload(transport, &bytes, format)
                .await
                .map_err(|e| Error::Upload(Box::new(e)))?
        };
        *image = ImageInput::url(url);
    }
    Ok(())
}
