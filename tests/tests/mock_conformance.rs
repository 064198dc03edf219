//! Mock conformance: every example in `spec/examples/` is answered as it
//! specifies, and over the spec-derived corpus the mock accepts exactly what
//! the generated validators accept.

use segmind_ideogram::AnyRequest;
use segmind_ideogram_mock::MockServer;
use segmind_ideogram_tests::corpus::corpus;
use segmind_ideogram_tests::{examples, request_schema_name, spec};
use serde_json::Value;

/// A mock whose credits never run out.
async fn rich_server() -> MockServer {
    MockServer::builder()
        .initial_credits(1e9)
        .start()
        .await
        .unwrap()
}

async fn submit(
    client: &reqwest::Client,
    server: &MockServer,
    slug: &str,
    body: &Value,
) -> (u16, Value) {
    let response = client
        .post(format!("{}/v2/{slug}", server.base_url()))
        .header("x-api-key", "k")
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn every_example_is_answered_as_specified() {
    let server = rich_server().await;
    let client = reqwest::Client::new();
    for example in examples() {
        let response = client
            .post(format!("{}/v1/{}", server.base_url(), example.slug))
            .header("x-api-key", "k")
            .json(&example.request)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        if example.violations.is_empty() {
            assert_eq!(status, 200, "{}/{}", example.slug, example.name);
            let bytes = response.bytes().await.unwrap();
            assert_eq!(&bytes[..4], b"\x89PNG");
        } else {
            assert_eq!(status, 422, "{}/{}", example.slug, example.name);
            let body: Value = response.json().await.unwrap();
            let message = body["error"].as_str().unwrap();
            for (path, _) in &example.violations {
                let shown = if path.is_empty() {
                    "request:"
                } else {
                    path.as_str()
                };
                assert!(
                    message.contains(shown),
                    "{}/{}: `{shown}` not in {message}",
                    example.slug,
                    example.name
                );
            }
        }
    }
}

#[tokio::test]
async fn the_mock_accepts_exactly_what_the_generated_validators_accept() {
    let server = rich_server().await;
    let client = reqwest::Client::new();
    let spec = spec();
    let (mut accepted, mut rejected) = (0, 0);
    for info in segmind_ideogram::ENDPOINTS {
        for payload in corpus(&spec, &request_schema_name(&spec, info.slug)) {
            let valid = AnyRequest::from_json(info.slug, &payload).unwrap().is_ok();
            let (status, body) = submit(&client, &server, info.slug, &payload).await;
            if valid {
                assert_eq!(
                    status, 200,
                    "{}: valid payload refused: {payload} -> {body}",
                    info.slug
                );
                assert_eq!(body["status"], "QUEUED");
                accepted += 1;
            } else {
                assert_eq!(
                    status, 422,
                    "{}: invalid payload answered {status}: {payload}",
                    info.slug
                );
                rejected += 1;
            }
        }
    }
    assert_eq!(server.jobs_submitted(), accepted);
    // Both verdicts are common, whatever the corpus's size.
    let total = accepted + rejected;
    assert!(total > 0, "the corpus is empty");
    assert!(
        accepted * 10 >= total && rejected * 10 >= total,
        "{accepted} accepted, {rejected} rejected"
    );
}

/// A small seeded generator, so a failing case can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

/// Values of every JSON type, near the spec's edges and far from them.
fn random_value(rng: &mut Rng) -> Value {
    let pool = [
        serde_json::json!(null),
        serde_json::json!(true),
        serde_json::json!(0),
        serde_json::json!(99),
        serde_json::json!(100),
        serde_json::json!(999_999),
        serde_json::json!(1_000_000),
        serde_json::json!(50),
        serde_json::json!(0.05),
        serde_json::json!(1.5),
        serde_json::json!("AUTO"),
        serde_json::json!("RESOLUTION_1024_1024"),
        serde_json::json!("1024x1024"),
        serde_json::json!("GENERAL"),
        serde_json::json!("QUALITY"),
        serde_json::json!("https://example.com/a.png"),
        serde_json::json!("not a uri"),
        serde_json::json!("AAFF5733"),
        serde_json::json!(["AAFF5733"]),
        serde_json::json!(["https://example.com/b.png"]),
        serde_json::json!([]),
        serde_json::json!({"name": "PASTEL"}),
        serde_json::json!({"members": [{"color_hex": "#fff", "color_weight": 0.5}]}),
        serde_json::json!({"members": []}),
        serde_json::json!({}),
    ];
    rng.pick(&pool).clone()
}

#[tokio::test]
async fn random_mutations_of_valid_examples_get_the_validators_verdict() {
    let server = rich_server().await;
    let client = reqwest::Client::new();
    let valid: Vec<_> = examples()
        .into_iter()
        .filter(|e| e.violations.is_empty())
        .collect();
    // Every member of every endpoint, and one none has.
    let mut keys: Vec<&str> = segmind_ideogram::ENDPOINTS
        .iter()
        .flat_map(|e| e.fields.iter().map(|f| f.name))
        .chain(["surprise"])
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let mut rng = Rng(0x5EED_1DEA);
    let (mut accepted, mut rejected) = (0, 0);
    let cases = 400;
    for case in 0..cases {
        let example = rng.pick(&valid);
        let mut payload = example.request.clone();
        for _ in 0..=(rng.next() % 3) {
            let key = *rng.pick(&keys);
            if rng.next().is_multiple_of(4) {
                payload.as_object_mut().unwrap().remove(key);
            } else {
                payload[key] = random_value(&mut rng);
            }
        }
        let valid = AnyRequest::from_json(&example.slug, &payload)
            .unwrap()
            .is_ok();
        let (status, body) = submit(&client, &server, &example.slug, &payload).await;
        assert_eq!(
            status == 200,
            valid,
            "case {case} ({}): validators say {valid}, mock answered {status} {body} for {payload}",
            example.slug
        );
        if valid { accepted += 1 } else { rejected += 1 }
    }
    assert!(
        accepted * 10 >= cases && rejected * 10 >= cases,
        "{accepted} accepted, {rejected} rejected"
    );
}
