//! Runtime overhead of the client.
//!
//! 1. `Client::run` against a local server answering with a 1 MB PNG,
//!    against a bare reqwest POST of the same pre-serialized body, at
//!    concurrency 1 and 64. The difference is what the client adds:
//!    validation, serialization, header handling, sniffing and the
//!    truncation check.
//! 2. Encoding a 10 MB input image as base64 (`ImageInput::to_data_uri`,
//!    and the bare engine for reference).
//!
//! Run with `cargo bench -p segmind-ideogram --bench runtime`.
//!
//! Both sides get the same fixture: one server, one current-thread client
//! runtime, HTTP/1.1 connections pooled with reqwest's defaults, the full
//! body read. The request is built once and the raw side's URL parsed once,
//! so that what differs is the client's per-call work.
//!
//! On a shared machine the criterion numbers drift with the load between
//! one side's run and the other's; two more modes are for that:
//!
//! - `RUNTIME_AB=<rounds> cargo bench … --bench runtime` runs both sides
//!   in alternating blocks and prints medians of wall time and of
//!   client-thread CPU time per call, and the paired ratios.
//! - `RUNTIME_PROFILE=client:<calls>` (or `raw:<calls>`) runs one side
//!   alone, for `perf record` or `valgrind --tool=callgrind`.

use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::routing::post;
use base64::Engine as _;
use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use segmind_ideogram::{Client, IdeogramTxt2ImgRequest, ImageInput, Seed, V2Resolution};
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

const KEY: &str = "bench-key";

/// A PNG of about 1 MB: noise does not compress.
fn noisy_png(width: u32, height: u32) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(7);
    let pixels: Vec<u8> = (0..width * height * 3).map(|_| rng.u8(..)).collect();
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()
        .and_then(|mut w| w.write_image_data(&pixels))
        .expect("png");
    out
}

/// Serves the PNG on a runtime of its own, like a remote server would.
fn start_server(png: Bytes) -> (Runtime, SocketAddr) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("server runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = Router::new().route(
        "/v1/{slug}",
        post(move |_body: Bytes| {
            let png = png.clone();
            async move { ([(CONTENT_TYPE, "image/png")], png) }
        }),
    );
    runtime.spawn(async move { axum::serve(listener, app).await });
    (runtime, addr)
}

fn request() -> IdeogramTxt2ImgRequest {
    IdeogramTxt2ImgRequest::new("a panda in a spacesuit, studio lighting")
        .resolution(V2Resolution::Resolution1024_1024)
        .seed(Seed::new(4242).expect("seed"))
}

/// Everything both sides of the comparison share: one server, one client
/// runtime, and the two clients.
struct Fixture {
    _server: Runtime,
    size: usize,
    client_rt: Runtime,
    client: Client,
    raw: reqwest::Client,
    /// Built once, like `url` and `body` on the raw side: what is measured
    /// is the client's work per call, not the caller's.
    request: Arc<IdeogramTxt2ImgRequest>,
    /// Parsed once, as the client parses its base URL once.
    url: reqwest::Url,
    body: Bytes,
}

impl Fixture {
    fn new() -> Self {
        let png = Bytes::from(noisy_png(600, 580));
        let size = png.len();
        let (server, addr) = start_server(png);
        let base = format!("http://{addr}");
        let client_rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("client runtime");
        let client = Client::builder()
            .api_key(KEY)
            .base_url(&base)
            .build()
            .expect("client");
        let raw = reqwest::Client::new();
        let url = reqwest::Url::parse(&format!("{base}/v1/ideogram-txt-2-img")).expect("url");
        let request = Arc::new(request());
        let body = Bytes::from(serde_json::to_vec(&*request).expect("json"));
        Self {
            _server: server,
            size,
            client_rt,
            client,
            raw,
            request,
            url,
            body,
        }
    }

    /// `concurrency` calls of `client.run` at once.
    fn client_batch(&self, concurrency: usize) {
        self.client_rt.block_on(async {
            let mut set = JoinSet::new();
            for _ in 0..concurrency {
                let client = self.client.clone();
                let request = Arc::clone(&self.request);
                set.spawn(async move {
                    let image = client.run(&*request).await.expect("run");
                    black_box(image.bytes().len())
                });
            }
            while let Some(done) = set.join_next().await {
                black_box(done.expect("task"));
            }
        })
    }

    /// `concurrency` bare POSTs at once.
    fn raw_batch(&self, concurrency: usize) {
        self.client_rt.block_on(async {
            let mut set = JoinSet::new();
            for _ in 0..concurrency {
                let raw = self.raw.clone();
                let url = self.url.clone();
                let body = self.body.clone();
                set.spawn(async move {
                    let response = raw
                        .post(url)
                        .header("x-api-key", KEY)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await
                        .expect("send");
                    black_box(response.bytes().await.expect("body").len())
                });
            }
            while let Some(done) = set.join_next().await {
                black_box(done.expect("task"));
            }
        })
    }
}

fn run_vs_raw(c: &mut Criterion) {
    let fixture = Fixture::new();
    let mut group = c.benchmark_group(format!("sync_run_{}KB_png", fixture.size / 1024));
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(4));
    for concurrency in [1usize, 64] {
        group.throughput(Throughput::Elements(concurrency as u64));
        group.bench_function(BenchmarkId::new("client_run", concurrency), |b| {
            b.iter(|| fixture.client_batch(concurrency))
        });
        group.bench_function(BenchmarkId::new("raw_reqwest", concurrency), |b| {
            b.iter(|| fixture.raw_batch(concurrency))
        });
    }
    group.finish();
}

/// CPU time of the calling thread so far, in nanoseconds (Linux only).
/// The client runtime is current-thread, so this is the client's own CPU:
/// its tasks, hyper's connection tasks and the kernel work of its sockets.
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// `RUNTIME_AB=<rounds>`: the same comparison as `run_vs_raw`, but with the
/// two sides interleaved in short blocks (alternating which goes first), so
/// that load from other processes hits both alike. Prints, per concurrency,
/// the median wall time and client-thread CPU time per call of each side,
/// and the median of the per-round ratios.
fn interleaved(rounds: usize) {
    let fixture = Fixture::new();
    println!(
        "interleaved A/B, {} KB PNG, {rounds} rounds",
        fixture.size / 1024
    );
    for (concurrency, batches) in [(1usize, 200usize), (64, 4)] {
        let calls = (concurrency * batches) as f64;
        for _ in 0..batches {
            fixture.client_batch(concurrency);
            fixture.raw_batch(concurrency);
        }
        let measure = |client: bool| {
            let cpu = thread_cpu_ns();
            let started = Instant::now();
            for _ in 0..batches {
                if client {
                    fixture.client_batch(concurrency);
                } else {
                    fixture.raw_batch(concurrency);
                }
            }
            let wall = started.elapsed().as_nanos() as f64 / calls;
            let cpu = thread_cpu_ns()
                .zip(cpu)
                .map_or(f64::NAN, |(end, start)| (end - start) as f64 / calls);
            (wall, cpu)
        };
        let (mut wall_c, mut wall_r, mut cpu_c, mut cpu_r) = (vec![], vec![], vec![], vec![]);
        let (mut wall_ratio, mut cpu_ratio) = (vec![], vec![]);
        for round in 0..rounds {
            let (client, raw) = if round % 2 == 0 {
                let client = measure(true);
                (client, measure(false))
            } else {
                let raw = measure(false);
                (measure(true), raw)
            };
            wall_c.push(client.0);
            wall_r.push(raw.0);
            cpu_c.push(client.1);
            cpu_r.push(raw.1);
            wall_ratio.push(client.0 / raw.0);
            cpu_ratio.push(client.1 / raw.1);
        }
        println!(
            "c={concurrency:<3} wall/call: client {:7.1} µs  raw {:7.1} µs  ratio {:.3} (median of paired {:.3})",
            median(&mut wall_c) / 1e3,
            median(&mut wall_r) / 1e3,
            median(&mut wall_c) / median(&mut wall_r),
            median(&mut wall_ratio),
        );
        println!(
            "      cpu/call:  client {:7.1} µs  raw {:7.1} µs  ratio {:.3} (median of paired {:.3})",
            median(&mut cpu_c) / 1e3,
            median(&mut cpu_r) / 1e3,
            median(&mut cpu_c) / median(&mut cpu_r),
            median(&mut cpu_ratio),
        );
    }
}

fn base64_encoding(c: &mut Criterion) {
    // Exactly the 10 MiB limit: a PNG signature, then noise.
    let mut image = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut rng = fastrand::Rng::with_seed(3);
    image.resize_with(segmind_ideogram::MAX_INPUT_IMAGE_BYTES, || rng.u8(..));
    let image = Bytes::from(image);

    let mut group = c.benchmark_group("base64_10MiB");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(image.len() as u64));
    group.bench_function("image_input_to_data_uri", |b| {
        let input = ImageInput::bytes(image.clone());
        b.iter(|| black_box(input.to_data_uri().expect("encode").len()))
    });
    group.bench_function("engine_encode", |b| {
        b.iter(|| {
            black_box(
                base64::engine::general_purpose::STANDARD
                    .encode(&image)
                    .len(),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, run_vs_raw, base64_encoding);

/// `RUNTIME_PROFILE=client:<calls>` or `raw:<calls>`: only that side,
/// one call at a time, for a profiler (`perf record`, `valgrind
/// --tool=callgrind`) to look at.
fn profile(spec: &str) {
    let (side, calls) = spec.split_once(':').unwrap_or((spec, "1000"));
    let calls: usize = calls.parse().expect("RUNTIME_PROFILE=side:calls");
    let fixture = Fixture::new();
    let cpu = thread_cpu_ns();
    let started = Instant::now();
    for _ in 0..calls {
        match side {
            "client" => fixture.client_batch(1),
            "raw" => fixture.raw_batch(1),
            other => panic!("RUNTIME_PROFILE: unknown side {other:?}"),
        }
    }
    let per_call = |ns: f64| ns / calls.max(1) as f64 / 1e3;
    let cpu = thread_cpu_ns()
        .zip(cpu)
        .map_or(f64::NAN, |(e, s)| (e - s) as f64);
    println!(
        "{side}: {calls} calls, {:.1} µs wall and {:.1} µs client-thread CPU per call",
        per_call(started.elapsed().as_nanos() as f64),
        per_call(cpu),
    );
}

fn main() {
    if let Ok(spec) = std::env::var("RUNTIME_PROFILE") {
        profile(&spec);
        return;
    }
    if let Some(rounds) = std::env::var("RUNTIME_AB")
        .ok()
        .and_then(|r| r.parse().ok())
    {
        interleaved(rounds);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
