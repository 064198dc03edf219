//! `x-segmind-member`: the request members code handling any endpoint
//! reads (its prompt, seed and output size) or resolves (its input images),
//! checked once the whole model is known, since the rules depend on the
//! member's type and on which schemas are request bodies.

use crate::error::Result;
use crate::model::*;
use crate::node::At;

const KEY: &str = "x-segmind-member";

/// The `x-segmind-member` marker of a property, if it has one.
pub(crate) fn parse_member(prop: &At<'_>) -> Result<Option<Member>> {
    let Some(marker) = prop.get(KEY)? else {
        return Ok(None);
    };
    let name = marker.str()?;
    Member::from_name(name).map(Some).ok_or_else(|| {
        let known: Vec<&str> = Member::ALL.iter().map(|m| m.name()).collect();
        marker.err(format!("unknown member `{name}` ({})", known.join(", ")))
    })
}

/// The type of a member marked `image`: a `format: uri` string becomes
/// [`TypeRef::Image`], an array of them an array of images.
pub(crate) fn image_type(prop: &At<'_>, ty: TypeRef) -> Result<TypeRef> {
    let uri = |t: &TypeRef| {
        matches!(
            t,
            TypeRef::String {
                format: Some(Format::Uri)
            }
        )
    };
    match ty {
        ref t if uri(t) => Ok(TypeRef::Image),
        TypeRef::Array(ref inner) if uri(inner) => Ok(TypeRef::Array(Box::new(TypeRef::Image))),
        _ => Err(prop.req(KEY)?.err(
            "an image must be a `format: uri` string, or an array of them: a URL on the wire",
        )),
    }
}

/// Every marker sits on a request body, at most once per member (images
/// excepted), on a type its accessor can read. (That every request's
/// output size is decided is [`crate::sizes`]' rule.)
pub(crate) fn check(api: &Api, schemas: &At<'_>) -> Result<()> {
    for s in &api.structs {
        let is_request = api.endpoints.iter().any(|e| e.request == s.name);
        let properties = || schemas.req(&s.name)?.req("properties");
        for f in &s.fields {
            // A field's setter is named after it, and would clash. Every
            // request has the image accessors (`Endpoint` requires them).
            let ident = f.ident.trim_start_matches("r#");
            let clash = Member::ALL.iter().find_map(|&m| {
                let generated = s.member(m).is_some() || (m.on_every_request() && is_request);
                let accessor = m.accessors().iter().find(|a| **a == ident)?;
                generated.then_some((m, accessor))
            });
            if let Some((member, accessor)) = clash {
                return Err(properties()?.req(&f.wire)?.err(format!(
                    "the field `{}` of `{}` would clash with the accessor `{accessor}()` generated for `{}` members",
                    f.ident,
                    s.name,
                    member.name()
                )));
            }
            let Some(member) = f.member else { continue };
            let marker = properties()?.req(&f.wire)?.req(KEY)?;
            if !is_request {
                return Err(marker.err(format!(
                    "`{KEY}` is read on request bodies only, and `{}` is no endpoint's request",
                    s.name
                )));
            }
            check_type(api, f, member).map_err(|message| marker.err(message))?;
            if member.once_per_request()
                && let Some(first) = s.fields.iter().find(|g| g.member == Some(member))
                && first.wire != f.wire
            {
                return Err(marker.err(format!(
                    "`{}` is marked `{}` too; a request has one",
                    first.wire,
                    member.name()
                )));
            }
        }
    }
    Ok(())
}

/// Whether the accessor of `member` can read `f`'s type; the reason when not.
fn check_type(api: &Api, f: &FieldDef, member: Member) -> std::result::Result<(), String> {
    let named = |kind: NamedKind| match &f.ty {
        TypeRef::Named { name, kind: k } if *k == kind => Some(name.as_str()),
        _ => None,
    };
    match member {
        Member::Prompt => {
            let text = matches!(f.ty, TypeRef::String { .. })
                || named(NamedKind::Scalar)
                    .and_then(|n| api.scalar_def(n))
                    .is_some_and(|s| matches!(s.kind, ScalarKind::String { .. }));
            text.then_some(())
                .ok_or_else(|| "a prompt must be a string".to_owned())
        }
        Member::Seed => {
            let integer = matches!(f.ty, TypeRef::Integer)
                || named(NamedKind::Scalar)
                    .and_then(|n| api.scalar_def(n))
                    .is_some_and(|s| matches!(s.kind, ScalarKind::Integer { .. }));
            integer
                .then_some(())
                .ok_or_else(|| "a seed must be an integer".to_owned())
        }
        Member::OutputSize | Member::AspectRatio => {
            let what = if member == Member::OutputSize {
                "an output size must be a closed string enum whose every value names a width and a height above 0 (`1024x768`, `RESOLUTION_1024_768`)"
            } else {
                "an aspect ratio must be a closed string enum whose every value names a width and a height above 0 (`16x9`, `ASPECT_16_9`)"
            };
            let e = named(NamedKind::Enum)
                .and_then(|n| api.enum_def(n))
                .ok_or(what)?;
            let all_sized = e
                .dimensions
                .as_ref()
                .is_some_and(|dims| dims.iter().all(|&(w, h)| w > 0 && h > 0));
            if e.open || !all_sized {
                return Err(what.to_owned());
            }
            Ok(())
        }
        // The parser typed it, or refused it (`image_type`).
        Member::Image => Ok(()),
    }
}

/// The variant an optional output size falls back to: the member's default,
/// else its enum's.
pub(crate) fn default_variant<'a>(f: &FieldDef, e: &'a EnumDef) -> Option<&'a Variant> {
    match f.default.as_ref().and_then(|d| d.as_str()) {
        Some(wire) => e.variants.iter().find(|v| v.wire == wire),
        None => e.default.map(|i| &e.variants[i]),
    }
}
