//! Accessors for the members marked with `x-segmind-member` (prompt, seed),
//! the output size every request states one way or another (its size or
//! aspect-ratio member, their defaults, or the endpoint's declaration), on
//! each request type and on `AnyRequest`, so code that handles any endpoint
//! (the mock server) reads a request through them instead of digging member
//! names out of raw JSON; and the input images (`image`), through the
//! `Endpoint` trait, which the client resolves before sending.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::registry::any_variant;
use super::{ident, rust_type};
use crate::model::*;

/// An `impl` block with one accessor per marked member of the request of
/// `e`, and its `output_size()`.
pub(super) fn request(api: &Api, e: &EndpointDef, s: &StructDef) -> TokenStream {
    let mut methods = Vec::new();
    for &member in Member::ALL {
        let Some(f) = s.member(member) else { continue };
        methods.push(match member {
            Member::Prompt => prompt(f),
            Member::Seed => seed(f),
            // `output_size()` reads both, below; images are on the
            // `Endpoint` impl (see `endpoint_images`).
            Member::OutputSize | Member::AspectRatio | Member::Image => continue,
        });
    }
    methods.push(output_size(api, e));
    let name = format_ident!("{}", s.name);
    quote! {
        impl #name {
            #(#methods)*
        }
    }
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

/// `output_size()`: each source of the size in turn (see [`size_sources`]).
fn output_size(api: &Api, e: &EndpointDef) -> TokenStream {
    let sources = size_sources(api, e);
    let steps = sources.iter().map(|source| match source {
        SizeSource::Member {
            wire,
            required: true,
            ..
        } => {
            let id = ident(&field_ident(api, e, wire));
            quote!(self.#id.into())
        }
        SizeSource::Member { wire, .. } => {
            let id = ident(&field_ident(api, e, wire));
            quote! {
                if let Some(size) = self.#id {
                    return size.into();
                }
            }
        }
        SizeSource::Default {
            enum_name, variant, ..
        } => {
            let (ty, variant) = (format_ident!("{enum_name}"), format_ident!("{variant}"));
            quote!(#ty::#variant.into())
        }
        SizeSource::Unset(UnsetSize::FollowsInput(member)) => {
            quote!(OutputSize::FollowsInput { member: #member })
        }
        SizeSource::Unset(UnsetSize::ServerDefault) => quote!(OutputSize::ServerDefault),
    });
    let order: Vec<String> = sources.iter().map(SizeSource::describe).collect();
    let doc = format!(
        " The size of the image this request asks for: {}.",
        order.join(" when set, else ")
    );
    quote! {
        #[doc = #doc]
        pub fn output_size(&self) -> OutputSize {
            #(#steps)*
        }
    }
}

/// The Rust name of the member `wire` of `e`'s request.
fn field_ident(api: &Api, e: &EndpointDef, wire: &str) -> String {
    api.struct_def(&e.request)
        .and_then(|s| s.fields.iter().find(|f| f.wire == wire))
        .map_or_else(|| wire.to_owned(), |f| f.ident.clone())
}

/// The same accessors on `AnyRequest`: `None` where the endpoint has no
/// such member. Every request's output size must be decided: the mock
/// server renders it, and would otherwise have to guess.
pub(super) fn any_request(api: &Api) -> TokenStream {
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
    quote! {
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

        /// The size of the image the request asks for: pixels, an aspect
        /// ratio, the size of an input image, or Segmind's unstated default.
        pub fn output_size(&self) -> OutputSize {
            match self {
                #(#sizes)*
            }
        }
    }
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
