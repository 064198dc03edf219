//! The output size of every endpoint is decided by the spec, never guessed:
//! a member marked `output-size` (pixels) or `aspect-ratio`, their
//! defaults, or the endpoint's `output_size` declaration (the size of an
//! input image, or Segmind's unstated default). Checked once the whole
//! model is known; [`size_sources`](crate::model::size_sources) is the
//! order the generated `output_size()` follows.

use crate::error::{CodegenError, Result};
use crate::model::*;
use crate::node::At;

const DECLARATION: &str = "output_size";
const SERVER_DEFAULT: &str = "server-default";

/// `x-segmind-endpoint.output_size`: `{"follows": "<image member>"}` or
/// `"server-default"`.
pub(crate) fn parse_unset_size(at: &At<'_>) -> Result<UnsetSize> {
    let wrong = || {
        at.err(format!(
            "`{DECLARATION}` is {{\"follows\": \"<input image member>\"}} (the output has the input's size) or \"{SERVER_DEFAULT}\" (Segmind's default, not stated)"
        ))
    };
    match at.value {
        serde_json::Value::String(text) if text == SERVER_DEFAULT => Ok(UnsetSize::ServerDefault),
        serde_json::Value::Object(map) if map.len() == 1 => {
            let member = at.req("follows").map_err(|_| wrong())?;
            Ok(UnsetSize::FollowsInput(member.str()?.to_owned()))
        }
        _ => Err(wrong()),
    }
}

/// Marks the enums of `aspect-ratio` members as ratios, and checks what
/// an endpoint's size declaration names.
pub(crate) fn check(api: &mut Api, root: &At<'_>) -> Result<()> {
    mark_ratio_enums(api, root)?;
    let paths = root.req("paths")?;
    for e in &api.endpoints {
        let meta = paths
            .req(&e.sync_path)?
            .req("post")?
            .req("x-segmind-endpoint")?;
        if let Some(UnsetSize::FollowsInput(member)) = &e.unset_size {
            let single_image = api
                .struct_def(&e.request)
                .and_then(|s| s.fields.iter().find(|f| f.wire == *member))
                .is_some_and(|f| f.required && f.ty == TypeRef::Image);
            if !single_image {
                return Err(meta.req(DECLARATION)?.req("follows")?.err(format!(
                    "`{member}` is not a required single input image of `{}` (marked `\"x-segmind-member\": \"image\"`): the output cannot follow its size",
                    e.request
                )));
            }
        }
    }
    Ok(())
}

/// Every endpoint's output size is decided, and its declaration is used.
/// The emitter's rule, not the parser's: `xtask changes` still parses
/// specs from before the size markers.
pub(crate) fn check_decided(api: &Api) -> Result<()> {
    for e in &api.endpoints {
        let declaration = format!(
            "/paths/{}/post/x-segmind-endpoint/{DECLARATION}",
            e.sync_path.replace('~', "~0").replace('/', "~1")
        );
        let sources = size_sources(api, e);
        match (sources.last(), &e.unset_size) {
            (None, _) => {
                return Err(CodegenError::at(
                    format!("/components/schemas/{}", e.request),
                    format!(
                        "the request of `{}` does not decide its output size: mark the member that sets it `\"x-segmind-member\": \"output-size\"` (pixels) or `\"aspect-ratio\"`, give an optional one a `default`, or say on the endpoint what the size is when unset (`x-segmind-endpoint.{DECLARATION}`: {{\"follows\": \"<input image member>\"}} or \"{SERVER_DEFAULT}\")",
                        e.slug
                    ),
                ));
            }
            (Some(last), Some(_)) if !matches!(last, SizeSource::Unset(_)) => {
                return Err(CodegenError::at(
                    declaration,
                    format!(
                        "never used: {} always gives the output size of `{}`",
                        last.describe(),
                        e.slug
                    ),
                ));
            }
            _ => {}
        }
        if let Some(other) = api
            .endpoints
            .iter()
            .find(|o| o.request == e.request && size_sources(api, o) != sources)
        {
            return Err(CodegenError::at(
                declaration,
                format!(
                    "`{}` and `{}` share the request `{}` but not its output size: give each its own request schema",
                    other.slug, e.slug, e.request
                ),
            ));
        }
    }
    Ok(())
}

/// An enum is a ratio when an `aspect-ratio` member has it; it cannot be an
/// `output-size` (pixels) too.
fn mark_ratio_enums(api: &mut Api, root: &At<'_>) -> Result<()> {
    let mut ratios = Vec::new();
    for s in &api.structs {
        for f in s
            .fields
            .iter()
            .filter(|f| f.member == Some(Member::AspectRatio))
        {
            if let TypeRef::Named { name, .. } = &f.ty {
                ratios.push(name.clone());
            }
        }
    }
    for s in &api.structs {
        for f in s
            .fields
            .iter()
            .filter(|f| f.member == Some(Member::OutputSize))
        {
            if let TypeRef::Named { name, .. } = &f.ty
                && ratios.contains(name)
            {
                return Err(root
                    .req("components")?
                    .req("schemas")?
                    .req(&s.name)?
                    .req("properties")?
                    .req(&f.wire)?
                    .err(format!(
                        "`{name}` is marked an output size (pixels) here and an aspect ratio elsewhere: one enum cannot be both"
                    )));
            }
        }
    }
    for e in api.enums.iter_mut() {
        e.ratio = ratios.contains(&e.name);
    }
    Ok(())
}
