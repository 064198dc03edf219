//! Generator time for the whole spec: parse, build the model, emit tokens,
//! format with prettyplease. Target: under 50 ms.

use criterion::{Criterion, criterion_group, criterion_main};

fn spec() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../spec/segmind-ideogram.openapi.json"
    ))
    .expect("spec readable")
}

fn bench(c: &mut Criterion) {
    let spec = spec();
    c.bench_function("parse spec to model", |b| {
        b.iter(|| segmind_ideogram_codegen::parse(std::hint::black_box(&spec)).unwrap())
    });
    c.bench_function("generate all files (parse + emit + format)", |b| {
        b.iter(|| segmind_ideogram_codegen::generate(std::hint::black_box(&spec)).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
