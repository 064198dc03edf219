//! `bounds.rs`: the bounds of the members code handling any endpoint reads
//! (`x-segmind-member`), so that a server can stay inside the spec's range
//! without spelling it (the mock draws a seed when a request has none).

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::registry::any_variant;
use crate::model::*;

pub(super) fn emit(api: &Api) -> TokenStream {
    let arms = api.endpoints.iter().map(|e| {
        let variant = any_variant(e);
        let range = api
            .struct_def(&e.request)
            .and_then(|request| request.member(Member::Seed))
            .and_then(|seed| integer_bounds(api, &seed.ty));
        let value = match range {
            Some((min, max)) => {
                let (min, max) = (Literal::i64_unsuffixed(min), Literal::i64_unsuffixed(max));
                quote!(Some((#min, #max)))
            }
            None => quote!(None),
        };
        quote! { Self::#variant(_) => #value, }
    });
    quote! {
        //! The bounds of the members code handling any endpoint reads.

        use super::AnyRequest;

        impl AnyRequest {
            /// The smallest and largest seed the endpoint takes (both
            /// included), when it has a seed member with both bounds.
            pub const fn seed_range(&self) -> Option<(i64, i64)> {
                match self {
                    #(#arms)*
                }
            }
        }
    }
}

/// Both bounds of an integer scalar type.
fn integer_bounds(api: &Api, ty: &TypeRef) -> Option<(i64, i64)> {
    let TypeRef::Named { name, .. } = ty else {
        return None;
    };
    match api.scalar_def(name)?.kind {
        ScalarKind::Integer {
            min: Some(min),
            max: Some(max),
        } => Some((min, max)),
        _ => None,
    }
}
