//! The same API without async (feature `blocking`): each call runs the async
//! client on a private single-threaded tokio runtime.
//!
//! ```no_run
//! use segmind_ideogram::IdeogramTxt2ImgRequest;
//! use segmind_ideogram::blocking::Client;
//!
//! let client = Client::from_env()?;
//! let image = client.run(&IdeogramTxt2ImgRequest::new("a red bicycle"))?;
//! image.save("bicycle.png")?;
//! # Ok::<(), segmind_ideogram::Error>(())
//! ```
//!
//! Calls made from inside an async runtime return [`Error::Unsupported`] instead
//! of blocking its thread; use the async [`crate::Client`] there.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use crate::account::{HistoryPage, HistoryQuery};
use crate::api_key::ApiKey;
use crate::config::ClientBuilder;
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::generated::{AnyRequest, JobResult, JobStatusResponse, RequestRecord, UserCredits};
use crate::image::GeneratedImage;
use crate::input::ImageInput;
use crate::poll::JobHandle;
use crate::wait::{JobUpdate, WaitOptions};

/// A blocking Segmind client. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    inner: crate::Client,
    runtime: Arc<Runtime>,
}

/// A queued job, followed with blocking calls.
#[derive(Clone)]
pub struct Job {
    inner: crate::Job,
    runtime: Arc<Runtime>,
}

/// Owns the runtime; shuts it down without blocking, so dropping a client
/// inside an async context does not panic.
struct Runtime(Option<tokio::runtime::Runtime>);

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

impl Runtime {
    fn block_on<F: Future>(&self, future: F) -> Result<F::Output, Error> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::Unsupported(
                "the blocking client was called inside an async runtime; use the async Client"
                    .into(),
            ));
        }
        match &self.0 {
            Some(runtime) => Ok(runtime.block_on(future)),
            None => Err(Error::Unsupported("the runtime is shut down".into())),
        }
    }
}

impl ClientBuilder {
    /// The same settings, as a [`blocking::Client`](Client).
    pub fn build_blocking(self) -> Result<Client, Error> {
        Client::from_async(self.build()?)
    }
}

impl Client {
    /// Settings to build a client from; finish with
    /// [`build_blocking`](crate::ClientBuilder::build_blocking).
    pub fn builder() -> crate::ClientBuilder {
        crate::ClientBuilder::new()
    }

    /// A client with default settings and this key.
    pub fn new(api_key: impl Into<ApiKey>) -> Result<Self, Error> {
        Self::from_async(crate::Client::new(api_key)?)
    }

    /// A client with default settings and the key in `SEGMIND_API_KEY`.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_async(crate::Client::from_env()?)
    }

    /// Wraps an async client.
    pub fn from_async(inner: crate::Client) -> Result<Self, Error> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::io(None, e))?;
        Ok(Self {
            inner,
            runtime: Arc::new(Runtime(Some(runtime))),
        })
    }

    /// The async client underneath.
    pub fn as_async(&self) -> &crate::Client {
        &self.inner
    }

    /// See [`crate::Client::run`].
    pub fn run<E: Endpoint>(&self, request: &E) -> Result<GeneratedImage, Error> {
        self.runtime.block_on(self.inner.run(request))?
    }

    /// See [`crate::Client::run_any`].
    pub fn run_any(&self, request: &AnyRequest) -> Result<GeneratedImage, Error> {
        self.runtime.block_on(self.inner.run_any(request))?
    }

    /// See [`crate::Client::submit`].
    pub fn submit<E: Endpoint>(&self, request: &E) -> Result<Job, Error> {
        let job = self.runtime.block_on(self.inner.submit(request))??;
        Ok(self.wrap(job))
    }

    /// See [`crate::Client::submit_any`].
    pub fn submit_any(&self, request: &AnyRequest) -> Result<Job, Error> {
        let job = self.runtime.block_on(self.inner.submit_any(request))??;
        Ok(self.wrap(job))
    }

    /// See [`crate::Client::submit_any_with_hook`].
    pub fn submit_any_with_hook(
        &self,
        request: &AnyRequest,
        before_send: &(dyn Fn() -> std::io::Result<()> + Send + Sync),
    ) -> Result<Job, Error> {
        let job = self
            .runtime
            .block_on(self.inner.submit_any_with_hook(request, before_send))??;
        Ok(self.wrap(job))
    }

    /// See [`crate::Client::job`].
    pub fn job(&self, request_id: impl Into<String>) -> Result<Job, Error> {
        Ok(self.wrap(self.inner.job(request_id)?))
    }

    /// See [`crate::Client::resume`].
    pub fn resume(&self, handle: JobHandle) -> Result<Job, Error> {
        Ok(self.wrap(self.inner.resume(handle)?))
    }

    /// See [`crate::Client::generate`].
    pub fn generate<E: Endpoint>(&self, request: &E) -> Result<GeneratedImage, Error> {
        self.runtime.block_on(self.inner.generate(request))?
    }

    /// See [`crate::Client::generate_any`].
    pub fn generate_any(&self, request: &AnyRequest) -> Result<GeneratedImage, Error> {
        self.runtime.block_on(self.inner.generate_any(request))?
    }

    /// See [`crate::Client::generate_with`].
    pub fn generate_with<E: Endpoint>(
        &self,
        request: &E,
        options: WaitOptions,
    ) -> Result<GeneratedImage, Error> {
        self.runtime
            .block_on(self.inner.generate_with(request, options))?
    }

    /// See [`crate::Client::credits`].
    pub fn credits(&self) -> Result<UserCredits, Error> {
        self.runtime.block_on(self.inner.credits())?
    }

    /// See [`crate::Client::request_history`].
    pub fn request_history(&self, query: &HistoryQuery) -> Result<HistoryPage, Error> {
        self.runtime.block_on(self.inner.request_history(query))?
    }

    /// See [`crate::Client::request`].
    pub fn request(&self, request_id: &str) -> Result<RequestRecord, Error> {
        self.runtime.block_on(self.inner.request(request_id))?
    }

    /// See [`crate::Client::upload`].
    pub fn upload(&self, image: &ImageInput) -> Result<String, Error> {
        self.runtime.block_on(self.inner.upload(image))?
    }

    fn wrap(&self, inner: crate::Job) -> Job {
        Job {
            inner,
            runtime: Arc::clone(&self.runtime),
        }
    }
}

impl Job {
    /// The job's id.
    pub fn request_id(&self) -> &str {
        self.inner.request_id()
    }

    /// What to store to follow the job later.
    pub fn handle(&self) -> &JobHandle {
        self.inner.handle()
    }

    /// See [`crate::Job::status`].
    pub fn status(&self) -> Result<JobStatusResponse, Error> {
        self.runtime.block_on(self.inner.status())?
    }

    /// See [`crate::Job::result`].
    pub fn result(&self) -> Result<JobResult, Error> {
        self.runtime.block_on(self.inner.result())?
    }

    /// See [`crate::Job::wait`].
    pub fn wait(&self) -> Result<JobResult, Error> {
        self.runtime.block_on(self.inner.wait())?
    }

    /// See [`crate::Job::wait_with`].
    pub fn wait_with(&self, options: WaitOptions) -> Result<JobResult, Error> {
        self.runtime.block_on(self.inner.wait_with(options))?
    }

    /// See [`crate::Job::wait_with_progress`].
    pub fn wait_with_progress(
        &self,
        options: WaitOptions,
        on_update: impl FnMut(&JobUpdate),
    ) -> Result<JobResult, Error> {
        self.runtime
            .block_on(self.inner.wait_with_progress(options, on_update))?
    }

    /// See [`crate::Job::output_image`].
    pub fn output_image(&self, result: &JobResult) -> Result<GeneratedImage, Error> {
        self.runtime.block_on(self.inner.output_image(result))?
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("blocking::Client")
            .field(&self.inner)
            .finish()
    }
}

impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("blocking::Job").field(&self.inner).finish()
    }
}

impl serde::Serialize for Job {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.inner.serialize(serializer)
    }
}
