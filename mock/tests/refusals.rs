//! Refusals that cost nothing: 406 with its three messages (credits,
//! content type, spend limit) and 410 for a retired model.

use crate::common;

use common::{KEY, charge, close, error_of, keyed, post, post_raw, start};
use reqwest::StatusCode;
use segmind_ideogram::{ApiErrorKind, Client, IdeogramTxt2ImgRequest};
use segmind_ideogram_mock::MockServer;
use serde_json::json;

const TXT: &str = "ideogram-txt-2-img";

#[tokio::test]
async fn each_cause_of_406_has_its_own_message_and_none_is_charged() {
    let body = json!({"prompt": "a panda"});

    let price = charge(TXT);
    let poor = start(keyed().initial_credits(price * 0.8)).await;
    let (status, credits) = error_of(post(&poor, &format!("/v2/{TXT}"), &body).await).await;
    assert_eq!(status, StatusCode::NOT_ACCEPTABLE);
    assert!(credits.contains("credits"), "{credits}");
    assert!(close(poor.credits(), price * 0.8));

    let capped = start(keyed().spend_limit(2.0 * price)).await;
    let text = post_raw(
        &capped,
        &format!("/v1/{TXT}"),
        "text/plain",
        body.to_string(),
    )
    .await;
    let (status, content_type) = error_of(text).await;
    assert_eq!(status, StatusCode::NOT_ACCEPTABLE);
    assert!(content_type.contains("Content-Type"), "{content_type}");

    for path in [format!("/v1/{TXT}"), format!("/v2/{TXT}")] {
        assert_eq!(
            post(&capped, &path, &body).await.status(),
            StatusCode::OK,
            "under the limit"
        );
    }
    let spent = 100.0 - capped.credits();
    assert!(close(spent, 2.0 * price), "{spent}");
    for path in [format!("/v1/{TXT}"), format!("/v2/{TXT}")] {
        let (status, limit) = error_of(post(&capped, &path, &body).await).await;
        assert_eq!(status, StatusCode::NOT_ACCEPTABLE, "{path}");
        assert!(limit.contains("spend limit"), "{limit}");
        assert!(!limit.contains("credits") && !limit.contains("Content-Type"));
    }
    assert!(
        close(100.0 - capped.credits(), spent),
        "a 406 is not charged"
    );
    assert_eq!((capped.sync_calls(), capped.jobs_submitted()), (1, 1));

    let messages = [credits, content_type, limit_message(&capped).await];
    for (i, a) in messages.iter().enumerate() {
        for b in &messages[i + 1..] {
            assert_ne!(a, b, "the message is all that tells them apart");
        }
    }
}

async fn limit_message(server: &MockServer) -> String {
    error_of(post(server, &format!("/v1/{TXT}"), &json!({"prompt": "p"})).await)
        .await
        .1
}

#[tokio::test]
async fn a_spend_limit_refuses_jobs_that_would_cost_nothing_too() {
    let server = start(keyed().spend_limit(charge(TXT)).fail_word("blocked")).await;
    let blocked = json!({"prompt": "blocked"});
    // A content block costs nothing, so it spends nothing toward the limit.
    let failed = post(&server, &format!("/v1/{TXT}"), &blocked).await;
    assert_eq!(failed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let paid = post(&server, &format!("/v1/{TXT}"), &json!({"prompt": "p"})).await;
    assert_eq!(paid.status(), StatusCode::OK);
    let refused = post(&server, &format!("/v2/{TXT}"), &blocked).await;
    assert_eq!(refused.status(), StatusCode::NOT_ACCEPTABLE);
    assert_eq!(server.jobs_submitted(), 0);
}

#[tokio::test]
async fn retired_slugs_answer_410_gone_stay_in_the_registry_and_cost_nothing() {
    let retired = ["ideogram-img-2-img", TXT];
    let server = start(keyed().retired(retired[0]).retired(retired[1])).await;
    let body = json!({"prompt": "a panda", "image_file": "https://e.com/a.png"});
    for slug in retired {
        assert!(segmind_ideogram::endpoint(slug).is_some(), "{slug}");
        for version in ["v1", "v2"] {
            let (status, message) =
                error_of(post(&server, &format!("/{version}/{slug}"), &body).await).await;
            assert_eq!(status, StatusCode::GONE, "{version}/{slug}");
            assert!(message.contains("retired"), "{message}");
        }
    }
    let live = post(
        &server,
        "/v1/ideogram-3-reframe",
        &json!({"image": "https://e.com/a.png"}),
    )
    .await;
    assert_eq!(live.status(), StatusCode::OK, "other slugs are served");
    let price = 100.0 - server.credits();
    assert_eq!(server.sync_calls(), 1);

    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.base_url())
        .build()
        .unwrap();
    let error = client
        .run(&IdeogramTxt2ImgRequest::new("a panda"))
        .await
        .unwrap_err();
    assert_eq!(error.api_kind(), Some(ApiErrorKind::Gone), "{error}");
    assert!(close(100.0 - server.credits(), price), "410 is not charged");
}
