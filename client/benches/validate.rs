//! Per-request cost of `validate()` + `serde_json::to_vec`, the work the
//! client does before every call, and of `FromJson` (what the mock server
//! and `--json` input do). Target: validate + serialize under 2 µs.

use criterion::{Criterion, criterion_group, criterion_main};
use segmind_ideogram::*;
use std::hint::black_box;

fn txt_2_img() -> IdeogramTxt2ImgRequest {
    IdeogramTxt2ImgRequest::new(
        "A cinematic black and white medium shot of Albert Einstein in a lab.",
    )
    .negative_prompt("low quality,blurry")
    .magic_prompt_option(MagicPromptOption::Auto)
    .resolution(V2Resolution::Resolution1024_1024)
    .seed(Seed::new(56698).unwrap())
    .style_type(StyleType::General)
    .color_palette(
        CustomColorPalette::new([
            ColorPaletteMember::new(ColorHex::new("#b470b3").unwrap())
                .color_weight(ColorWeight::new(0.5).unwrap()),
            ColorPaletteMember::new(ColorHex::new("#ffcc00").unwrap()),
        ])
        .unwrap(),
    )
}

fn reframe() -> Ideogram3ReframeRequest {
    Ideogram3ReframeRequest::new("https://segmind-resources.s3.amazonaws.com/output/1a759c90.png")
        .resolution(V3Resolution::Size1024x1024)
        .rendering_speed(RenderingSpeed::Default)
        .style_reference_images([
            "https://example.com/a.png".to_owned(),
            "https://example.com/b.png".to_owned(),
        ])
}

fn bench(c: &mut Criterion) {
    let txt = txt_2_img();
    let re = reframe();
    c.bench_function("txt-2-img validate + serialize", |b| {
        b.iter(|| {
            let request = black_box(&txt);
            request.validate().unwrap();
            serde_json::to_vec(request).unwrap()
        })
    });
    c.bench_function("3-reframe validate + serialize", |b| {
        b.iter(|| {
            let request = black_box(&re);
            request.validate().unwrap();
            serde_json::to_vec(request).unwrap()
        })
    });
    let json = serde_json::to_value(&txt).unwrap();
    c.bench_function("txt-2-img FromJson (collecting parse)", |b| {
        b.iter(|| IdeogramTxt2ImgRequest::from_json(black_box(&json)).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
