//! Requests that hold local images (`ImageInput::file`, `ImageInput::bytes`):
//! the client sends them as URLs from Segmind's storage (against the mock,
//! which serves storage at its base URL) or as `data:` URIs, and a bad
//! file, an invalid request or a failed upload sends no generation.

use crate::common;

use std::path::PathBuf;

use common::{JPEG, png};
use segmind_ideogram::{
    AnyRequest, Client, ClientBuilder, Delivery, Error, Ideogram3ReframeRequest,
    IdeogramImg2ImgRequest, ImageInput, StyleCode, V3Resolution,
};
use segmind_ideogram_mock::MockServer;
use serde_json::{Value, json};

fn builder(mock: &MockServer) -> ClientBuilder {
    Client::builder()
        .api_key("k")
        .base_url(mock.base_url())
        .wait_options(mock.wait_options())
}

/// A PNG file in a fresh directory (kept alive by the returned guard).
fn png_file() -> (tempfile::TempDir, PathBuf, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.png");
    let pixels = png(3, 2);
    std::fs::write(&path, &pixels).unwrap();
    (dir, path, pixels)
}

/// A reframe of a local file, styled after some bytes.
fn reframe(file: &std::path::Path) -> Ideogram3ReframeRequest {
    Ideogram3ReframeRequest::new(ImageInput::file(file))
        .resolution(V3Resolution::Size1280x800)
        .style_reference_images([ImageInput::bytes(JPEG)])
}

/// The body of the last generation the mock accepted.
fn last_body(mock: &MockServer) -> Value {
    mock.accepted().last().expect("a generation").body.clone()
}

/// The bytes behind a URL the mock's storage gave.
async fn stored(mock: &MockServer, url: &Value) -> Vec<u8> {
    let url = url.as_str().expect("a URL");
    assert!(url.starts_with(mock.base_url()), "{url}");
    reqwest::get(url)
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec()
}

#[tokio::test]
async fn files_and_bytes_are_uploaded_and_sent_as_storage_urls() {
    let mock = MockServer::start().await.unwrap();
    let client = builder(&mock).build().unwrap();
    let (_dir, path, pixels) = png_file();
    let request = reframe(&path);

    client.run(&request).await.unwrap();
    let body = last_body(&mock);
    assert_eq!(stored(&mock, &body["image"]).await, pixels);
    assert_eq!(
        stored(&mock, &body["style_reference_images"][0]).await,
        JPEG
    );
    assert_eq!(body["resolution"], "1280x800");
    // Two uploads, then the generation; the request itself still holds the file.
    assert_eq!((mock.requests_received(), mock.sync_calls()), (3, 1));
    assert_eq!(request.image, ImageInput::file(&path));

    // The same through the queue, and for a request chosen at run time.
    let job = client.submit(&request).await.unwrap();
    job.wait().await.unwrap();
    assert_eq!(stored(&mock, &last_body(&mock)["image"]).await, pixels);
    client.run_any(&AnyRequest::from(request)).await.unwrap();
    assert_eq!(stored(&mock, &last_body(&mock)["image"]).await, pixels);
    assert_eq!(mock.accepted().len(), 3);
}

#[tokio::test]
async fn inline_images_are_sent_as_data_uris_without_uploads() {
    let mock = MockServer::start().await.unwrap();
    let client = builder(&mock).inline_images(true).build().unwrap();
    let (_dir, path, _) = png_file();

    client.run(&reframe(&path)).await.unwrap();
    let body = last_body(&mock);
    assert_eq!(
        body["image"],
        json!(ImageInput::file(&path).to_data_uri().unwrap())
    );
    assert!(
        body["image"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,iVBOR")
    );
    assert_eq!(
        body["style_reference_images"],
        json!([ImageInput::bytes(JPEG).to_data_uri().unwrap()])
    );
    assert_eq!(mock.requests_received(), 1, "no upload");
    // What `Serialize` writes for a request of files and bytes is what was sent.
    assert_eq!(serde_json::to_value(reframe(&path)).unwrap(), body);
}

#[tokio::test]
async fn urls_are_sent_as_they_are() {
    let mock = MockServer::start().await.unwrap();
    let client = builder(&mock).build().unwrap();
    let url = "https://example.com/in.png";
    client
        .run(&IdeogramImg2ImgRequest::new(url, "at night"))
        .await
        .unwrap();
    assert_eq!(last_body(&mock)["image_file"], url);
    assert_eq!(mock.requests_received(), 1);
}

#[tokio::test]
async fn a_missing_or_unfit_file_sends_nothing() {
    let mock = MockServer::start().await.unwrap();
    let (dir, good, _) = png_file();
    let missing = dir.path().join("missing.png");
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not an image").unwrap();
    for inline in [false, true] {
        let client = builder(&mock).inline_images(inline).build().unwrap();
        let request = IdeogramImg2ImgRequest::new(ImageInput::file(&missing), "x");
        for err in [
            client.run(&request).await.unwrap_err(),
            client.submit(&request).await.map(|_| ()).unwrap_err(),
            client.generate(&request).await.map(|_| ()).unwrap_err(),
            client.run_any(&request.into()).await.unwrap_err(),
        ] {
            let Error::Io { path, .. } = &err else {
                panic!("expected Io, got {err:?}");
            };
            assert_eq!(path.as_deref(), Some(missing.as_path()));
            assert!(err.to_string().contains("missing.png"), "{err}");
            assert_eq!(err.delivery(), Delivery::Local);
        }
        // A good image first and a bad one after: the good one is not
        // uploaded either, since every file is checked before any upload.
        let err = client
            .run(
                &Ideogram3ReframeRequest::new(ImageInput::file(&good))
                    .style_reference_images([ImageInput::file(&text)]),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, Error::ImageInput(_)), "{err:?}");
    }
    assert_eq!(mock.requests_received(), 0);
}

#[tokio::test]
async fn an_invalid_request_uploads_nothing() {
    let mock = MockServer::start().await.unwrap();
    let client = builder(&mock).build().unwrap();
    let both = Ideogram3ReframeRequest::new(ImageInput::bytes(png(2, 2)))
        .style_codes([StyleCode::new("AAFF5733").unwrap()])
        .style_reference_images([ImageInput::bytes(JPEG)]);
    let err = client.run(&both).await.unwrap_err();
    let Error::InvalidRequest(errors) = &err else {
        panic!("expected InvalidRequest, got {err:?}");
    };
    let rules: Vec<_> = errors.violations().iter().map(|v| v.rule.code()).collect();
    assert_eq!(rules, ["not_both_non_empty"]);
    assert_eq!(mock.requests_received(), 0);
}

mod failed_uploads {
    use super::*;
    use common::{image, json as answer};
    use segmind_ideogram::{API, ApiErrorKind};
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer};

    /// A server whose storage answers `upload`, and that would make images.
    async fn server(upload: wiremock::ResponseTemplate) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(API.upload_asset.path))
            .respond_with(upload)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/v1/ideogram-img-2-img"))
            .respond_with(image(&png(2, 2), "image/png"))
            .expect(0)
            .mount(&server)
            .await;
        server
    }

    #[tokio::test]
    async fn say_it_was_the_upload_and_send_no_generation() {
        let server = server(answer(500, json!({"error": "storage is down"}))).await;
        let client = common::client(&server.uri());
        let request = IdeogramImg2ImgRequest::new(ImageInput::bytes(png(2, 2)), "x");
        let err = client.run(&request).await.unwrap_err();
        let Error::Upload(upload) = &err else {
            panic!("expected Upload, got {err:?}");
        };
        assert_eq!(upload.api_kind(), Some(ApiErrorKind::Internal));
        assert!(
            err.to_string()
                .starts_with("uploading an input image to Segmind's storage failed: "),
            "{err}"
        );
        assert!(err.to_string().contains("storage is down"), "{err}");
        assert_eq!(err.status(), Some(500));
        assert!(err.is_retryable());
        assert_eq!(err.delivery(), Delivery::NotSent);
    }

    #[tokio::test]
    async fn an_answer_without_a_usable_url_is_an_upload_error() {
        let server = server(answer(200, json!({"file_urls": ["in.png"]}))).await;
        let client = common::client(&server.uri());
        let request = IdeogramImg2ImgRequest::new(ImageInput::bytes(png(2, 2)), "x");
        let err = client.run(&request).await.unwrap_err();
        let Error::Upload(upload) = &err else {
            panic!("expected Upload, got {err:?}");
        };
        assert!(matches!(**upload, Error::Decode { .. }), "{upload:?}");
        assert!(err.to_string().contains("not a URL"), "{err}");
    }
}
