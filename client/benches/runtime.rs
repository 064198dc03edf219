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
//!   in alternating blocks and prints medians of wall time, of
//!   client-thread CPU time and of minor page faults per call, and the
//!   paired ratios.
//! - `RUNTIME_PROFILE=client:<calls>` (or `raw:<calls>`) runs one side
//!   alone, for `perf record` or `valgrind --tool=callgrind`.
//!
//! Two more modes look at how bodies are read:
//!
//! - `RUNTIME_BODY_AB=<rounds>`: reading the same 1 MB body with
//!   reqwest's `Response::bytes()` against the client's capped stream
//!   reader (`__private::read_capped`, 64 MiB cap), interleaved as above,
//!   from a bare HTTP/1.1 server that sends it with a `Content-Length` and
//!   chunked (no length).
//! - `RUNTIME_MEMORY=client` (or `bytes`): a hostile server sends
//!   `RUNTIME_MEMORY_MIB` (default 1536) MiB with no `Content-Length`;
//!   `client.run` with the default image cap (or, for reference, a bare
//!   `bytes()`) reads it, and the process's peak memory (`VmHWM`) is
//!   printed. One side per process, since the peak only grows.

use std::hint::black_box;
use std::io::{Read as _, Write as _};
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
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
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

/// Minor page faults of the calling thread so far (Linux only).
fn thread_minflt() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // After the command name (which ends at the last ')'): state, ppid,
    // pgrp, session, tty_nr, tpgid, flags, minflt.
    let (_, rest) = text.rsplit_once(')')?;
    rest.split_whitespace().nth(7)?.parse().ok()
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
/// the median wall time, client-thread CPU time and minor page faults per
/// call of each side, and the median of the per-round ratios.
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
        let mut ab = interleave(rounds, calls, |client| {
            for _ in 0..batches {
                if client {
                    fixture.client_batch(concurrency);
                } else {
                    fixture.raw_batch(concurrency);
                }
            }
        });
        ab.print(&format!("c={concurrency:<3}"), ["client", "raw"], "call");
    }
}

/// Per-call wall time, client-thread CPU time and minor page faults of two
/// sides (A, B), measured in interleaved blocks.
#[derive(Default)]
struct Ab {
    wall: [Vec<f64>; 2],
    cpu: [Vec<f64>; 2],
    faults: [Vec<f64>; 2],
    wall_ratio: Vec<f64>,
    cpu_ratio: Vec<f64>,
}

/// Runs `block(true)` (A) and `block(false)` (B) once per round, alternating
/// which goes first, so that load from other processes hits both alike;
/// each block makes `calls` calls.
fn interleave(rounds: usize, calls: f64, block: impl Fn(bool)) -> Ab {
    let measure = |a: bool| {
        let (cpu, faults) = (thread_cpu_ns(), thread_minflt());
        let started = Instant::now();
        block(a);
        let wall = started.elapsed().as_nanos() as f64 / calls;
        let cpu = thread_cpu_ns()
            .zip(cpu)
            .map_or(f64::NAN, |(end, start)| (end - start) as f64 / calls);
        let faults = thread_minflt()
            .zip(faults)
            .map_or(f64::NAN, |(end, start)| (end - start) as f64 / calls);
        [wall, cpu, faults]
    };
    let mut ab = Ab::default();
    for round in 0..rounds {
        let (a, b) = if round % 2 == 0 {
            let a = measure(true);
            (a, measure(false))
        } else {
            let b = measure(false);
            (measure(true), b)
        };
        for (side, [wall, cpu, faults]) in [a, b].into_iter().enumerate() {
            ab.wall[side].push(wall);
            ab.cpu[side].push(cpu);
            ab.faults[side].push(faults);
        }
        ab.wall_ratio.push(a[0] / b[0]);
        ab.cpu_ratio.push(a[1] / b[1]);
    }
    ab
}

impl Ab {
    /// Three lines: wall and CPU time per `unit` with their ratios, and
    /// minor page faults, each side under its name.
    fn print(&mut self, label: &str, [a, b]: [&str; 2], unit: &str) {
        let pad = " ".repeat(label.chars().count());
        let [wall_a, wall_b] = &mut self.wall;
        let (wa, wb) = (median(wall_a), median(wall_b));
        println!(
            "{label} wall/{unit}: {a} {:7.1} µs  {b} {:7.1} µs  ratio {:.3} (median of paired {:.3})",
            wa / 1e3,
            wb / 1e3,
            wa / wb,
            median(&mut self.wall_ratio),
        );
        let [cpu_a, cpu_b] = &mut self.cpu;
        let (ca, cb) = (median(cpu_a), median(cpu_b));
        println!(
            "{pad}  cpu/{unit}:  {a} {:7.1} µs  {b} {:7.1} µs  ratio {:.3} (median of paired {:.3})",
            ca / 1e3,
            cb / 1e3,
            ca / cb,
            median(&mut self.cpu_ratio),
        );
        let [faults_a, faults_b] = &mut self.faults;
        println!(
            "{pad}  minor page faults/{unit}: {a} {:.0}  {b} {:.0}",
            median(faults_a),
            median(faults_b),
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

/// The client's default image cap: what `read_capped` is given.
const IMAGE_CAP: u64 = 64 * 1024 * 1024;

/// The chunk size of the chunked answer.
const CHUNK: usize = 16 * 1024;

/// A bare HTTP/1.1 server on a runtime of its own (1 worker thread): it
/// answers `GET /len` with `body` and a `Content-Length`, and any other
/// path with `body` in 16 KiB chunks (`Transfer-Encoding: chunked`),
/// keeping connections open. Each answer is built once.
fn start_body_server(body: &[u8]) -> (Runtime, SocketAddr) {
    let head = |extra: &str| format!("HTTP/1.1 200 OK\r\ncontent-type: image/png\r\n{extra}\r\n");
    let mut with_len = head(&format!("content-length: {}\r\n", body.len())).into_bytes();
    with_len.extend_from_slice(body);
    let mut chunked = head("transfer-encoding: chunked\r\n").into_bytes();
    for chunk in body.chunks(CHUNK) {
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let (with_len, chunked) = (Bytes::from(with_len), Bytes::from(chunked));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("server runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    runtime.spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                continue;
            };
            let _ = socket.set_nodelay(true);
            let (with_len, chunked) = (with_len.clone(), chunked.clone());
            tokio::spawn(async move {
                let mut buffer = Vec::with_capacity(4096);
                let mut read = [0u8; 4096];
                loop {
                    // One request head (GETs only: no request body).
                    let end = loop {
                        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                            break at + 4;
                        }
                        match socket.read(&mut read).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buffer.extend_from_slice(&read[..n]),
                        }
                    };
                    let answer = if buffer.starts_with(b"GET /len ") {
                        &with_len
                    } else {
                        &chunked
                    };
                    buffer.drain(..end);
                    if socket.write_all(answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (runtime, addr)
}

/// `RUNTIME_BODY_AB=<rounds>`: `bytes()` against `read_capped` on the same
/// answers, interleaved in blocks (which side goes first alternates),
/// with and without a `Content-Length`, at concurrency 1 and 64. Prints
/// median wall and client-thread CPU time per body and the median of the
/// per-round ratios (streamed / `bytes()`).
fn body_interleaved(rounds: usize) {
    let body = noisy_png(600, 580);
    let (_server, addr) = start_body_server(&body);
    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    let http = reqwest::Client::new();
    println!(
        "interleaved A/B, bytes() vs read_capped, {} KB body, {rounds} rounds",
        body.len() / 1024
    );
    let batch = |url: &reqwest::Url, concurrency: usize, streamed: bool| {
        client_rt.block_on(async {
            let mut set = JoinSet::new();
            for _ in 0..concurrency {
                let (http, url) = (http.clone(), url.clone());
                set.spawn(async move {
                    let mut response = http.get(url).send().await.expect("send");
                    let read = if streamed {
                        segmind_ideogram::__private::read_capped(&mut response, IMAGE_CAP)
                            .await
                            .expect("body")
                    } else {
                        response.bytes().await.expect("body")
                    };
                    black_box(read.len())
                });
            }
            while let Some(done) = set.join_next().await {
                assert_eq!(done.expect("task"), body.len());
            }
        })
    };
    for (variant, path) in [("content-length", "len"), ("chunked", "chunked")] {
        let url = reqwest::Url::parse(&format!("http://{addr}/{path}")).expect("url");
        for (concurrency, batches) in [(1usize, 200usize), (64, 4)] {
            let calls = (concurrency * batches) as f64;
            for _ in 0..batches {
                batch(&url, concurrency, true);
                batch(&url, concurrency, false);
            }
            let mut ab = interleave(rounds, calls, |streamed| {
                for _ in 0..batches {
                    batch(&url, concurrency, streamed);
                }
            });
            ab.print(
                &format!("{variant:<14} c={concurrency:<3}"),
                ["read_capped", "bytes()"],
                "body",
            );
        }
    }
}

/// The process's peak and current resident memory (`VmHWM`, `VmRSS`), in KiB.
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// A hostile server on a thread of its own: to each connection, a 200
/// with no `Content-Length` (`Connection: close`), a PNG signature, then
/// `mib` MiB of noise. Returns its address and the count of body bytes it
/// managed to write (it stops when the client hangs up).
fn start_hostile_server(mib: u64) -> (SocketAddr, Arc<std::sync::atomic::AtomicU64>) {
    use std::sync::atomic::{AtomicU64, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let written = Arc::new(AtomicU64::new(0));
    let count = Arc::clone(&written);
    std::thread::spawn(move || {
        let mut chunk = vec![0u8; 1024 * 1024];
        fastrand::Rng::with_seed(11).fill(&mut chunk);
        for socket in listener.incoming() {
            let Ok(mut socket) = socket else { continue };
            let mut head = [0u8; 16 * 1024];
            let _ = socket.read(&mut head);
            let start = b"HTTP/1.1 200 OK\r\ncontent-type: image/png\r\nconnection: close\r\n\r\n\x89PNG\r\n\x1a\n";
            if socket.write_all(start).is_err() {
                continue;
            }
            for _ in 0..mib {
                if socket.write_all(&chunk).is_err() {
                    break;
                }
                count.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            }
        }
    });
    (addr, written)
}

/// `RUNTIME_MEMORY=client|bytes`: the peak memory of reading a hostile
/// answer of `RUNTIME_MEMORY_MIB` MiB without a `Content-Length`.
fn memory(side: &str) {
    let mib: u64 = std::env::var("RUNTIME_MEMORY_MIB")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(1536);
    let (addr, written) = start_hostile_server(mib);
    let base = format!("http://{addr}");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = Client::builder()
        .api_key(KEY)
        .base_url(&base)
        .build()
        .expect("client");
    let raw = reqwest::Client::new();
    let request = request();
    let before = memory_kib();
    let started = Instant::now();
    let outcome = runtime.block_on(async {
        match side {
            "client" => match client.run(&request).await {
                Ok(image) => format!("Ok: {} bytes", image.bytes().len()),
                Err(e) => format!("Err: {e}"),
            },
            "bytes" => {
                let url = format!("{base}/v1/ideogram-txt-2-img");
                let response = raw.post(url).body("{}").send().await.expect("send");
                match response.bytes().await {
                    Ok(body) => format!("Ok: {} bytes", body.len()),
                    Err(e) => format!("Err: {e}"),
                }
            }
            other => panic!("RUNTIME_MEMORY: unknown side {other:?} (client or bytes)"),
        }
    });
    let elapsed = started.elapsed();
    let after = memory_kib();
    // An error may quote the start of the body: keep the line short.
    let outcome: String = outcome.chars().take(120).collect();
    // Let the server notice the hang-up before reading its count.
    std::thread::sleep(Duration::from_millis(200));
    println!(
        "{side}: hostile body of {mib} MiB, no Content-Length: {outcome}\n\
         \x20 in {:.2} s; server wrote {} MiB before the client stopped reading\n\
         \x20 VmHWM {} MiB before, {} MiB after (peak grew {} MiB); VmRSS {} MiB after",
        elapsed.as_secs_f64(),
        written.load(std::sync::atomic::Ordering::Relaxed) >> 20,
        before.0 >> 10,
        after.0 >> 10,
        after.0.saturating_sub(before.0) >> 10,
        after.1 >> 10,
    );
}

fn main() {
    if let Ok(spec) = std::env::var("RUNTIME_PROFILE") {
        profile(&spec);
        return;
    }
    if let Ok(side) = std::env::var("RUNTIME_MEMORY") {
        memory(&side);
        return;
    }
    if let Some(rounds) = std::env::var("RUNTIME_BODY_AB")
        .ok()
        .and_then(|r| r.parse().ok())
    {
        body_interleaved(rounds);
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
