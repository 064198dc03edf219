//! Constrained scalars as newtypes with a private field: the only ways in
//! (`new`, `TryFrom`, `FromStr`, `FromJson` and `Deserialize` through it) check the rule, so an invalid
//! value cannot exist.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::{deserialize_via_from_json, doc_lines, schemars_attr, schemars_derive};
use crate::model::*;
use crate::naming::screaming;

pub(super) fn emit(api: &Api) -> TokenStream {
    let has_pattern = api.scalars.iter().any(|s| {
        matches!(
            s.kind,
            ScalarKind::String {
                pattern: Some(_),
                ..
            }
        )
    });
    let regex_imports = has_pattern.then(|| {
        quote! {
            use std::sync::LazyLock;

            use regex_lite::Regex;
        }
    });
    let scalars = api.scalars.iter().map(|s| match &s.kind {
        ScalarKind::Integer { min, max } => integer(s, *min, *max),
        ScalarKind::Number { min, max } => number(s, *min, *max),
        ScalarKind::String { pattern, format } => string(s, pattern.as_deref(), *format),
    });
    quote! {
        //! Constrained scalars: values that cannot be built out of range.

        use std::fmt;
        use std::str::FromStr;
        #regex_imports

        use serde::{Deserialize, Serialize};
        use serde_json::Value;

        use crate::__private::Path;
        use crate::validation::{FromJson, InvalidValue, Rule, Violation};

        #(#scalars)*
    }
}

fn rule_doc(s: &ScalarDef, rule: String) -> TokenStream {
    let mut paragraphs = s.doc.paragraphs();
    paragraphs.push(rule);
    doc_lines(&paragraphs)
}

fn bound_text<T: std::fmt::Display>(min: Option<T>, max: Option<T>) -> String {
    match (min, max) {
        (Some(lo), Some(hi)) => format!("Valid values: {lo} to {hi} inclusive."),
        (Some(lo), None) => format!("Valid values: {lo} or more."),
        (None, Some(hi)) => format!("Valid values: {hi} or less."),
        (None, None) => "Any value.".to_owned(),
    }
}

fn opt_tokens<T: quote::ToTokens>(value: Option<T>) -> TokenStream {
    match value {
        Some(v) => quote!(Some(#v)),
        None => quote!(None),
    }
}

/// `MIN` / `MAX` constants for the bounds that exist.
fn bound_consts(
    inner: &TokenStream,
    min: Option<Literal>,
    max: Option<Literal>,
) -> (TokenStream, TokenStream) {
    let min = min.map(|v| {
        quote! {
            /// The smallest valid value.
            pub const MIN: #inner = #v;
        }
    });
    let max = max.map(|v| {
        quote! {
            /// The largest valid value.
            pub const MAX: #inner = #v;
        }
    });
    (min.unwrap_or_default(), max.unwrap_or_default())
}

/// Conversions every numeric newtype has: checked in, unchecked out, shown
/// as the number, and deserialized through `FromJson`.
fn numeric_conversions(name: &proc_macro2::Ident, inner: &TokenStream) -> TokenStream {
    let deserialize = deserialize_via_from_json(name);
    quote! {
        impl TryFrom<#inner> for #name {
            type Error = InvalidValue;

            fn try_from(value: #inner) -> Result<Self, Self::Error> {
                Self::new(value)
            }
        }

        impl From<#name> for #inner {
            fn from(value: #name) -> Self {
                value.0
            }
        }

        impl fmt::Display for #name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        #deserialize
    }
}

fn integer(s: &ScalarDef, min: Option<i64>, max: Option<i64>) -> TokenStream {
    let name = format_ident!("{}", s.name);
    let type_name = &s.name;
    let fits_u32 = integer_is_u32(min, max);
    let inner = if fits_u32 { quote!(u32) } else { quote!(i64) };
    let lit = |v: i64| {
        if fits_u32 {
            Literal::u32_unsuffixed(u32::try_from(v).expect("checked to fit"))
        } else {
            Literal::i64_unsuffixed(v)
        }
    };
    let (min_const, max_const) = bound_consts(&inner, min.map(lit), max.map(lit));
    let conversions = numeric_conversions(&name, &inner);
    let min_check = opt_tokens(min.map(|v| Literal::i128_unsuffixed(i128::from(v))));
    let max_check = opt_tokens(max.map(|v| Literal::i128_unsuffixed(i128::from(v))));
    let range = match (
        min.map(Literal::i64_unsuffixed),
        max.map(Literal::i64_unsuffixed),
    ) {
        (Some(lo), Some(hi)) => schemars_attr(quote!(range(min = #lo, max = #hi))),
        (Some(lo), None) => schemars_attr(quote!(range(min = #lo))),
        (None, Some(hi)) => schemars_attr(quote!(range(max = #hi))),
        (None, None) => quote!(),
    };
    let doc = rule_doc(s, bound_text(min, max));
    let derive_schemars = schemars_derive();
    quote! {
        #doc
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #derive_schemars
        #[serde(transparent)]
        pub struct #name(#range #inner);

        impl #name {
            #min_const
            #max_const

            /// Checks `value` against the spec's bounds.
            pub fn new(value: #inner) -> Result<Self, InvalidValue> {
                Self::check(i128::from(value))
                    .map(|()| Self(value))
                    .map_err(|rule| InvalidValue::new(#type_name, rule))
            }

            /// The value.
            pub const fn get(self) -> #inner {
                self.0
            }

            fn check(value: i128) -> Result<(), Rule> {
                crate::__private::check_integer(value, #min_check, #max_check)
            }
        }

        #conversions

        impl FromStr for #name {
            type Err = InvalidValue;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                let value: i128 = text
                    .trim()
                    .parse()
                    .map_err(|_| InvalidValue::new(#type_name, Rule::Type { expected: "integer" }))?;
                Self::check(value).map_err(|rule| InvalidValue::new(#type_name, rule))?;
                #inner::try_from(value)
                    .map(Self)
                    .map_err(|_| InvalidValue::new(#type_name, Rule::Type { expected: "integer" }))
            }
        }


        impl FromJson for #name {
            fn from_json_at(value: &Value, path: &Path<'_>, errors: &mut Vec<Violation>) -> Option<Self> {
                let number = crate::__private::integer_from_json(value, path, errors)?;
                crate::__private::record(Self::check(number), path, errors)?;
                #inner::try_from(number).ok().map(Self)
            }
        }
    }
}

fn number(s: &ScalarDef, min: Option<f64>, max: Option<f64>) -> TokenStream {
    let name = format_ident!("{}", s.name);
    let type_name = &s.name;
    let lit = |v: f64| Literal::f64_unsuffixed(v);
    let (min_const, max_const) = bound_consts(&quote!(f64), min.map(lit), max.map(lit));
    let conversions = numeric_conversions(&name, &quote!(f64));
    let min_check = opt_tokens(min.map(lit));
    let max_check = opt_tokens(max.map(lit));
    let range = match (min.map(lit), max.map(lit)) {
        (Some(lo), Some(hi)) => schemars_attr(quote!(range(min = #lo, max = #hi))),
        (Some(lo), None) => schemars_attr(quote!(range(min = #lo))),
        (None, Some(hi)) => schemars_attr(quote!(range(max = #hi))),
        (None, None) => quote!(),
    };
    let doc = rule_doc(s, bound_text(min, max));
    let derive_schemars = schemars_derive();
    quote! {
        #doc
        #[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize)]
        #derive_schemars
        #[serde(transparent)]
        pub struct #name(#range f64);

        impl #name {
            #min_const
            #max_const

            /// Checks `value` against the spec's bounds (and that it is finite).
            pub fn new(value: f64) -> Result<Self, InvalidValue> {
                Self::check(value)
                    .map(|()| Self(value))
                    .map_err(|rule| InvalidValue::new(#type_name, rule))
            }

            /// The value.
            pub const fn get(self) -> f64 {
                self.0
            }

            fn check(value: f64) -> Result<(), Rule> {
                crate::__private::check_number(value, #min_check, #max_check)
            }
        }

        #conversions

        impl FromStr for #name {
            type Err = InvalidValue;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                let value: f64 = text
                    .trim()
                    .parse()
                    .map_err(|_| InvalidValue::new(#type_name, Rule::Type { expected: "number" }))?;
                Self::new(value)
            }
        }


        impl FromJson for #name {
            fn from_json_at(value: &Value, path: &Path<'_>, errors: &mut Vec<Violation>) -> Option<Self> {
                let number = crate::__private::number_from_json(value, path, errors)?;
                crate::__private::record(Self::check(number), path, errors)?;
                Some(Self(number))
            }
        }
    }
}

fn string(s: &ScalarDef, pattern: Option<&str>, format: Option<Format>) -> TokenStream {
    let name = format_ident!("{}", s.name);
    let type_name = &s.name;
    let pattern_static = format_ident!("{}_PATTERN", screaming(&s.name));
    let mut rules = Vec::new();
    let mut schemars_attrs = Vec::new();
    let mut statics = TokenStream::new();
    let mut doc_rules = Vec::new();
    if let Some(p) = pattern {
        statics = quote! {
            // The pattern compiled when the generator ran, so this cannot fail.
            static #pattern_static: LazyLock<Regex> =
                LazyLock::new(|| Regex::new(#p).expect("pattern checked by the generator"));
        };
        let what = match s.what() {
            Some(what) => quote!(Some(#what)),
            None => quote!(None),
        };
        rules.push(quote! {
            crate::__private::check_pattern(value, &#pattern_static, #p, #what)?;
        });
        schemars_attrs.push(schemars_attr(quote!(regex(pattern = #p))));
        doc_rules.push(format!("Must match `{p}`."));
    }
    if let Some(Format::Uri) = format {
        rules.push(quote! {
            crate::__private::check_uri(value)?;
        });
        schemars_attrs.push(schemars_attr(quote!(url)));
        doc_rules.push("Must be an absolute URI.".to_owned());
    }
    let doc = rule_doc(s, doc_rules.join(" "));
    let derive_schemars = schemars_derive();
    let deserialize = deserialize_via_from_json(&name);
    quote! {
        #statics

        #doc
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #derive_schemars
        #[serde(transparent)]
        pub struct #name(#(#schemars_attrs)* String);

        impl #name {
            /// Checks `value` against the spec's rule.
            pub fn new(value: impl Into<String>) -> Result<Self, InvalidValue> {
                let value = value.into();
                Self::check(&value).map_err(|rule| InvalidValue::new(#type_name, rule))?;
                Ok(Self(value))
            }

            /// The value.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The value, without the wrapper.
            pub fn into_inner(self) -> String {
                self.0
            }

            fn check(value: &str) -> Result<(), Rule> {
                #(#rules)*
                Ok(())
            }
        }

        impl std::ops::Deref for #name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for #name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for #name {
            type Error = InvalidValue;

            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::new(value)
            }
        }

        impl TryFrom<&str> for #name {
            type Error = InvalidValue;

            fn try_from(value: &str) -> Result<Self, Self::Error> {
                Self::new(value)
            }
        }

        impl From<#name> for String {
            fn from(value: #name) -> Self {
                value.0
            }
        }

        impl fmt::Display for #name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for #name {
            type Err = InvalidValue;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Self::new(value)
            }
        }

        #deserialize

        impl FromJson for #name {
            fn from_json_at(value: &Value, path: &Path<'_>, errors: &mut Vec<Violation>) -> Option<Self> {
                let text = crate::__private::string_from_json(value, path, errors)?;
                crate::__private::record(Self::check(text), path, errors)?;
                Some(Self(text.to_owned()))
            }
        }
    }
}
