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

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::routing::post;
use base64::Engine as _;
use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
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

fn run_vs_raw(c: &mut Criterion) {
    let png = Bytes::from(noisy_png(600, 580));
    let size = png.len();
    let (_server, addr) = start_server(png);
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
    let url = format!("{base}/v1/ideogram-txt-2-img");
    let body = Bytes::from(serde_json::to_vec(&request()).expect("json"));

    let mut group = c.benchmark_group(format!("sync_run_{}KB_png", size / 1024));
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(4));
    for concurrency in [1usize, 64] {
        group.throughput(Throughput::Elements(concurrency as u64));
        group.bench_function(BenchmarkId::new("client_run", concurrency), |b| {
            b.iter(|| {
                client_rt.block_on(async {
                    let mut set = JoinSet::new();
                    for _ in 0..concurrency {
                        let client = client.clone();
                        set.spawn(async move {
                            let image = client.run(&request()).await.expect("run");
                            black_box(image.bytes().len())
                        });
                    }
                    while let Some(done) = set.join_next().await {
                        black_box(done.expect("task"));
                    }
                })
            })
        });
        group.bench_function(BenchmarkId::new("raw_reqwest", concurrency), |b| {
            b.iter(|| {
                client_rt.block_on(async {
                    let mut set = JoinSet::new();
                    for _ in 0..concurrency {
                        let raw = raw.clone();
                        let url = url.clone();
                        let body = body.clone();
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
            })
        });
    }
    group.finish();
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
criterion_main!(benches);
