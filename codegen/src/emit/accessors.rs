//! Accessors for the members marked with `x-segmind-member` (prompt, seed,
//! output size), on each request type and on `AnyRequest`, so code that
//! handles any endpoint (the mock server) reads a request through them
//! instead of digging member names out of raw JSON; and the input images
//! (`image`), through the `Endpoint` trait, which the client resolves
//! before sending.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::registry::any_variant;
use super::{ident, rust_type};
use crate::error::{CodegenError, Result};
use crate::members::default_variant;
use crate::model::*;

/// An `impl` block with one accessor per marked member of request `s`.
pub(super) fn request(api: &Api, s: &StructDef) -> Result<TokenStream> {
    let mut methods = Vec::new();
    for &member in Member::ALL {
        let Some(f) = s.member(member) else { continue };
        methods.push(match member {
            Member::Prompt => prompt(f),
            Member::Seed => seed(f),
            Member::OutputSize => output_size(api, f)?,
            // On the `Endpoint` impl: see `endpoint_images`.
            Member::Image => continue,
        });
    }
    let name = format_ident!("{}", s.name);
    Ok(quote! {
        impl #name {
            #(#methods)*
        }
    })
}

fn prompt(f: &FieldDef) -> TokenStream {
    let id = ident(&f.ident);
    let doc = format!(
        " The prompt (`{}`): the text the request is known by.",
        f.wire
    );
    if f.required {
        quote! {
            #[doc = #doc]
            pub fn prompt_text(&self) -> &str {
                &self.#id
            }
        }
    } else {
        quote! {
            #[doc = #doc]
            pub fn prompt_text(&self) -> Option<&str> {
                self.#id.as_deref()
            }
        }
    }
}

/// Whether the seed is a newtype of `u32` (it holds no negative number).
fn unsigned_seed(api: &Api, f: &FieldDef) -> bool {
    match &f.ty {
        TypeRef::Named { name, .. } => api.scalar_def(name).is_some_and(
            |s| matches!(s.kind, ScalarKind::Integer { min, max } if integer_is_u32(min, max)),
        ),
        _ => false,
    }
}

/// `seed_value()`: the seed as its member is typed (`Seed`), `Option`
/// unless the member is required.
fn seed(f: &FieldDef) -> TokenStream {
    let id = ident(&f.ident);
    let ty = rust_type(&f.ty);
    let (ret, doc) = if f.required {
        (quote!(#ty), format!(" The seed (`{}`).", f.wire))
    } else {
        (
            quote!(Option<#ty>),
            format!(" The seed (`{}`), when set.", f.wire),
        )
    };
    quote! {
        #[doc = #doc]
        pub fn seed_value(&self) -> #ret {
            self.#id
        }
    }
}

/// The seed of an `AnyRequest` arm as a `u64`, whatever the endpoint's
/// seed type (`None` when negative).
fn seed_as_u64(api: &Api, f: &FieldDef) -> TokenStream {
    let seed = if f.required {
        quote!(Some(request.seed_value()))
    } else {
        quote!(request.seed_value())
    };
    if unsigned_seed(api, f) {
        quote!(#seed.map(|seed| u64::from(seed.get())))
    } else if matches!(f.ty, TypeRef::Integer) {
        quote!(#seed.and_then(|seed| u64::try_from(seed).ok()))
    } else {
        quote!(#seed.and_then(|seed| u64::try_from(seed.get()).ok()))
    }
}

fn output_size(api: &Api, f: &FieldDef) -> Result<TokenStream> {
    let id = ident(&f.ident);
    let (size, doc) = if f.required {
        (
            quote!(self.#id),
            format!(
                " Width and height in pixels of the image this request asks for (`{}`).",
                f.wire
            ),
        )
    } else {
        // The parser checked that an optional size has a default.
        let (e, variant) = match &f.ty {
            TypeRef::Named { name, .. } => api
                .enum_def(name)
                .and_then(|e| Some((e, default_variant(f, e)?))),
            _ => None,
        }
        .ok_or_else(|| {
            CodegenError::at(
                "",
                format!("internal error: `{}` has no default size", f.wire),
            )
        })?;
        let (ty, fallback) = (
            format_ident!("{}", e.name),
            format_ident!("{}", variant.ident),
        );
        (
            quote!(self.#id.unwrap_or(#ty::#fallback)),
            format!(
                " Width and height in pixels of the image this request asks for: `{}`, or the server's default `{}` when it is unset.",
                f.wire, variant.wire
            ),
        )
    };
    Ok(quote! {
        #[doc = #doc]
        pub fn output_size(&self) -> (u32, u32) {
            let size = #size;
            (size.width(), size.height())
        }
    })
}

/// The same accessors on `AnyRequest`: `None` where the endpoint has no
/// such member. Every request must mark its output size: the mock server
/// renders it, and would otherwise have to guess.
pub(super) fn any_request(api: &Api) -> Result<TokenStream> {
    if let Some(e) = api.endpoints.iter().find(|e| {
        api.struct_def(&e.request)
            .is_none_or(|s| s.member(Member::OutputSize).is_none())
    }) {
        return Err(CodegenError::at(
            format!("/components/schemas/{}", e.request),
            format!(
                "the request of `{}` marks no output size: add `\"x-segmind-member\": \"output-size\"` to the member that sets it. An endpoint whose output size is not a member cannot be expressed yet (the mock server could not render it)",
                e.slug
            ),
        ));
    }
    // Each request's accessor, wrapped in `Some` where it always has a value.
    let arms = |member: Member| {
        api.endpoints.iter().filter_map(move |e| {
            let s = api.struct_def(&e.request)?;
            let variant = any_variant(e);
            let accessor = format_ident!("{}", member.accessor());
            Some(match s.member(member) {
                None => quote!(Self::#variant(_) => None,),
                Some(f) if member == Member::Seed => {
                    let seed = seed_as_u64(api, f);
                    quote!(Self::#variant(request) => #seed,)
                }
                Some(f) if f.required => {
                    quote!(Self::#variant(request) => Some(request.#accessor()),)
                }
                Some(_) => quote!(Self::#variant(request) => request.#accessor(),),
            })
        })
    };
    let prompt = arms(Member::Prompt);
    let seed = arms(Member::Seed);
    let sizes = api.endpoints.iter().map(|e| {
        let variant = any_variant(e);
        quote!(Self::#variant(request) => request.output_size(),)
    });
    Ok(quote! {
        /// The prompt, when the endpoint takes one: the text the request is known by.
        pub fn prompt_text(&self) -> Option<&str> {
            match self {
                #(#prompt)*
            }
        }

        /// The seed as a number every endpoint's seed fits in, when the
        /// endpoint takes one and it is set (and not negative). Each request
        /// type's own `seed_value()` returns the seed as it is typed.
        pub fn seed_value(&self) -> Option<u64> {
            match self {
                #(#seed)*
            }
        }

        /// Width and height in pixels of the image the request asks for (the
        /// server's default when its size member is unset).
        pub fn output_size(&self) -> (u32, u32) {
            match self {
                #(#sizes)*
            }
        }
    })
}

/// `images()` and `images_mut()` of the `Endpoint` impl of request `s`:
/// every `ImageInput` it holds, in field order.
pub(super) fn endpoint_images(s: &StructDef) -> TokenStream {
    let images: Vec<&FieldDef> = s
        .fields
        .iter()
        .filter(|f| f.member == Some(Member::Image))
        .collect();
    let body = |mutable: bool| {
        let (reference, iter, as_ref) = if mutable {
            (quote!(&mut), quote!(iter_mut), quote!(as_mut))
        } else {
            (quote!(&), quote!(iter), quote!(as_ref))
        };
        // A required single image is one element; anything else is extended.
        let single = |f: &FieldDef| f.required && f.ty == TypeRef::Image;
        let element = |f: &FieldDef| {
            let id = ident(&f.ident);
            quote!(#reference self.#id)
        };
        let extend = |f: &FieldDef| {
            let id = ident(&f.ident);
            match (f.required, &f.ty) {
                (false, TypeRef::Image) => quote!(self.#id.#as_ref()),
                (true, _) => quote!(self.#id.#iter()),
                (false, _) => quote!(self.#id.#iter().flatten()),
            }
        };
        let leading = images.iter().take_while(|f| single(f)).count();
        let firsts = images[..leading].iter().map(|f| element(f));
        if leading == images.len() {
            return quote!(vec![#(#firsts),*]);
        }
        let rest = images[leading..].iter().map(|f| {
            if single(f) {
                let element = element(f);
                quote!(images.push(#element);)
            } else {
                let items = extend(f);
                quote!(images.extend(#items);)
            }
        });
        let start = if leading == 0 {
            quote!(Vec::new())
        } else {
            quote!(vec![#(#firsts),*])
        };
        quote! {
            let mut images = #start;
            #(#rest)*
            images
        }
    };
    let (read, write) = if images.is_empty() {
        (quote!(Vec::new()), quote!(Vec::new()))
    } else {
        (body(false), body(true))
    };
    quote! {
        fn images(&self) -> Vec<&ImageInput> {
            #read
        }

        fn images_mut(&mut self) -> Vec<&mut ImageInput> {
            #write
        }
    }
}
