//! `x-outcomes` and the classes of answers: every operation classes every
//! status it lists, and only those, with a class the document defines;
//! operations of one kind agree; each malformation is refused at its JSON
//! pointer. The generated table follows the spec when it changes.

use segmind_ideogram_codegen::{CodegenError, generate};
use serde_json::{Value, json};

fn spec() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../spec/segmind-ideogram.openapi.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn refused(mutate: impl FnOnce(&mut Value)) -> CodegenError {
    let mut spec = spec();
    mutate(&mut spec);
    generate(&spec.to_string()).expect_err("the spec must be refused")
}

const TXT: &str = "/v1/ideogram-txt-2-img";
const STATUS: &str = "/v2/requests/{request_id}/status";

fn outcomes<'a>(spec: &'a mut Value, path: &str, method: &str) -> &'a mut Value {
    &mut spec["paths"][path][method]["x-outcomes"]
}

#[test]
fn a_listed_status_without_a_class_is_refused() {
    let e = refused(|s| {
        outcomes(s, TXT, "post")
            .as_object_mut()
            .unwrap()
            .remove("410");
    });
    assert_eq!(e.pointer, "/paths/~1v1~1ideogram-txt-2-img/post/x-outcomes");
    assert!(
        e.message
            .contains("the answer 410 of the operation has no class"),
        "{e}"
    );
}

#[test]
fn a_class_for_a_status_not_listed_is_refused() {
    let e = refused(|s| outcomes(s, STATUS, "get")["418"] = json!("refused"));
    assert_eq!(
        e.pointer,
        "/paths/~1v2~1requests~1{request_id}~1status/get/x-outcomes/418"
    );
    assert!(
        e.message
            .contains("418 is not a status of the operation's responses"),
        "{e}"
    );
}

#[test]
fn an_unknown_class_and_a_missing_fallback_are_refused() {
    let e = refused(|s| outcomes(s, STATUS, "get")["404"] = json!("gone-forever"));
    assert!(e.message.contains("`gone-forever` is not a class"), "{e}");
    let e = refused(|s| {
        outcomes(s, STATUS, "get")
            .as_object_mut()
            .unwrap()
            .remove("unanswered");
    });
    assert!(e.message.contains("missing `unanswered`"), "{e}");
    let e = refused(|s| {
        s["paths"][STATUS]["get"]
            .as_object_mut()
            .unwrap()
            .remove("x-outcomes")
            .map(|_| ())
            .unwrap()
    });
    assert!(
        e.message.contains("missing required member `x-outcomes`"),
        "{e}"
    );
}

#[test]
fn operations_of_one_kind_must_agree() {
    let e = refused(|s| outcomes(s, "/v1/ideogram-img-2-img", "post")["500"] = json!("transient"));
    assert_eq!(e.pointer, "/paths/~1v1~1ideogram-img-2-img/post/x-outcomes");
    assert!(
        e.message
            .contains("differs from the x-outcomes of /paths/~1v1~1ideogram-txt-2-img"),
        "{e}"
    );
}

#[test]
fn a_class_must_say_what_it_means() {
    let e =
        refused(|s| s["x-segmind-protocol"]["outcomes"]["refused"]["billed"] = json!("perhaps"));
    assert_eq!(e.pointer, "/x-segmind-protocol/outcomes/refused/billed");
    assert!(
        e.message
            .contains("`perhaps` is not one of yes, no, unknown"),
        "{e}"
    );
    let e = refused(|s| s["x-segmind-protocol"]["headers"]["cost"] = json!("x-price"));
    assert!(
        e.message
            .contains("`x-price` is not a header of any response"),
        "{e}"
    );
}

#[test]
fn the_generated_table_follows_the_spec() {
    // Reclass 504 to a queued submission as not billed: the generated
    // table says so, and nothing else changes.
    let mut spec = spec();
    for (path, item) in spec["paths"].as_object_mut().unwrap() {
        if path.starts_with("/v2/ideogram") {
            item["post"]["x-outcomes"]["504"] = json!("transient");
        }
    }
    let files = generate(&spec.to_string()).unwrap();
    let outcomes = &files
        .iter()
        .find(|f| f.name == "outcomes.rs")
        .unwrap()
        .contents;
    assert!(
        outcomes.contains("504 => AnswerClass::Transient"),
        "{outcomes}"
    );
}
