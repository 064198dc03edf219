//! The short ways from a plain value to a generated type, so that building
//! a request takes one `?` per value at most: `TryFrom<&str>` for every
//! closed enum, `TryFrom<(u32, u32)>` for an enum of sizes, and for a union
//! variant made of one member, `From` that member (`From<PalettePresetName>
//! for ColorPalette`).

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::model::*;

/// `TryFrom<&str>`, and `TryFrom<(u32, u32)>` for an enum of sizes.
pub(super) fn enum_conversions(e: &EnumDef) -> TokenStream {
    let name = format_ident!("{}", e.name);
    let sizes = e.pixel_sizes().map(|_| {
        quote! {
            impl TryFrom<(u32, u32)> for #name {
                type Error = SizeError;

                fn try_from((width, height): (u32, u32)) -> Result<Self, Self::Error> {
                    Self::from_size(width, height)
                }
            }
        }
    });
    quote! {
        impl TryFrom<&str> for #name {
            type Error = ParseEnumError;

            fn try_from(value: &str) -> Result<Self, Self::Error> {
                value.parse()
            }
        }

        #sizes
    }
}

/// The variants of `u` whose struct has one member, required, set by an
/// infallible `new`: (variant ident, struct name, the member's Rust type).
/// A member type shared by two variants gets no shortcut (it would not say
/// which).
fn one_member_variants<'a>(api: &'a Api, u: &'a UnionDef) -> Vec<(&'a str, &'a str, TokenStream)> {
    let mut found: Vec<(&str, &str, TokenStream)> = Vec::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for (variant, target) in &u.variants {
        let Some(s) = api.struct_def(target) else {
            continue;
        };
        let [field] = &s.fields[..] else { continue };
        let takes_plain = matches!(
            field.ty,
            TypeRef::Named {
                kind: NamedKind::Enum | NamedKind::Scalar,
                ..
            }
        );
        if field.required && takes_plain && !checked_by_new(field) {
            let ty = super::rust_type(&field.ty);
            *counts.entry(ty.to_string()).or_default() += 1;
            found.push((variant, target, ty));
        }
    }
    found.retain(|(_, _, ty)| counts[&ty.to_string()] == 1);
    found
}

/// Whether `new` checks this required member (a list with bounds), so
/// that it returns a `Result`.
pub(super) fn checked_by_new(field: &FieldDef) -> bool {
    field.required && (field.min_items.is_some() || field.max_items.is_some())
}

/// `From<member>` for the union and for the variant's struct.
pub(super) fn union_shortcuts(api: &Api, u: &UnionDef) -> TokenStream {
    let union = format_ident!("{}", u.name);
    let items = one_member_variants(api, u)
        .into_iter()
        .map(|(variant, target, ty)| {
            let (variant, target) = (format_ident!("{}", variant), format_ident!("{}", target));
            quote! {
                impl From<#ty> for #target {
                    fn from(value: #ty) -> Self {
                        Self::new(value)
                    }
                }

                impl From<#ty> for #union {
                    fn from(value: #ty) -> Self {
                        Self::#variant(#target::new(value))
                    }
                }
            }
        });
    quote!(#(#items)*)
}
