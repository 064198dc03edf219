//! Two versions of the generator's model, compared as a user of the
//! generated crate sees them.
//!
//! Each class follows what the emitters make of the spec
//! (`codegen/src/emit/`): structs and enums are `#[non_exhaustive]`, so a
//! new optional field, enum value or union variant breaks nobody; `new`
//! takes the required fields, so a new required field breaks every caller;
//! optional fields are `Option<T>` serialized only when set, so a default
//! is documentation and registry metadata, never sent; validators run
//! before a request is sent, so a narrower bound rejects requests that used
//! to go through; integer newtypes wrap `u32` when both bounds fit it and
//! `i64` otherwise, and expose `MIN` / `MAX` for the bounds they have.

use std::collections::BTreeMap;

use segmind_ideogram_codegen::model::{
    Api, Doc, EndpointDef, EnumDef, FieldDef, Format, Member, ResponseKind, ScalarDef, ScalarKind,
    SizeSource, StructDef, StructRule, TypeRef, UnionDef, integer_is_u32, size_sources,
};

/// Semver class of a change, ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    Patch,
    Minor,
    Major,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Patch => "patch",
            Class::Minor => "minor",
            Class::Major => "major",
        }
    }
}

/// One change a user of the crate would see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub class: Class,
    /// The Rust item or endpoint: `IdeogramTxt2ImgRequest.seed`, `Seed`,
    /// `endpoint ideogram-txt-2-img`.
    pub item: String,
    /// What changed, in a few words.
    pub what: String,
    /// Why it has that class, in terms of the generated code.
    pub reason: String,
    /// Set when the change alters what a call returns or costs (a count of
    /// images, the image's size, the price): whatever its class, someone
    /// must check the runtime, the mock and the budgets still hold.
    pub attention: Option<String>,
}

struct Changes(Vec<Change>);

impl Changes {
    fn push(&mut self, class: Class, item: &str, what: String, reason: &str) {
        self.0.push(Change {
            class,
            item: item.to_owned(),
            what,
            reason: reason.to_owned(),
            attention: None,
        });
    }

    /// [`push`](Self::push), flagged: it changes what a call returns or costs.
    fn push_flagged(&mut self, class: Class, item: &str, what: String, reason: &str, why: String) {
        self.push(class, item, what, reason);
        if let Some(last) = self.0.last_mut() {
            last.attention = Some(why);
        }
    }

    /// Major with the first reason when `breaking`, else minor with the second.
    fn push_major_if(
        &mut self,
        breaking: bool,
        item: &str,
        what: String,
        (major, minor): (&str, &str),
    ) {
        if breaking {
            self.push(Class::Major, item, what, major);
        } else {
            self.push(Class::Minor, item, what, minor);
        }
    }
}

/// Every user-visible change from `old` to `new`, endpoints first, then
/// types in the new spec's order.
pub fn diff(old: &Api, new: &Api) -> Vec<Change> {
    let mut out = Changes(Vec::new());
    if old.version != new.version {
        out.push(
            Class::Patch,
            "spec",
            format!("version {} → {}", old.version, new.version),
            "shown in the generated module's documentation only",
        );
    }
    endpoints(&mut out, old, new);
    types(&mut out, old, new);
    out.0
}

fn endpoints(out: &mut Changes, old: &Api, new: &Api) {
    for e in &new.endpoints {
        let item = format!("endpoint {}", e.slug);
        match old.endpoints.iter().find(|o| o.slug == e.slug) {
            None => out.push(
                Class::Minor,
                &item,
                format!("added (request type {})", e.request),
                "a new request type, registry entry and `AnyRequest` variant; `AnyRequest` is #[non_exhaustive], so existing code still compiles",
            ),
            Some(o) => {
                endpoint(out, &item, o, e);
                output_size(out, &item, (old, o), (new, e));
            }
        }
    }
    for o in &old.endpoints {
        if !new.endpoints.iter().any(|e| e.slug == o.slug) {
            out.push(
                Class::Major,
                &format!("endpoint {}", o.slug),
                format!("removed (request type {})", o.request),
                "its request type, registry entry and `AnyRequest` variant are gone",
            );
        }
    }
}

fn endpoint(out: &mut Changes, item: &str, o: &EndpointDef, e: &EndpointDef) {
    if o.request != e.request {
        out.push(
            Class::Major,
            item,
            format!("request type {} → {}", o.request, e.request),
            "code naming the old request type no longer compiles",
        );
    }
    match (o.submit_path.is_some(), e.submit_path.is_some()) {
        (true, false) => out.push(
            Class::Major,
            item,
            "queue (v2) removed".into(),
            "`submit` is refused for this endpoint",
        ),
        (false, true) => out.push(
            Class::Minor,
            item,
            "queue (v2) added".into(),
            "`submit` now works for this endpoint",
        ),
        _ => {}
    }
    if o.response != e.response {
        out.push_major_if(
            e.response != ResponseKind::JsonOrImage,
            item,
            format!("response {:?} → {:?}", o.response, e.response),
            (
                "a JSON answer, accepted before, is now an error",
                "the client also accepts a JSON answer",
            ),
        );
    }
    let metadata =
        "registry metadata (`EndpointInfo`), read by the CLI and the mock; no signature changes";
    let money = |p: Option<(f64, f64)>| match p {
        None => "none".into(),
        Some((lo, hi)) if lo == hi => format!("${lo}"),
        Some((lo, hi)) => format!("${lo}-${hi}"),
    };
    let seconds = |s: Option<f64>| s.map_or("none".into(), |s| format!("{s} s"));
    let changed: [(&str, String, String); 6] = [
        ("price", money(o.price_usd), money(e.price_usd)),
        (
            "typical latency",
            seconds(o.typical_latency_seconds),
            seconds(e.typical_latency_seconds),
        ),
        ("title", o.title.clone(), e.title.clone()),
        ("summary", o.summary.clone(), e.summary.clone()),
        (
            "note",
            o.note.clone().unwrap_or_default(),
            e.note.clone().unwrap_or_default(),
        ),
        (
            "error statuses",
            format!("{:?}", o.error_statuses),
            format!("{:?}", e.error_statuses),
        ),
    ];
    for (what, before, after) in changed {
        if before != after {
            let shown = if what == "summary" || what == "note" {
                format!("{what} changed")
            } else {
                format!("{what} {before} → {after}")
            };
            if what == "price" {
                out.push_flagged(
                    Class::Patch,
                    item,
                    shown,
                    metadata,
                    "what a call costs: batches reserve, and the mock charges, the new price"
                        .into(),
                );
            } else {
                out.push(Class::Patch, item, shown, metadata);
            }
        }
    }
}

/// What `output_size()` reads, in order (see `size_sources`): the same
/// signature returning another size, which changes the image a call
/// returns.
fn output_size(
    out: &mut Changes,
    item: &str,
    (old_api, o): (&Api, &EndpointDef),
    (new_api, e): (&Api, &EndpointDef),
) {
    let describe = |sources: Vec<SizeSource>| -> String {
        if sources.is_empty() {
            return "undecided".into();
        }
        let order: Vec<String> = sources.iter().map(SizeSource::describe).collect();
        order.join(" when set, else ")
    };
    let (before, after) = (
        describe(size_sources(old_api, o)),
        describe(size_sources(new_api, e)),
    );
    if before != after {
        out.push_flagged(
            Class::Minor,
            item,
            format!("output_size(): {after} (was: {before})"),
            "the same signature gives another size; `OutputSize` is #[non_exhaustive]",
            "the size of the image a call returns".into(),
        );
    }
}

/// A named type of either kind.
#[derive(Clone, Copy)]
enum Named<'a> {
    Enum(&'a EnumDef),
    Scalar(&'a ScalarDef),
    Struct(&'a StructDef),
    Union(&'a UnionDef),
}

impl Named<'_> {
    fn kind(self) -> &'static str {
        match self {
            Named::Enum(_) => "enum",
            Named::Scalar(_) => "newtype",
            Named::Struct(_) => "struct",
            Named::Union(_) => "union enum",
        }
    }
}

fn named(api: &Api) -> Vec<(&str, Named<'_>)> {
    let mut all: Vec<(&str, Named<'_>)> = Vec::new();
    all.extend(api.enums.iter().map(|e| (e.name.as_str(), Named::Enum(e))));
    all.extend(
        api.scalars
            .iter()
            .map(|s| (s.name.as_str(), Named::Scalar(s))),
    );
    all.extend(
        api.structs
            .iter()
            .map(|s| (s.name.as_str(), Named::Struct(s))),
    );
    all.extend(
        api.unions
            .iter()
            .map(|u| (u.name.as_str(), Named::Union(u))),
    );
    all
}

fn types(out: &mut Changes, old: &Api, new: &Api) {
    let before: BTreeMap<&str, Named<'_>> = named(old).into_iter().collect();
    let after = named(new);
    for (name, n) in &after {
        match before.get(name) {
            None => out.push(
                Class::Minor,
                name,
                format!("new {}", n.kind()),
                "a new public type",
            ),
            Some(o) => match (*o, *n) {
                (Named::Enum(o), Named::Enum(n)) => enum_changes(out, o, n),
                (Named::Scalar(o), Named::Scalar(n)) => scalar_changes(out, o, n),
                (Named::Struct(o), Named::Struct(n)) => struct_changes(out, o, n),
                (Named::Union(o), Named::Union(n)) => union_changes(out, o, n),
                (o, n) => out.push(
                    Class::Major,
                    name,
                    format!("{} → {}", o.kind(), n.kind()),
                    "a different kind of type: its whole API changes",
                ),
            },
        }
    }
    for (name, o) in named(old) {
        if !after.iter().any(|(n, _)| *n == name) {
            out.push(
                Class::Major,
                name,
                format!("{} removed", o.kind()),
                "code naming it no longer compiles",
            );
        }
    }
}

fn doc_change(out: &mut Changes, item: &str, o: &Doc, n: &Doc) {
    if o != n {
        out.push(
            Class::Patch,
            item,
            "documentation changed".into(),
            "documentation only",
        );
    }
}

fn enum_changes(out: &mut Changes, o: &EnumDef, n: &EnumDef) {
    let item = n.name.as_str();
    doc_change(out, item, &o.doc, &n.doc);
    for v in &n.variants {
        match o.variants.iter().find(|ov| ov.wire == v.wire) {
            None => out.push(
                Class::Minor,
                item,
                format!("value {} added", v.wire),
                "a new variant of a #[non_exhaustive] enum; `ALL` and `VALUES` grow",
            ),
            Some(ov) if ov.ident != v.ident => out.push(
                Class::Major,
                item,
                format!("variant {} renamed {}", ov.ident, v.ident),
                "code naming the old variant no longer compiles",
            ),
            Some(_) => {}
        }
    }
    for ov in &o.variants {
        if !n.variants.iter().any(|v| v.wire == ov.wire) {
            out.push(
                Class::Major,
                item,
                format!("value {} removed", ov.wire),
                "its variant is gone, and requests that used it no longer build",
            );
        }
    }
    fn wires(e: &EnumDef) -> Vec<&str> {
        e.variants.iter().map(|v| v.wire.as_str()).collect()
    }
    if reordered(&wires(o), &wires(n)) {
        out.push(
            Class::Patch,
            item,
            "values reordered".into(),
            "only the order of `ALL` and `VALUES` changes",
        );
    }
    let wire =
        |e: &EnumDef, i: Option<usize>| i.and_then(|i| e.variants.get(i)).map(|v| v.wire.clone());
    match (wire(o, o.default), wire(n, n.default)) {
        (None, Some(d)) => out.push(
            Class::Minor,
            item,
            format!("default {d} added"),
            "the enum gains a `Default` impl",
        ),
        (Some(d), None) => out.push(
            Class::Major,
            item,
            format!("default {d} removed"),
            "the enum loses its `Default` impl",
        ),
        (Some(a), Some(b)) if a != b => out.push(
            Class::Minor,
            item,
            format!("default {a} → {b}"),
            "`Default::default()` returns another value (the server's new default); code that sends it explicitly now asks for the new one",
        ),
        _ => {}
    }
    if o.open != n.open {
        out.push(
            Class::Major,
            item,
            if n.open {
                "became open"
            } else {
                "became closed"
            }
            .into(),
            "the `Unknown(String)` variant comes or goes, and with it `Copy`",
        );
    }
    if o.ratio != n.ratio && o.dimensions.is_some() && n.dimensions.is_some() {
        out.push(
            Class::Major,
            item,
            if n.ratio {
                "values are now aspect ratios"
            } else {
                "values are now sizes in pixels"
            }
            .into(),
            "`width()`, `height()` and `from_size()` and `ratio()` replace each other",
        );
    }
    match (&o.dimensions, &n.dimensions) {
        (Some(_), None) => out.push(
            Class::Major,
            item,
            "values no longer all name a size".into(),
            "`width()`, `height()` and `from_size()` are no longer generated",
        ),
        (None, Some(_)) => out.push(
            Class::Minor,
            item,
            "every value now names a size".into(),
            "`width()`, `height()` and `from_size()` are generated",
        ),
        _ => {}
    }
}

/// Whether the names both lists share come in another order.
fn reordered(old: &[&str], new: &[&str]) -> bool {
    let shared = |a: &[&str], b: &[&str]| -> Vec<String> {
        a.iter()
            .filter(|x| b.contains(x))
            .map(|x| x.to_string())
            .collect()
    };
    shared(old, new) != shared(new, old)
}

/// The type an integer newtype wraps (see `codegen/src/emit/scalars.rs`).
fn integer_inner(min: Option<i64>, max: Option<i64>) -> &'static str {
    if integer_is_u32(min, max) {
        "u32"
    } else {
        "i64"
    }
}

fn scalar_changes(out: &mut Changes, o: &ScalarDef, n: &ScalarDef) {
    let item = n.name.as_str();
    doc_change(out, item, &o.doc, &n.doc);
    match (&o.kind, &n.kind) {
        (ScalarKind::Integer { min: a, max: b }, ScalarKind::Integer { min: c, max: d }) => {
            let (before, after) = (integer_inner(*a, *b), integer_inner(*c, *d));
            if before != after {
                out.push(
                    Class::Major,
                    item,
                    format!("wraps {after} instead of {before}"),
                    "`new`, `get` and the conversions take and return another integer type",
                );
            }
            let f = |v: Option<i64>| v.map(|v| v as f64);
            bounds(out, item, Bounded::Values, (f(*a), f(*b)), (f(*c), f(*d)));
        }
        (ScalarKind::Number { min: a, max: b }, ScalarKind::Number { min: c, max: d }) => {
            bounds(out, item, Bounded::Values, (*a, *b), (*c, *d))
        }
        (
            ScalarKind::String {
                pattern: a,
                format: b,
            },
            ScalarKind::String {
                pattern: c,
                format: d,
            },
        ) => {
            restriction(out, item, "pattern", a.as_deref(), c.as_deref());
            restriction(
                out,
                item,
                "format",
                b.map(|f| f.as_str()),
                d.map(|f| f.as_str()),
            );
        }
        (a, b) => out.push(
            Class::Major,
            item,
            format!("{} → {}", scalar_kind(a), scalar_kind(b)),
            "the newtype wraps another type",
        ),
    }
}

fn scalar_kind(kind: &ScalarKind) -> &'static str {
    match kind {
        ScalarKind::Integer { .. } => "integer",
        ScalarKind::Number { .. } => "number",
        ScalarKind::String { .. } => "string",
    }
}

/// What a pair of bounds limits: a newtype's values (with `MIN` / `MAX`
/// constants for the bounds it has) or a list's length (checked by the
/// validators, no constants).
#[derive(Clone, Copy)]
enum Bounded {
    Values,
    Items,
}

/// Minimum and maximum of a newtype or of a list's length.
fn bounds(
    out: &mut Changes,
    item: &str,
    bounded: Bounded,
    (old_min, old_max): (Option<f64>, Option<f64>),
    (new_min, new_max): (Option<f64>, Option<f64>),
) {
    let (noun, prefix) = match bounded {
        Bounded::Values => ("values", ""),
        Bounded::Items => ("lists", "items "),
    };
    for (name, before, after, lower) in [
        ("minimum", old_min, new_min, true),
        ("maximum", old_max, new_max, false),
    ] {
        let constant = if lower { "MIN" } else { "MAX" };
        match (before, after) {
            (None, Some(v)) => out.push(
                Class::Major,
                item,
                format!("{prefix}{name} {v} added"),
                &format!("{noun} outside it, accepted before, are now refused"),
            ),
            (Some(v), None) => match bounded {
                Bounded::Values => out.push(
                    Class::Major,
                    item,
                    format!("{name} {v} removed"),
                    &format!("more values are accepted, but the `{constant}` constant is gone"),
                ),
                Bounded::Items => out.push(
                    Class::Minor,
                    item,
                    format!("{prefix}{name} {v} removed"),
                    "every list valid before still is",
                ),
            },
            (Some(a), Some(b)) if a != b => {
                let narrowed = if lower { b > a } else { b < a };
                if narrowed {
                    out.push(
                        Class::Major,
                        item,
                        format!("{prefix}{name} {a} → {b} (narrowed)"),
                        &format!("{noun} valid before are now refused before sending"),
                    );
                } else {
                    out.push(
                        Class::Minor,
                        item,
                        format!("{prefix}{name} {a} → {b} (widened)"),
                        &format!("everything valid before still is; more {noun} are accepted"),
                    );
                }
            }
            _ => {}
        }
    }
}

/// A pattern or a format: adding one narrows, removing one widens, and two
/// patterns cannot be compared, so a changed one may narrow.
fn restriction(out: &mut Changes, item: &str, what: &str, old: Option<&str>, new: Option<&str>) {
    match (old, new) {
        (None, Some(v)) => out.push(
            Class::Major,
            item,
            format!("{what} {v} added"),
            "values that do not match, accepted before, are now refused",
        ),
        (Some(v), None) => out.push(
            Class::Minor,
            item,
            format!("{what} {v} removed"),
            "every value valid before still is",
        ),
        (Some(a), Some(b)) if a != b => out.push(
            Class::Major,
            item,
            format!("{what} {a} → {b}"),
            "values valid before may now be refused",
        ),
        _ => {}
    }
}

fn struct_changes(out: &mut Changes, o: &StructDef, n: &StructDef) {
    let name = n.name.as_str();
    doc_change(out, name, &o.doc, &n.doc);
    if o.usage.input != n.usage.input {
        out.push(
            Class::Major,
            name,
            if n.usage.input {
                "now used in requests"
            } else {
                "no longer used in requests"
            }
            .into(),
            "request and response structs are generated differently (`FromJson`, `Validate`, `extra`)",
        );
    }
    for f in &n.fields {
        let item = format!("{name}.{}", f.wire);
        match o.fields.iter().find(|of| of.wire == f.wire) {
            None if f.required => out.push(
                Class::Major,
                &item,
                "required field added".into(),
                "`new` takes one more argument",
            ),
            None => {
                let (what, reason) = (
                    "optional field added".into(),
                    "a new setter and field of a #[non_exhaustive] struct; nothing is sent unless set",
                );
                match n.usage.input.then(|| effect(f)).flatten() {
                    Some(why) => out.push_flagged(Class::Minor, &item, what, reason, why),
                    None => out.push(Class::Minor, &item, what, reason),
                }
            }
            Some(of) => field_changes(out, &item, of, f),
        }
    }
    for of in &o.fields {
        if !n.fields.iter().any(|f| f.wire == of.wire) {
            out.push(
                Class::Major,
                &format!("{name}.{}", of.wire),
                "field removed".into(),
                "its field and setter (or `new` argument) are gone",
            );
        }
    }
    member_changes(out, name, o, n);
    fn wires(s: &StructDef) -> Vec<&str> {
        s.fields.iter().map(|f| f.wire.as_str()).collect()
    }
    if reordered(&wires(o), &wires(n)) {
        out.push(
            Class::Patch,
            name,
            "fields reordered".into(),
            "only the order of `FIELDS` and the serialized members changes",
        );
    }
    match (o.closed, n.closed) {
        (false, true) => out.push(
            Class::Major,
            name,
            "unknown members now refused".into(),
            "payloads with extra members, accepted before, are rejected (or `extra` is gone)",
        ),
        (true, false) => out.push(
            Class::Minor,
            name,
            "unknown members now allowed".into(),
            "every payload valid before still is",
        ),
        _ => {}
    }
    let rules = |s: &StructDef| -> Vec<String> {
        s.rules
            .iter()
            .map(|StructRule::NotBothNonEmpty { first, second, .. }| {
                format!("{first} and {second} not both non-empty")
            })
            .collect()
    };
    let (before, after) = (rules(o), rules(n));
    for rule in after.iter().filter(|r| !before.contains(r)) {
        out.push(
            Class::Major,
            name,
            format!("rule added: {rule}"),
            "requests valid before may now be refused",
        );
    }
    for rule in before.iter().filter(|r| !after.contains(r)) {
        out.push(
            Class::Minor,
            name,
            format!("rule removed: {rule}"),
            "every request valid before still is",
        );
    }
}

/// What a new request member may change beyond the request: how many
/// images a call returns (a count), or what it costs (its documentation
/// speaks of cost), from its name and documentation.
fn effect(f: &FieldDef) -> Option<String> {
    let text = format!(
        "{} {}",
        f.doc.title.as_deref().unwrap_or(""),
        f.doc.description.as_deref().unwrap_or("")
    )
    .to_ascii_lowercase();
    let name = f.wire.to_ascii_lowercase();
    let counted = ["images", "outputs", "samples", "generations", "variations"];
    let count = ["num_", "n_", "number_of_", "count_"]
        .iter()
        .any(|prefix| counted.iter().any(|c| name == format!("{prefix}{c}")))
        || matches!(name.as_str(), "n" | "batch_size" | "samples" | "count")
        || counted
            .iter()
            .any(|c| text.contains(&format!("number of {c}")));
    if count {
        return Some("a count of images: how many images a call returns, and what it costs".into());
    }
    let costly = ["cost", "price", "credit", "billed", "charge"];
    costly
        .iter()
        .find(|word| text.contains(*word))
        .map(|word| format!("what a call costs (its documentation speaks of {word})"))
}

/// The accessors of a request's marked members (`x-segmind-member`):
/// `prompt_text()` and `seed_value()` return `&str` / `u64` for a required
/// member and an `Option` for an optional one. (`output_size()` is on every
/// request: see [`output_size`]; images change a field's type, which
/// `field_changes` reports.)
fn member_changes(out: &mut Changes, name: &str, o: &StructDef, n: &StructDef) {
    for &member in &[Member::Prompt, Member::Seed] {
        let accessor = format!("{}()", member.accessor());
        match (o.member(member), n.member(member)) {
            (None, Some(f)) => out.push(
                Class::Minor,
                name,
                format!("{accessor} added (reads {})", f.wire),
                "a new method; `AnyRequest`'s returns this endpoint's value instead of `None`",
            ),
            (Some(f), None) => out.push(
                Class::Major,
                name,
                format!("{accessor} removed (read {})", f.wire),
                "code calling it no longer compiles",
            ),
            (Some(a), Some(b)) if a.wire != b.wire => out.push_major_if(
                a.required != b.required,
                name,
                format!("{accessor} reads {} instead of {}", b.wire, a.wire),
                (
                    "its return type follows the member's requiredness, which differs",
                    "the same signature returns another member's value",
                ),
            ),
            _ => {}
        }
    }
}

/// The Rust type a field's type becomes, without formats (a format is a
/// validation, not a type).
fn rust_shape(ty: &TypeRef) -> String {
    match ty {
        TypeRef::String { .. } => "String".into(),
        TypeRef::Integer => "i64".into(),
        TypeRef::Number => "f64".into(),
        TypeRef::Bool => "bool".into(),
        TypeRef::Any => "serde_json::Value".into(),
        TypeRef::Named { name, .. } => name.clone(),
        TypeRef::Array(inner) => format!("Vec<{}>", rust_shape(inner)),
        TypeRef::Image => "ImageInput".into(),
    }
}

fn format_of(ty: &TypeRef) -> Option<&'static str> {
    match ty {
        TypeRef::String { format } => format.map(|f| f.as_str()),
        TypeRef::Image => Some(Format::Uri.as_str()),
        TypeRef::Array(inner) => format_of(inner),
        _ => None,
    }
}

fn field_changes(out: &mut Changes, item: &str, o: &FieldDef, n: &FieldDef) {
    doc_change(out, item, &o.doc, &n.doc);
    if o.required != n.required {
        out.push(
            Class::Major,
            item,
            if n.required {
                "became required"
            } else {
                "became optional"
            }
            .into(),
            if n.required {
                "the field is no longer an `Option`, and `new` takes it"
            } else {
                "the field becomes an `Option`, and `new` no longer takes it"
            },
        );
    }
    let (before, after) = (rust_shape(&o.ty), rust_shape(&n.ty));
    if before != after {
        out.push(
            Class::Major,
            item,
            format!("type {before} → {after}"),
            "the field, its setter and `new` take another type",
        );
    } else {
        restriction(out, item, "format", format_of(&o.ty), format_of(&n.ty));
    }
    if o.default != n.default {
        let shown =
            |d: &Option<serde_json::Value>| d.as_ref().map_or("none".into(), |d| d.to_string());
        out.push(
            Class::Patch,
            item,
            format!("default {} → {}", shown(&o.default), shown(&n.default)),
            "the client never sends a default (unset fields are left out), so only the documentation and the registry's `FieldInfo` change",
        );
    }
    let f = |v: Option<u64>| v.map(|v| v as f64);
    bounds(
        out,
        item,
        Bounded::Items,
        (f(o.min_items), f(o.max_items)),
        (f(n.min_items), f(n.max_items)),
    );
}

fn union_changes(out: &mut Changes, o: &UnionDef, n: &UnionDef) {
    let item = n.name.as_str();
    doc_change(out, item, &o.doc, &n.doc);
    for (ident, target) in &n.variants {
        match o.variants.iter().find(|(i, _)| i == ident) {
            None => out.push(
                Class::Minor,
                item,
                format!("variant {ident} added"),
                "a new variant of a #[non_exhaustive] enum",
            ),
            Some((_, old)) if old != target => out.push(
                Class::Major,
                item,
                format!("variant {ident} holds {target} instead of {old}"),
                "code building or matching the variant no longer compiles",
            ),
            Some(_) => {}
        }
    }
    for (ident, _) in &o.variants {
        if !n.variants.iter().any(|(i, _)| i == ident) {
            out.push(
                Class::Major,
                item,
                format!("variant {ident} removed"),
                "code building or matching the variant no longer compiles",
            );
        }
    }
}
