//! The conformance corpus (`spec/answers/`) against the client. A stand-in
//! on 127.0.0.1 replays each recorded or documented answer; every decoder
//! of the client (one per call) reads every answer, and the decoder of the
//! answer's own operation makes of it what the corpus says. Whatever the
//! shape, a paid job's id and a result's images are never lost.

use std::time::Duration;

use segmind_ideogram::{
    AnswerClass, Billing, Client, Error, HistoryPage, HistoryQuery, IdeogramTxt2ImgRequest,
    ImageInput, JobResult, JobStatusResponse, OperationKind, RequestRecord, RetryPolicy,
    UserCredits,
};
use segmind_ideogram_tests::answers::{Answer, answers};
use serde_json::Value;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Where the corpus's outputs live; replayed from the stand-in instead.
const CDN: &str = "https://cdn.example";

/// A tiny real PNG (1×1), for the outputs a run downloads.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

/// The client's calls, one per decoder.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Call {
    Run,
    Submit,
    Status,
    Result,
    Credits,
    History,
    Record,
    Upload,
}

const CALLS: &[Call] = &[
    Call::Run,
    Call::Submit,
    Call::Status,
    Call::Result,
    Call::Credits,
    Call::History,
    Call::Record,
    Call::Upload,
];

impl Call {
    /// The call that reads answers of `operation` (the client has none
    /// for the legacy poll URL).
    fn of(operation: &str) -> Option<Call> {
        Some(match operation {
            "sync" => Call::Run,
            "submit" => Call::Submit,
            "job-status" => Call::Status,
            "job-result" => Call::Result,
            "credits" => Call::Credits,
            "request-history" => Call::History,
            "request-record" => Call::Record,
            "upload-asset" => Call::Upload,
            _ => return None,
        })
    }

    fn kind(self) -> OperationKind {
        match self {
            Call::Run => OperationKind::Sync,
            Call::Submit => OperationKind::Submit,
            Call::Status => OperationKind::JobStatus,
            Call::Result => OperationKind::JobResult,
            Call::Credits => OperationKind::Credits,
            Call::History => OperationKind::RequestHistory,
            Call::Record => OperationKind::RequestRecord,
            Call::Upload => OperationKind::UploadAsset,
        }
    }
}

/// What a call gave.
#[derive(Debug)]
enum Got {
    Image,
    Job(String),
    Status(JobStatusResponse),
    Result(JobResult),
    Credits(UserCredits),
    History(HistoryPage),
    Record(RequestRecord),
    Url(String),
}

fn kind_of(operation: &str) -> OperationKind {
    match operation {
        "job-poll-legacy" => OperationKind::JobPollLegacy,
        other => Call::of(other).expect("a known operation").kind(),
    }
}

/// A stand-in answering every API request with `answer` (its URLs of
/// outputs pointed at itself), and every output with a PNG.
async fn replay(answer: &Answer) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex("^/outputs/"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(PNG.to_vec(), "image/png"))
        .mount(&server)
        .await;
    let body = String::from_utf8(answer.bytes())
        .unwrap()
        .replace(CDN, &server.uri());
    let mut template =
        ResponseTemplate::new(answer.status).set_body_raw(body, answer.content_type().as_str());
    for (name, value) in &answer.headers {
        if !name.eq_ignore_ascii_case("content-type") {
            template = template.insert_header(name.as_str(), value.as_str());
        }
    }
    Mock::given(path_regex("^/(v1|v2|inference-request|upload-asset)"))
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

fn client(base: &str) -> Client {
    Client::builder()
        .api_key("corpus-key")
        .base_url(base)
        .history_base_url(base)
        .storage_base_url(base)
        .timeout(Duration::from_secs(5))
        .retry_policy(
            RetryPolicy::new()
                .max_attempts(2)
                .base_delay(Duration::from_millis(1))
                .max_delay(Duration::from_millis(2)),
        )
        .build()
        .unwrap()
}

async fn call(client: &Client, call: Call) -> Result<Got, Error> {
    let id = "47411f110c6fa4fe05dcb9ffed2c1962";
    let request = IdeogramTxt2ImgRequest::new("a lighthouse");
    Ok(match call {
        Call::Run => client.run(&request).await.map(|_| Got::Image)?,
        Call::Submit => Got::Job(client.submit(&request).await?.request_id().to_owned()),
        Call::Status => Got::Status(client.job(id)?.status().await?),
        Call::Result => Got::Result(client.job(id)?.result().await?),
        Call::Credits => Got::Credits(client.credits().await?),
        Call::History => Got::History(client.request_history(&HistoryQuery::new()).await?),
        Call::Record => Got::Record(client.request(id).await?),
        Call::Upload => Got::Url(client.upload(&ImageInput::bytes(PNG)).await?),
    })
}

/// The class the corpus names.
fn class(name: &str) -> AnswerClass {
    *AnswerClass::ALL
        .iter()
        .find(|c| c.name() == name)
        .unwrap_or_else(|| panic!("no class `{name}` in the spec"))
}

fn strings(value: &Value, base: &str) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().replace(CDN, base))
        .collect()
}

/// Checks what the answer's own decoder made of it against `expect`.
fn check(answer: &Answer, got: Result<Got, Error>, base: &str) {
    let name = &answer.name;
    let expect = &answer.expect;
    if let Some(class_name) = expect["class"].as_str() {
        let want = class(class_name);
        assert_eq!(
            kind_of(&answer.operation).answered(answer.status),
            want,
            "{name}: the spec classes it otherwise"
        );
        let err = got.expect_err(name);
        assert_eq!(err.status(), Some(answer.status), "{name}: {err}");
        let outcome = err.outcome();
        assert_eq!(outcome.billing(), want.billing(), "{name}");
        assert_eq!(outcome.retry(), want.retry(), "{name}");
        assert_eq!(outcome.is_fatal_for_batch(), want.stops_batch(), "{name}");
        return;
    }
    if let Some(message) = expect["job_failed"].as_str() {
        match got {
            Err(Error::JobFailed {
                message: got,
                request_id,
                ..
            }) => {
                assert_eq!(got, message, "{name}");
                assert!(!request_id.is_empty(), "{name}: the job id is kept");
            }
            other => panic!("{name}: expected JobFailed, got {other:?}"),
        }
        return;
    }
    let got = got.unwrap_or_else(|e| panic!("{name}: {e}"));
    match got {
        Got::Job(id) => assert_eq!(id, expect["job"].as_str().unwrap(), "{name}"),
        Got::Status(status) => {
            assert_eq!(status.status.as_str(), expect["status"], "{name}")
        }
        Got::Result(result) => {
            assert_eq!(result.status.as_str(), expect["status"], "{name}");
            assert_eq!(
                result.image_refs(),
                strings(&expect["images"], base),
                "{name}"
            );
        }
        Got::Credits(credits) => {
            assert_eq!(credits.credits, expect["credits"].as_f64(), "{name}");
            assert_eq!(
                credits.free_credits,
                expect["free_credits"].as_f64(),
                "{name}"
            );
        }
        Got::History(page) => {
            assert_eq!(
                page.records.len() as u64,
                expect["rows"].as_u64().unwrap(),
                "{name}"
            );
            let requests = page.requests();
            assert_eq!(
                requests.len() as u64,
                expect["requests"].as_u64().unwrap(),
                "{name}"
            );
            let cost: f64 = requests.iter().filter_map(|r| r.cost()).sum();
            assert!(
                (cost - expect["cost"].as_f64().unwrap()).abs() < 1e-9,
                "{name}: {cost}"
            );
        }
        Got::Record(record) => {
            assert_eq!(
                record.request_id.as_deref(),
                expect["request_id"].as_str(),
                "{name}"
            );
            assert_eq!(record.cost(), expect["cost"].as_f64(), "{name}");
        }
        Got::Url(url) => assert_eq!(url, expect["url"].as_str().unwrap(), "{name}"),
        Got::Image => panic!("{name}: no answer of the corpus is an image"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_means_what_the_corpus_says() {
    let corpus = answers();
    assert!(corpus.len() >= 40, "{} answers", corpus.len());
    for answer in &corpus {
        assert!(
            !answer.source.trim().is_empty(),
            "{}: no source",
            answer.name
        );
        match Call::of(&answer.operation) {
            Some(own) => {
                let server = replay(answer).await;
                let got = call(&client(&server.uri()), own).await;
                check(answer, got, &server.uri());
            }
            // The legacy poll URL: the client has no call; its document
            // is a result.
            None => {
                let got = match &answer.body {
                    Some(body) if answer.status < 400 => {
                        Ok(Got::Result(serde_json::from_value(body.clone()).unwrap()))
                    }
                    _ => Err(Error::Api {
                        kind: segmind_ideogram::ApiErrorKind::from_status(answer.status),
                        status: answer.status,
                        operation: OperationKind::JobPollLegacy,
                        message: String::new(),
                        body: String::new(),
                        retry_after: None,
                    }),
                };
                check(answer, got, CDN);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_decoder_reads_every_answer() {
    for answer in answers() {
        let server = replay(&answer).await;
        let client = client(&server.uri());
        let body_id = answer
            .body
            .as_ref()
            .and_then(|b| b.get("request_id"))
            .and_then(Value::as_str);
        for &which in CALLS {
            let name = format!("{} read by {which:?}", answer.name);
            let got = call(&client, which).await;
            match got {
                // A paid job's id is never lost to the rest of an answer.
                Ok(Got::Job(id)) => assert_eq!(Some(id.as_str()), body_id, "{name}"),
                Err(err) if which == Call::Submit && answer.status == 200 => {
                    assert!(body_id.is_none(), "{name}: the job id was lost: {err}");
                    assert_ne!(err.outcome().billing(), Billing::NotBilled, "{name}: {err}");
                }
                Ok(_) => assert!(answer.status < 400 || which == Call::Status, "{name}"),
                Err(err) => {
                    // An error status is classed as the spec says for the
                    // operation that got it.
                    if let Error::Api {
                        status, operation, ..
                    } = &err
                    {
                        assert_eq!(*status, answer.status, "{name}");
                        assert_eq!(*operation, which.kind(), "{name}");
                        let class = which.kind().answered(*status);
                        assert_eq!(err.outcome().billing(), class.billing(), "{name}");
                        assert_eq!(err.outcome().retry(), class.retry(), "{name}");
                    }
                    // A generation answered 200 that cannot be read may
                    // have been paid for: never "not billed".
                    if which == Call::Run && answer.status == 200 {
                        assert_ne!(err.outcome().billing(), Billing::NotBilled, "{name}: {err}");
                    }
                }
            }
        }
    }
}
