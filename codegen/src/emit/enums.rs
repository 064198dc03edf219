//! String enums: one variant per value, with `as_str`, `Display`, `FromStr`,
//! `ALL`, sizes for resolution enums, and an `Unknown` variant for open enums.

use std::collections::BTreeSet;

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::{deserialize_via_from_json, doc_lines, schemars_derive};
use crate::model::*;

pub(super) fn emit(api: &Api) -> TokenStream {
    let enums = api
        .enums
        .iter()
        .map(|e| if e.open { open_enum(e) } else { closed_enum(e) });
    let size_error = api
        .enums
        .iter()
        .any(|e| !e.open && e.pixel_sizes().is_some())
        .then(|| {
            quote!(
                use crate::validation::SizeError;
            )
        });
    let sized = api.enums.iter().any(|e| e.dimensions.is_some() && !e.open);
    let output_size = sized.then(|| {
        quote!(
            use crate::OutputSize;
        )
    });
    quote! {
        //! String enums of the spec, with every documented value.

        use std::fmt;
        use std::str::FromStr;

        use serde::{Deserialize, Serialize};
        use serde_json::Value;

        use crate::__private::Path;
        #output_size
        #size_error
        use crate::validation::{FromJson, ParseEnumError, Violation};

        #(#enums)*
    }
}

fn enum_doc(e: &EnumDef) -> TokenStream {
    let mut paragraphs = e.doc.paragraphs();
    paragraphs.push(format!("{} values.", e.variants.len()));
    if let Some(d) = e.default {
        paragraphs.push(format!("The server's default is `{}`.", e.variants[d].wire));
    }
    doc_lines(&paragraphs)
}

fn variant_doc(e: &EnumDef, i: usize) -> String {
    let wire = &e.variants[i].wire;
    match &e.dimensions {
        Some(dims) if e.ratio => format!(" `{wire}` ({} : {})", dims[i].0, dims[i].1),
        Some(dims) => format!(" `{wire}` ({} × {})", dims[i].0, dims[i].1),
        None => format!(" `{wire}`"),
    }
}

/// What both kinds of enum are made of.
struct Parts<'a> {
    name: proc_macro2::Ident,
    type_name: &'a str,
    doc: TokenStream,
    idents: Vec<proc_macro2::Ident>,
    wires: Vec<&'a str>,
    docs: Vec<String>,
}

impl<'a> Parts<'a> {
    fn of(e: &'a EnumDef) -> Self {
        Self {
            name: format_ident!("{}", e.name),
            type_name: &e.name,
            doc: enum_doc(e),
            idents: e
                .variants
                .iter()
                .map(|v| format_ident!("{}", v.ident))
                .collect(),
            wires: e.variants.iter().map(|v| v.wire.as_str()).collect(),
            docs: (0..e.variants.len()).map(|i| variant_doc(e, i)).collect(),
        }
    }
}

fn closed_enum(e: &EnumDef) -> TokenStream {
    let Parts {
        name,
        doc,
        idents,
        wires,
        docs,
        ..
    } = Parts::of(e);
    let derive_schemars = schemars_derive();
    let deserialize = deserialize_via_from_json(&name);
    let parse_error = parse_error(e);
    let conversions = super::conversions::enum_conversions(e);
    let derive_default = e.default.map(|_| quote!(Default,));
    let default_attrs =
        (0..e.variants.len()).map(|i| (e.default == Some(i)).then(|| quote!(#[default])));
    let dims = e
        .dimensions
        .as_ref()
        .map(|dims| dimension_methods(e, &idents, dims));
    let into_output_size = e.dimensions.as_ref().map(|_| into_output_size(e));
    quote! {
        #doc
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, #derive_default Serialize)]
        #derive_schemars
        #[non_exhaustive]
        pub enum #name {
            #(
                #[doc = #docs]
                #[serde(rename = #wires)]
                #default_attrs
                #idents,
            )*
        }

        impl #name {
            /// Every value, in the spec's order.
            pub const ALL: &'static [Self] = &[#(Self::#idents),*];

            /// Every wire value, in the spec's order.
            pub const VALUES: &'static [&'static str] = &[#(#wires),*];

            /// The value as sent on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    #(Self::#idents => #wires,)*
                }
            }

            #dims
        }

        impl fmt::Display for #name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for #name {
            type Err = ParseEnumError;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                match value {
                    #(#wires => Ok(Self::#idents),)*
                    _ => Err(#parse_error),
                }
            }
        }

        #deserialize

        impl FromJson for #name {
            fn from_json_at(value: &Value, path: &Path<'_>, errors: &mut Vec<Violation>) -> Option<Self> {
                crate::__private::enum_from_json(value, path, errors)
            }
        }

        #conversions

        #into_output_size
    }
}

/// What every value naming two numbers gives: `width()`, `height()` and
/// `from_size()` for pixel sizes, `ratio()` for aspect ratios.
fn dimension_methods(
    e: &EnumDef,
    idents: &[proc_macro2::Ident],
    dims: &[(u32, u32)],
) -> TokenStream {
    if e.ratio {
        let ratios = dims.iter().map(|&(w, h)| {
            let (w, h) = (Literal::u32_unsuffixed(w), Literal::u32_unsuffixed(h));
            quote!((#w, #h))
        });
        return quote! {
            /// The aspect ratio, width to height; Segmind picks the pixels.
            pub const fn ratio(self) -> (u32, u32) {
                match self {
                    #(Self::#idents => #ratios,)*
                }
            }
        };
    }
    let widths = dims.iter().map(|(w, _)| Literal::u32_unsuffixed(*w));
    let heights = dims.iter().map(|(_, h)| Literal::u32_unsuffixed(*h));
    let from_size = from_size(e, dims);
    let sizes = dims.iter().map(|&(w, h)| {
        let (w, h) = (Literal::u32_unsuffixed(w), Literal::u32_unsuffixed(h));
        quote!((#w, #h))
    });
    quote! {
        /// Width and height in pixels of every value, in the order of
        /// [`VALUES`](Self::VALUES).
        pub const SIZES: &'static [(u32, u32)] = &[#(#sizes),*];

        /// Width of the output image in pixels.
        pub const fn width(self) -> u32 {
            match self {
                #(Self::#idents => #widths,)*
            }
        }

        /// Height of the output image in pixels.
        pub const fn height(self) -> u32 {
            match self {
                #(Self::#idents => #heights,)*
            }
        }

        #from_size
    }
}

/// `From<Enum> for OutputSize`: pixels, or a ratio.
fn into_output_size(e: &EnumDef) -> TokenStream {
    let name = format_ident!("{}", e.name);
    let body = if e.ratio {
        quote! {
            let (width, height) = value.ratio();
            OutputSize::Ratio { width, height }
        }
    } else {
        quote! {
            OutputSize::Pixels {
                width: value.width(),
                height: value.height(),
            }
        }
    };
    quote! {
        impl From<#name> for OutputSize {
            fn from(value: #name) -> Self {
                #body
            }
        }
    }
}

/// What `FromStr` answers for a string that is no value: the values, and
/// the closest by spelling (by size for an enum of sizes).
fn parse_error(e: &EnumDef) -> TokenStream {
    let type_name = &e.name;
    match e.pixel_sizes() {
        Some(_) => {
            quote!(ParseEnumError::of_size(#type_name, value, Self::VALUES, Self::SIZES))
        }
        None => quote!(ParseEnumError::new(#type_name, value, Self::VALUES)),
    }
}

/// `from_size(width, height)`: the inverse of `width()` and `height()`,
/// with the nearest sizes when none fits. Where two values name one size,
/// the first in the spec's order wins (a second arm would be unreachable).
fn from_size(e: &EnumDef, dims: &[(u32, u32)]) -> TokenStream {
    let mut seen = BTreeSet::new();
    let arms: Vec<TokenStream> = e
        .variants
        .iter()
        .zip(dims)
        .filter(|(_, size)| seen.insert(**size))
        .map(|(v, &(w, h))| {
            let ident = format_ident!("{}", v.ident);
            let (w, h) = (Literal::u32_unsuffixed(w), Literal::u32_unsuffixed(h));
            quote!((#w, #h) => Ok(Self::#ident),)
        })
        .collect();
    let (name, first, (w, h)) = (&e.name, &e.variants[0].ident, dims[0]);
    let mut example = format!(
        "```\nuse segmind_ideogram::{name};\n\nassert_eq!({name}::from_size({w}, {h}), Ok({name}::{first}));"
    );
    if let Some((w, h)) = [(1, 1), (u32::MAX, u32::MAX)]
        .into_iter()
        .find(|size| !seen.contains(size))
    {
        example.push_str(&format!(
            "\nlet error = {name}::from_size({w}, {h}).unwrap_err();\nprintln!(\"{{error}}\"); // no value of {name} is {w}x{h}; the nearest: …"
        ));
    }
    example.push_str("\n```");
    let mut doc = vec![
        "The value of this width and height in pixels, or an error that names the nearest sizes."
            .to_owned(),
        example,
    ];
    if arms.len() < dims.len() {
        doc.insert(
            1,
            "Where several values name the same size, this is the first in the spec's order."
                .to_owned(),
        );
    }
    let doc = doc_lines(&doc);
    let type_name = &e.name;
    quote! {
        #doc
        pub const fn from_size(width: u32, height: u32) -> Result<Self, SizeError> {
            match (width, height) {
                #(#arms)*
                _ => Err(SizeError::new(#type_name, width, height, Self::VALUES, Self::SIZES)),
            }
        }
    }
}

fn open_enum(e: &EnumDef) -> TokenStream {
    let Parts {
        name,
        type_name,
        doc,
        idents,
        wires,
        docs,
    } = Parts::of(e);
    quote! {
        #doc
        ///
        /// Values this version does not know are kept in [`Self::Unknown`], so a
        /// new server state never breaks deserialization.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum #name {
            #(
                #[doc = #docs]
                #idents,
            )*
            /// A value this version of the crate does not know.
            Unknown(String),
        }

        impl #name {
            /// Every known value, in the spec's order.
            pub const ALL: &'static [Self] = &[#(Self::#idents),*];

            /// Every known wire value, in the spec's order.
            pub const VALUES: &'static [&'static str] = &[#(#wires),*];

            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #(Self::#idents => #wires,)*
                    Self::Unknown(value) => value,
                }
            }
        }

        impl fmt::Display for #name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for #name {
            type Err = std::convert::Infallible;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok(match value {
                    #(#wires => Self::#idents,)*
                    other => Self::Unknown(other.to_owned()),
                })
            }
        }

        impl From<&str> for #name {
            fn from(value: &str) -> Self {
                match value.parse() {
                    Ok(parsed) => parsed,
                    Err(never) => match never {},
                }
            }
        }

        impl Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Ok(Self::from(value.as_ref()))
            }
        }

        #[cfg(feature = "schemars")]
        impl schemars::JsonSchema for #name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                #type_name.into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "examples": [#(#wires),*]
                })
            }
        }

        impl FromJson for #name {
            fn from_json_at(value: &Value, path: &Path<'_>, errors: &mut Vec<Violation>) -> Option<Self> {
                crate::__private::string_from_json(value, path, errors).map(Self::from)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_size_keeps_the_first_value_of_a_size() {
        let variant = |wire: &str, ident: &str| Variant {
            wire: wire.to_owned(),
            ident: ident.to_owned(),
        };
        let e = EnumDef {
            name: "Size".to_owned(),
            doc: Doc::default(),
            variants: vec![
                variant("1024x1024", "Square"),
                variant("RESOLUTION_1024_1024", "AlsoSquare"),
                variant("1280x720", "Wide"),
            ],
            default: None,
            open: false,
            dimensions: Some(vec![(1024, 1024), (1024, 1024), (1280, 720)]),
            ratio: false,
            usage: Usage::default(),
        };
        let code = from_size(&e, e.dimensions.as_deref().unwrap()).to_string();
        assert!(
            code.contains("(1024 , 1024) => Ok (Self :: Square)"),
            "{code}"
        );
        assert!(!code.contains("AlsoSquare"), "{code}");
        assert!(code.contains("(1280 , 720) => Ok (Self :: Wide)"), "{code}");
        assert!(code.contains("the first in the spec's order"), "{code}");
        assert!(
            code.contains("Size::from_size(1, 1).unwrap_err()"),
            "{code}"
        );
    }
}
