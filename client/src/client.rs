//! The async client: synchronous (v1) generations and queued (v2) jobs.
//! Every call is a thin typed wrapper: validate, serialize, and hand the
//! bytes to the transport, which is the same for every endpoint.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;
use tokio::time::Instant;

use crate::api_key::ApiKey;
use crate::config::{API_KEY_ENV, ClientBuilder};
use crate::decode::{self, Answer, ImageBody};
use crate::endpoint::{Endpoint, EndpointInfo};
use crate::error::{BodyKind, Error};
use crate::generated::{AnyRequest, OperationKind};
use crate::image::GeneratedImage;
use crate::input::ImageInput;
use crate::poll::{Job, JobHandle, Submitted};
use crate::retry::RetryPolicy;
use crate::session::Session;
use crate::transport::{BeforeSend, Exchange, Transport};
use crate::upload;
use crate::validation::{Path, Rule, ValidationErrors, Violation};
use crate::wait::{Estimate, LatencyBook, WaitOptions};

/// A Segmind client. Cheap to clone: clones share one connection pool and
/// what the client has learned about job times.
///
/// ```no_run
/// use segmind_ideogram::{Client, IdeogramTxt2ImgRequest};
///
/// # async fn demo() -> Result<(), segmind_ideogram::Error> {
/// let client = Client::from_env()?;
/// let image = client.generate(&IdeogramTxt2ImgRequest::new("a lighthouse at dusk")).await?;
/// let written = image.save("lighthouse.png")?;
/// println!("{} ({})", written.display(), image.format());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) session: Arc<Session>,
}

impl ClientBuilder {
    /// The client, or what is wrong with the settings.
    pub fn build(self) -> Result<Client, Error> {
        let key = self.api_key.clone().ok_or_else(|| {
            Error::Config(format!("no API key: set {API_KEY_ENV} or call api_key()"))
        })?;
        let transport = Transport::new(&self, key)?;
        Ok(Client {
            session: Arc::new(Session {
                transport,
                latency: LatencyBook::default(),
                wait: self.wait,
                inline_images: self.inline_images,
            }),
        })
    }
}

impl Client {
    /// Settings to build a client from.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client with default settings and this key.
    pub fn new(api_key: impl Into<ApiKey>) -> Result<Self, Error> {
        Self::builder().api_key(api_key).build()
    }

    /// A client with default settings and the key in `SEGMIND_API_KEY`.
    pub fn from_env() -> Result<Self, Error> {
        let builder = Self::builder().api_key_from_env();
        if builder.api_key.is_none() {
            return Err(Error::Config(format!("{API_KEY_ENV} is not set")));
        }
        builder.build()
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.session.transport.base().as_str()
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        self.session.transport.retry_policy()
    }

    /// How long one attempt of a request may take (`None`: unbounded): after
    /// that, an attempt that was not answered is abandoned, so a request
    /// sent at `t` cannot reach Segmind after `t` plus this.
    pub fn request_timeout(&self) -> Option<std::time::Duration> {
        self.session.transport.request_timeout()
    }

    /// How [`generate`](Self::generate) and [`Job::wait`] wait for a job.
    pub fn wait_options(&self) -> WaitOptions {
        self.session.wait.clone()
    }

    /// One synchronous generation (`POST /v1/{slug}`): the image itself.
    ///
    /// The request is validated first; an invalid one is
    /// [`Error::InvalidRequest`] with every violation, and nothing is sent.
    /// Then its local images ([`ImageInput`] files and bytes) are read,
    /// checked and uploaded to Segmind's storage, or inlined as `data:` URIs
    /// ([`ClientBuilder::inline_images`]): a file that cannot be read or is
    /// no image Segmind takes is [`Error::Io`] or [`Error::ImageInput`], and
    /// a failed upload [`Error::Upload`], with no generation sent.
    /// The answer may be the image bytes or the JSON form (base64, `data:`
    /// URI, or a URL that is then downloaded).
    ///
    /// The POST is repeated only when Segmind certainly did no work: the
    /// connection failed before it was written, or the answer was 429. Any
    /// other failure (a 5xx, a timeout, a dropped connection) is returned,
    /// because a generation may have been billed; [`Error::delivery`] says
    /// whether the request was sent.
    pub async fn run<E: Endpoint>(&self, request: &E) -> Result<GeneratedImage, Error> {
        self.run_request(E::INFO, request).await
    }

    /// [`run`](Self::run) for a request whose endpoint is chosen at run time.
    pub async fn run_any(&self, request: &AnyRequest) -> Result<GeneratedImage, Error> {
        self.run_request(request.info(), request).await
    }

    async fn run_request<R: Outgoing>(
        &self,
        info: &EndpointInfo,
        request: &R,
    ) -> Result<GeneratedImage, Error> {
        let body = self.body(request).await?;
        let transport = &self.session.transport;
        let url = transport.url(info.sync_path, &[])?;
        let exchange =
            Exchange::submission(info.slug, OperationKind::Sync, url, body, BodyKind::Image);
        let (image, metadata) = transport
            .execute(&exchange, |answer: Answer| {
                let answer = answer.success()?;
                Ok((
                    decode::image_body(&answer)?,
                    decode::metadata(&answer.headers),
                ))
            })
            .await?;
        match image {
            ImageBody::Image(bytes, format) => Ok(GeneratedImage::new(bytes, format, metadata)),
            ImageBody::Url(url) => {
                let request_id = metadata.request_id.clone();
                transport
                    .download_image(&url, metadata)
                    .await
                    .map_err(|e| Error::AfterPayment {
                        request_id,
                        output_url: Some(url.to_string()),
                        source: Box::new(e),
                    })
            }
        }
    }

    /// Queues a generation (`POST /v2/{slug}`) and returns its job, whose id
    /// is known before the job can cost anything. Validated, its local
    /// images sent, and repeated only, as in [`run`](Self::run).
    ///
    /// # Cancellation
    ///
    /// Dropping the returned future (a `tokio::time::timeout`, a `select!`)
    /// after the POST went out may leave a job Segmind queued and bills,
    /// whose id the caller never learns: only the request history can tell.
    /// `segmind-ideogram-ledger` records each attempt before it is sent and
    /// reconciles such attempts; use it when that matters.
    pub async fn submit<E: Endpoint>(&self, request: &E) -> Result<Job, Error> {
        self.submit_request(E::INFO, request, None).await
    }

    /// [`submit`](Self::submit) for a request whose endpoint is chosen at run time.
    pub async fn submit_any(&self, request: &AnyRequest) -> Result<Job, Error> {
        self.submit_request(request.info(), request, None).await
    }

    /// [`submit_any`](Self::submit_any) that calls `before_send` right
    /// before each attempt of the POST is sent (after the validation, the
    /// uploads and the pacer's turn). When the hook fails, that attempt is
    /// not made and the call ends with [`Error::BeforeSend`]: nothing was
    /// sent that Segmind could have acted on.
    ///
    /// This is how a caller keeps a write-ahead record whose time is the
    /// time of sending, not of queueing: `ideogram batch` appends and syncs
    /// a journal line here, so that a crash between the POST and its answer
    /// is looked up in the request history from the right moment.
    pub async fn submit_any_with_hook(
        &self,
        request: &AnyRequest,
        before_send: &(dyn Fn() -> std::io::Result<()> + Send + Sync),
    ) -> Result<Job, Error> {
        self.submit_request(request.info(), request, Some(before_send))
            .await
    }

    /// The JSON body of `request`: validated, then with every local image
    /// resolved on a copy (uploaded, or inlined), so that what is sent holds
    /// URLs only. Validating first means an invalid request costs no
    /// upload; the URLs put in are URIs (`data:` ones, or the checked
    /// answer of an upload), so the copy is as valid as the request.
    async fn body<R: Outgoing>(&self, request: &R) -> Result<Bytes, Error> {
        request.check()?;
        if request
            .images()
            .iter()
            .all(|image| image.as_url().is_some())
        {
            return serialize(request);
        }
        let mut resolved = request.clone();
        let session = &self.session;
        upload::resolve(
            &session.transport,
            session.inline_images,
            resolved.images_mut(),
        )
        .await?;
        serialize(&resolved)
    }

    async fn submit_request<R: Outgoing>(
        &self,
        info: &'static EndpointInfo,
        request: &R,
        before_send: Option<&BeforeSend<'_>>,
    ) -> Result<Job, Error> {
        // Before anything is uploaded for it.
        let Some(path) = info.submit_path else {
            return Err(Error::Unsupported(format!(
                "{} has no queued (v2) API",
                info.slug
            )));
        };
        let body = self.body(request).await?;
        let transport = &self.session.transport;
        let url = transport.url(path, &[])?;
        let exchange = Exchange {
            before_send,
            ..Exchange::submission(info.slug, OperationKind::Submit, url, body, BodyKind::Json)
        };
        // Only a server on this machine may set the schedule: a proxy or a
        // stranger announcing a day would hold the first poll back.
        let local = crate::config::is_loopback(&exchange.url);
        let (submitted, announced) = transport
            .execute(&exchange, |answer: Answer| {
                let announced = Estimate::announced(&answer.headers).filter(|_| local);
                Ok((decode::job_submitted(&answer.success()?)?, announced))
            })
            .await?;
        let handle = JobHandle {
            request_id: submitted.request_id,
            status_url: submitted.status_url.unwrap_or_default(),
            response_url: submitted.response_url.unwrap_or_default(),
        };
        Job::new(
            Arc::clone(&self.session),
            handle,
            Some(info),
            Some(Submitted {
                at: Instant::now(),
                announced,
            }),
        )
    }

    /// The job with this id, for one submitted earlier (by this process or
    /// another): `{base}/v2/requests/{id}/status` and `{base}/v2/requests/{id}`.
    /// An id that cannot be one (empty, `..`, with `/` or whitespace…) is
    /// [`Error::InvalidJobId`].
    pub fn job(&self, request_id: impl Into<String>) -> Result<Job, Error> {
        self.resume(JobHandle::new(request_id))
    }

    /// The job a stored [`JobHandle`] describes. Its URLs are used only when
    /// they share the base URL's origin (the key is sent to them); others,
    /// and missing ones, are rebuilt from the id.
    pub fn resume(&self, handle: JobHandle) -> Result<Job, Error> {
        Job::new(Arc::clone(&self.session), handle, None, None)
    }

    /// Submits, waits with the client's [`WaitOptions`], and downloads the
    /// output: the queued counterpart of [`run`](Self::run).
    pub async fn generate<E: Endpoint>(&self, request: &E) -> Result<GeneratedImage, Error> {
        self.generate_with(request, self.wait_options()).await
    }

    /// [`generate`](Self::generate) for a request whose endpoint is chosen
    /// at run time.
    pub async fn generate_any(&self, request: &AnyRequest) -> Result<GeneratedImage, Error> {
        let job = self.submit_any(request).await?;
        finish(&job, self.wait_options()).await
    }

    /// [`generate`](Self::generate) with other wait options.
    pub async fn generate_with<E: Endpoint>(
        &self,
        request: &E,
        options: WaitOptions,
    ) -> Result<GeneratedImage, Error> {
        let job = self.submit(request).await?;
        finish(&job, options).await
    }
}

/// Waits for a submitted job and downloads its output. Past the submission
/// every failure but the job's own (not billed) is [`Error::AfterPayment`],
/// whatever request it came from: the job id must reach the caller.
async fn finish(job: &Job, options: WaitOptions) -> Result<GeneratedImage, Error> {
    let outcome = match job.wait_with(options).await {
        Ok(result) => job.output_image(&result).await,
        Err(e) => Err(e),
    };
    outcome.map_err(|e| match e {
        Error::JobFailed { .. } => e,
        e => Error::AfterPayment {
            request_id: Some(job.request_id().to_owned()),
            output_url: None,
            source: Box::new(e),
        },
    })
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let transport = &self.session.transport;
        f.debug_struct("Client")
            .field("base_url", &transport.base().as_str())
            .field("api_key", transport.key())
            .field("retry", transport.retry_policy())
            .field("wait", &self.session.wait)
            .finish_non_exhaustive()
    }
}

/// What `run`, `submit` and `generate` send: a request of one endpoint,
/// or an [`AnyRequest`].
trait Outgoing: Serialize + Clone + Send + Sync {
    fn check(&self) -> Result<(), ValidationErrors>;
    fn images(&self) -> Vec<&ImageInput>;
    fn images_mut(&mut self) -> Vec<&mut ImageInput>;
}

impl<E: Endpoint> Outgoing for E {
    fn check(&self) -> Result<(), ValidationErrors> {
        self.validate()
    }

    fn images(&self) -> Vec<&ImageInput> {
        Endpoint::images(self)
    }

    fn images_mut(&mut self) -> Vec<&mut ImageInput> {
        Endpoint::images_mut(self)
    }
}

impl Outgoing for AnyRequest {
    fn check(&self) -> Result<(), ValidationErrors> {
        self.validate()
    }

    fn images(&self) -> Vec<&ImageInput> {
        AnyRequest::images(self)
    }

    fn images_mut(&mut self) -> Vec<&mut ImageInput> {
        AnyRequest::images_mut(self)
    }
}

/// The JSON body of a validated request whose images are URLs.
fn serialize(request: &impl Serialize) -> Result<Bytes, Error> {
    serde_json::to_vec(request).map(Bytes::from).map_err(|e| {
        let violation = Violation::new(
            &Path::Root,
            Rule::Type {
                expected: "value JSON can carry",
            },
        );
        tracing::warn!(error = %e, "a request could not be serialized");
        Error::InvalidRequest(ValidationErrors::from(violation))
    })
}
