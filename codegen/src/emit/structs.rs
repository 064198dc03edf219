//! Object schemas and `oneOf` unions.
//!
//! Input types (reachable from a request body) get `new(required…)`, chained
//! setters, `Validate` (rules the types cannot carry) and `FromJson` (every
//! violation of a raw JSON payload, with its path). Output types are lenient:
//! unknown members are kept in `extra`.

use std::collections::BTreeSet;

use proc_macro2::{Literal, TokenStream};
use quote::{ToTokens as _, format_ident, quote};

use super::{
    accessors, deserialize_via_from_json, doc_lines, ident, rust_type, schemars_attr,
    schemars_derive,
};
use crate::error::Result;
use crate::model::*;

/// The imports of a file of input types; `ImageInput` where one holds
/// images, `OutputSize` for requests.
fn imports(images: bool, requests: bool) -> TokenStream {
    let image = images.then(|| {
        quote!(
            use crate::input::ImageInput;
        )
    });
    let output_size = requests.then(|| {
        quote!(
            use crate::OutputSize;
        )
    });
    quote! {
        use serde::{Deserialize, Serialize};
        use serde_json::Value;

        #output_size
        use crate::__private::Path;
        #image
        use crate::validation::{FromJson, Validate, Violation};
        use super::*;
    }
}

pub(super) fn emit_requests(api: &Api, structs: &[&StructDef]) -> Result<TokenStream> {
    let imports = imports(
        structs.iter().any(|s| s.member(Member::Image).is_some()),
        true,
    );
    let mut items = Vec::new();
    for s in structs {
        items.push(input_struct(api, s));
        // `check_decided` made every endpoint of one request agree on its size.
        if let Some(e) = api.endpoints.iter().find(|e| e.request == s.name) {
            items.push(accessors::request(api, e, s));
        }
    }
    Ok(quote! {
        //! Request bodies, one per endpoint, with accessors for the members
        //! code handling any endpoint reads (prompt, seed, output size). Their
        //! input images are reached through [`Endpoint`](crate::Endpoint).

        #imports

        #(#items)*
    })
}

pub(super) fn emit_models(api: &Api, structs: &[&StructDef]) -> TokenStream {
    // Image members are request members only.
    let imports = imports(false, false);
    let items = structs.iter().map(|s| input_struct(api, s));
    let unions = api.unions.iter().map(|u| union(api, u));
    quote! {
        //! Objects and unions used inside request bodies.

        #imports

        #(#items)*
        #(#unions)*
    }
}

pub(super) fn emit_responses(structs: &[&StructDef]) -> TokenStream {
    let items = structs.iter().map(|s| output_struct(s));
    quote! {
        //! Response bodies. Lenient by design: members this version does not
        //! know are kept in `extra`, and enums keep unknown values.

        use serde::{Deserialize, Serialize};
        use super::*;

        #(#items)*
    }
}

fn field_doc(f: &FieldDef) -> TokenStream {
    let mut paragraphs = f.doc.paragraphs();
    if f.member == Some(Member::Image) {
        let each = if matches!(f.ty, TypeRef::Array(_)) {
            "Each a URL"
        } else {
            "A URL"
        };
        paragraphs.push(format!(
            "{each}, or a local file or bytes that the client uploads to Segmind's storage (or inlines) when it sends the request: see [`ImageInput`]."
        ));
    }
    if let Some(d) = &f.default {
        let shown = d.as_str().map_or_else(|| d.to_string(), str::to_owned);
        paragraphs.push(format!("The server's default is `{shown}`."));
    }
    if let (Some(lo), Some(hi)) = (f.min_items, f.max_items) {
        paragraphs.push(format!("{lo} to {hi} items."));
    } else if let Some(hi) = f.max_items {
        paragraphs.push(format!("At most {hi} items."));
    } else if let Some(lo) = f.min_items {
        paragraphs.push(format!("At least {lo} items."));
    }
    if let Some(words) = length_words(f.length) {
        paragraphs.push(words);
    }
    doc_lines(&paragraphs)
}

/// `minLength` / `maxLength` in words, for rustdoc.
fn length_words(length: (Option<u64>, Option<u64>)) -> Option<String> {
    match length {
        (Some(1), None) => Some("Must not be empty.".to_owned()),
        (Some(lo), None) => Some(format!("At least {lo} characters.")),
        (None, Some(hi)) => Some(format!("At most {hi} characters.")),
        (Some(lo), Some(hi)) => Some(format!("{lo} to {hi} characters.")),
        (None, None) => None,
    }
}

/// Attributes describing rules the Rust type does not carry, for schemars.
fn field_schemars_attrs(f: &FieldDef) -> TokenStream {
    let mut attrs = TokenStream::new();
    // schemars' `length` bounds a list's items or a string's characters.
    let length = if f.min_items.is_some() || f.max_items.is_some() {
        (f.min_items, f.max_items)
    } else {
        f.length
    };
    match length {
        (Some(lo), Some(hi)) => {
            let (lo, hi) = (Literal::u64_unsuffixed(lo), Literal::u64_unsuffixed(hi));
            attrs.extend(schemars_attr(quote!(length(min = #lo, max = #hi))));
        }
        (Some(lo), None) => {
            let lo = Literal::u64_unsuffixed(lo);
            attrs.extend(schemars_attr(quote!(length(min = #lo))));
        }
        (None, Some(hi)) => {
            let hi = Literal::u64_unsuffixed(hi);
            attrs.extend(schemars_attr(quote!(length(max = #hi))));
        }
        (None, None) => {}
    }
    match &f.ty {
        TypeRef::String {
            format: Some(Format::Uri),
        } => attrs.extend(schemars_attr(quote!(url))),
        TypeRef::Array(inner)
            if matches!(
                **inner,
                TypeRef::String {
                    format: Some(Format::Uri)
                }
            ) =>
        {
            attrs.extend(schemars_attr(quote!(inner(url))));
        }
        _ => {}
    }
    attrs
}

/// A field; `Option` when optional, left out of the JSON when unset. Input
/// types deserialize through `FromJson`, so only output types need serde's
/// `default`.
fn field_decl(f: &FieldDef, input: bool) -> TokenStream {
    let id = ident(&f.ident);
    let wire = &f.wire;
    let doc = field_doc(f);
    let ty = rust_type(&f.ty);
    let rename =
        (f.ident.trim_start_matches("r#") != f.wire).then(|| quote!(#[serde(rename = #wire)]));
    let schemars_attrs = field_schemars_attrs(f);
    if f.required {
        quote! {
            #doc
            #rename
            #schemars_attrs
            pub #id: #ty,
        }
    } else {
        let serde = if input {
            quote!(#[serde(skip_serializing_if = "Option::is_none")])
        } else {
            quote!(#[serde(default, skip_serializing_if = "Option::is_none")])
        };
        quote! {
            #doc
            #rename
            #serde
            #schemars_attrs
            pub #id: Option<#ty>,
        }
    }
}

/// How a constructor or setter argument becomes the field's value.
enum Conversion {
    Identity,
    Into(TokenStream),
}

impl quote::ToTokens for Conversion {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        if let Conversion::Into(convert) = self {
            convert.to_tokens(tokens);
        }
    }
}

/// The parameter type a constructor or setter takes, and how to turn it into the field's type.
fn param(ty: &TypeRef, value: &TokenStream) -> (TokenStream, Conversion) {
    match ty {
        TypeRef::String { .. } => (
            quote!(impl Into<String>),
            Conversion::Into(quote!(#value.into())),
        ),
        TypeRef::Named {
            kind: NamedKind::Struct | NamedKind::Union,
            ..
        } => {
            let t = rust_type(ty);
            (
                quote!(impl Into<#t>),
                Conversion::Into(quote!(#value.into())),
            )
        }
        TypeRef::Image => (
            quote!(impl Into<ImageInput>),
            Conversion::Into(quote!(#value.into())),
        ),
        TypeRef::Array(inner) if **inner == TypeRef::Image => (
            quote!(impl IntoIterator<Item = impl Into<ImageInput>>),
            Conversion::Into(quote!(#value.into_iter().map(Into::into).collect())),
        ),
        TypeRef::Array(inner) => {
            let t = rust_type(inner);
            (
                quote!(impl IntoIterator<Item = #t>),
                Conversion::Into(quote!(#value.into_iter().collect())),
            )
        }
        _ => (rust_type(ty), Conversion::Identity),
    }
}

fn constructor_and_setters(s: &StructDef) -> TokenStream {
    let required: Vec<&FieldDef> = s.fields.iter().filter(|f| f.required).collect();
    let params = required.iter().map(|f| {
        let id = ident(&f.ident);
        let (ty, _) = param(&f.ty, &quote!(#id));
        quote!(#id: #ty)
    });
    let inits = s.fields.iter().map(|f| {
        let id = ident(&f.ident);
        if f.required {
            match param(&f.ty, &quote!(#id)) {
                (_, Conversion::Into(convert)) => quote!(#id: #convert),
                (_, Conversion::Identity) => quote!(#id),
            }
        } else {
            quote!(#id: None)
        }
    });
    let extra_init = has_extra(s).then(|| quote!(extra: serde_json::Map::new(),));
    let required_names: Vec<String> = required.iter().map(|f| format!("`{}`", f.wire)).collect();
    let new_doc = if required.is_empty() {
        " Creates a value with every optional member unset.".to_owned()
    } else {
        format!(
            " Creates a value from its required members ({}); optional ones are left unset, so the server's defaults apply.",
            required_names.join(", ")
        )
    };
    let setters = s.fields.iter().filter(|f| !f.required).map(|f| {
        let id = ident(&f.ident);
        let (ty, convert) = param(&f.ty, &quote!(#id));
        let convert = match convert {
            Conversion::Into(c) => c,
            Conversion::Identity => quote!(#id),
        };
        let summary = f
            .doc
            .description
            .as_deref()
            .or(f.doc.title.as_deref())
            .unwrap_or("");
        let doc = format!(" Sets `{}`. {summary}", f.wire);
        quote! {
            #[doc = #doc]
            #[must_use]
            pub fn #id(mut self, #id: #ty) -> Self {
                self.#id = Some(#convert);
                self
            }
        }
    });
    let wires = s.fields.iter().map(|f| f.wire.as_str());
    let new = constructor(s, &new_doc, params, inits, extra_init);
    let lengths = s
        .fields
        .iter()
        .filter(|f| f.min_items.is_some() || f.max_items.is_some())
        .map(|f| {
            let name = format_ident!("{}_LEN", f.ident.trim_start_matches("r#").to_uppercase());
            let lo = Literal::u64_unsuffixed(f.min_items.unwrap_or(0));
            let hi = f.max_items.map_or_else(
                || quote!(usize::MAX),
                |hi| Literal::u64_unsuffixed(hi).to_token_stream(),
            );
            let doc = format!(
                " How many items `{}` holds, at the fewest and the most.",
                f.wire
            );
            quote! {
                #[doc = #doc]
                pub const #name: std::ops::RangeInclusive<usize> = #lo..=#hi;
            }
        });
    quote! {
        /// The JSON member names, in the spec's order.
        pub const FIELDS: &'static [&'static str] = &[#(#wires),*];

        #(#lengths)*

        #new

        #(#setters)*
    }
}

/// `new`: infallible, or when it takes a list with bounds, checked there
/// and then (a palette of nine colours cannot be built).
fn constructor(
    s: &StructDef,
    doc: &str,
    params: impl Iterator<Item = TokenStream>,
    inits: impl Iterator<Item = TokenStream>,
    extra_init: Option<TokenStream>,
) -> TokenStream {
    let checked: Vec<&FieldDef> = s
        .fields
        .iter()
        .filter(|f| super::conversions::checked_by_new(f))
        .collect();
    if checked.is_empty() {
        return quote! {
            #[doc = #doc]
            pub fn new(#(#params),*) -> Self {
                Self {
                    #(#inits,)*
                    #extra_init
                }
            }
        };
    }
    let type_name = &s.name;
    let checks = checked.iter().map(|f| {
        let id = ident(&f.ident);
        let (lo, hi) = (opt_usize(f.min_items), opt_usize(f.max_items));
        quote! {
            crate::__private::check_items(value.#id.len(), #lo, #hi)
                .map_err(|rule| crate::validation::InvalidValue::new(#type_name, rule))?;
        }
    });
    let names: Vec<String> = checked.iter().map(|f| format!("`{}`", f.wire)).collect();
    let doc = format!(
        "{doc} Fails when {} breaks its length bounds.",
        names.join(" or ")
    );
    quote! {
        #[doc = #doc]
        pub fn new(#(#params),*) -> Result<Self, crate::validation::InvalidValue> {
            let value = Self {
                #(#inits,)*
                #extra_init
            };
            #(#checks)*
            Ok(value)
        }
    }
}

/// `Default` where `new()` takes no arguments, so both spellings work.
fn derive_default(s: &StructDef) -> Option<TokenStream> {
    s.fields
        .iter()
        .all(|f| !f.required)
        .then(|| quote!(Default,))
}

fn has_extra(s: &StructDef) -> bool {
    !s.usage.input && !s.closed
}

fn input_struct(api: &Api, s: &StructDef) -> TokenStream {
    let name = format_ident!("{}", s.name);
    let fields = s.fields.iter().map(|f| field_decl(f, true));
    // Unknown members are refused by `FromJson`; the schema says so too.
    let deny = s.closed.then(|| schemars_attr(quote!(deny_unknown_fields)));
    let deserialize = deserialize_via_from_json(&name);
    let derive_schemars = schemars_derive();
    let ctor = constructor_and_setters(s);
    let default = derive_default(s);
    let validate = validate_impl(api, s);
    let from_json = from_json_impl(s);
    let mut paragraphs = s.doc.paragraphs();
    if !s.rules.is_empty() {
        let mut lines =
            vec!["Rules checked by [`Validate::validate`](crate::Validate::validate):".to_owned()];
        lines.extend(
            s.rules
                .iter()
                .map(|StructRule::NotBothNonEmpty { doc, .. }| format!("- {doc}")),
        );
        paragraphs.push(lines.join("\n"));
    }
    let doc = doc_lines(&paragraphs);
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, #default Serialize)]
        #derive_schemars
        #deny
        #[non_exhaustive]
        pub struct #name {
            #(#fields)*
        }

        impl #name {
            #ctor
        }

        #deserialize
        #validate
        #from_json
    }
}

fn output_struct(s: &StructDef) -> TokenStream {
    let name = format_ident!("{}", s.name);
    let doc = doc_lines(&s.doc.paragraphs());
    let fields = s.fields.iter().map(|f| field_decl(f, false));
    let derive_schemars = schemars_derive();
    let extra = has_extra(s).then(|| {
        quote! {
            /// Members this version of the crate does not know.
            #[serde(flatten)]
            pub extra: serde_json::Map<String, serde_json::Value>,
        }
    });
    let ctor = constructor_and_setters(s);
    let default = derive_default(s);
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, #default Serialize, Deserialize)]
        #derive_schemars
        #[non_exhaustive]
        pub struct #name {
            #(#fields)*
            #extra
        }

        impl #name {
            #ctor
        }
    }
}

/// Whether values of `ty` have rules beyond what their Rust type enforces.
pub(crate) fn needs_validation(api: &Api, ty: &TypeRef, seen: &mut BTreeSet<String>) -> bool {
    match ty {
        TypeRef::String { format } => format.is_some(),
        TypeRef::Image => true,
        TypeRef::Array(inner) => needs_validation(api, inner, seen),
        TypeRef::Named {
            name,
            kind: NamedKind::Struct,
        } => {
            seen.insert(name.clone())
                && api
                    .struct_def(name)
                    .is_some_and(|s| struct_needs_validation(api, s, seen))
        }
        TypeRef::Named {
            name,
            kind: NamedKind::Union,
        } => {
            seen.insert(name.clone())
                && api.union_def(name).is_some_and(|u| {
                    u.variants.iter().any(|(_, t)| {
                        needs_validation(
                            api,
                            &TypeRef::Named {
                                name: t.clone(),
                                kind: NamedKind::Struct,
                            },
                            seen,
                        )
                    })
                })
        }
        _ => false,
    }
}

fn struct_needs_validation(api: &Api, s: &StructDef, seen: &mut BTreeSet<String>) -> bool {
    !s.rules.is_empty()
        || s.fields.iter().any(|f| {
            f.min_items.is_some()
                || f.max_items.is_some()
                || f.length != (None, None)
                || needs_validation(api, &f.ty, seen)
        })
}

/// Statements checking one value of type `ty` held in `value`, whose path
/// is the local `path` (a `Path`, not a reference).
fn check_value(api: &Api, ty: &TypeRef, value: TokenStream, path: TokenStream) -> TokenStream {
    match ty {
        TypeRef::String {
            format: Some(Format::Uri),
        } => quote! {
            crate::__private::record(crate::__private::check_uri(#value), &#path, errors);
        },
        // Files and bytes are checked when the client loads them.
        TypeRef::Image => quote! {
            if let Some(url) = #value.as_url() {
                crate::__private::record(crate::__private::check_uri(url), &#path, errors);
            }
        },
        TypeRef::Named {
            kind: NamedKind::Struct | NamedKind::Union,
            ..
        } if needs_validation(api, ty, &mut BTreeSet::new()) => {
            quote! { #value.validate_at(&#path, errors); }
        }
        TypeRef::Array(inner) if needs_validation(api, inner, &mut BTreeSet::new()) => {
            let each = check_value(api, inner, quote!(item), quote!(item_path));
            quote! {
                for (index, item) in #value.iter().enumerate() {
                    let item_path = #path.index(index);
                    #each
                }
            }
        }
        _ => quote!(),
    }
}

fn validate_impl(api: &Api, s: &StructDef) -> TokenStream {
    let name = format_ident!("{}", s.name);
    let mut body = TokenStream::new();
    for f in &s.fields {
        let id = ident(&f.ident);
        let wire = &f.wire;
        let mut checks = TokenStream::new();
        if f.min_items.is_some() || f.max_items.is_some() {
            let lo = opt_usize(f.min_items);
            let hi = opt_usize(f.max_items);
            checks.extend(quote! {
                crate::__private::record(crate::__private::check_items(value.len(), #lo, #hi), &field_path, errors);
            });
        }
        if let (lo, hi) = f.length
            && (lo, hi) != (None, None)
        {
            let (lo, hi) = (opt_usize(lo), opt_usize(hi));
            checks.extend(quote! {
                crate::__private::record(crate::__private::check_length(value, #lo, #hi), &field_path, errors);
            });
        }
        checks.extend(check_value(api, &f.ty, quote!(value), quote!(field_path)));
        if checks.is_empty() {
            continue;
        }
        body.extend(if f.required {
            quote! {
                {
                    let value = &self.#id;
                    let field_path = path.field(#wire);
                    #checks
                }
            }
        } else {
            quote! {
                if let Some(value) = &self.#id {
                    let field_path = path.field(#wire);
                    #checks
                }
            }
        });
    }
    for rule in &s.rules {
        let StructRule::NotBothNonEmpty { first, second, .. } = rule;
        let non_empty = |wire: &str| {
            let f = s
                .fields
                .iter()
                .find(|f| f.wire == wire)
                .expect("checked by the parser");
            let id = ident(&f.ident);
            if f.required {
                quote!(!self.#id.is_empty())
            } else {
                quote!(self.#id.as_ref().is_some_and(|v| !v.is_empty()))
            }
        };
        let (a, b) = (non_empty(first), non_empty(second));
        body.extend(quote! {
            crate::__private::record(
                crate::__private::check_not_both_non_empty(#a, #b, #first, #second),
                path,
                errors,
            );
        });
    }
    let (path_arg, errors_arg) = if body.is_empty() {
        (quote!(_path), quote!(_errors))
    } else {
        (quote!(path), quote!(errors))
    };
    quote! {
        impl Validate for #name {
            fn validate_at(&self, #path_arg: &Path<'_>, #errors_arg: &mut Vec<Violation>) {
                #body
            }
        }
    }
}

fn from_json_impl(s: &StructDef) -> TokenStream {
    let name = format_ident!("{}", s.name);
    let reject_unknown = s.closed.then(|| {
        quote! { crate::__private::reject_unknown_fields(object, Self::FIELDS, path, errors); }
    });
    let lets = s.fields.iter().map(|f| {
        let id = ident(&f.ident);
        let wire = &f.wire;
        let ty = rust_type(&f.ty);
        if f.required {
            quote! { let #id = crate::__private::required::<#ty>(object, #wire, path, errors); }
        } else {
            quote! { let #id = crate::__private::optional::<#ty>(object, #wire, path, errors); }
        }
    });
    let inits = s.fields.iter().map(|f| {
        let id = ident(&f.ident);
        quote!(#id: #id?)
    });
    quote! {
        impl FromJson for #name {
            fn from_json_at(value: &Value, path: &Path<'_>, errors: &mut Vec<Violation>) -> Option<Self> {
                let object = crate::__private::object_from_json(value, path, errors)?;
                #reject_unknown
                #(#lets)*
                let parsed = Self { #(#inits,)* };
                parsed.validate_at(path, errors);
                Some(parsed)
            }
        }
    }
}

fn union(api: &Api, u: &UnionDef) -> TokenStream {
    let name = format_ident!("{}", u.name);
    let type_name = &u.name;
    let doc = doc_lines(&u.doc.paragraphs());
    let derive_schemars = schemars_derive();
    let variants: Vec<_> = u
        .variants
        .iter()
        .map(|(v, _)| format_ident!("{}", v))
        .collect();
    let targets: Vec<_> = u
        .variants
        .iter()
        .map(|(_, t)| format_ident!("{}", t))
        .collect();
    let docs: Vec<String> = u
        .variants
        .iter()
        .map(|(_, t)| {
            let title = api.struct_def(t).and_then(|s| s.doc.title.clone());
            format!(" {}", title.unwrap_or_else(|| t.clone()))
        })
        .collect();
    let needs = needs_validation(
        api,
        &TypeRef::Named {
            name: u.name.clone(),
            kind: NamedKind::Union,
        },
        &mut BTreeSet::new(),
    );
    let validate_body = needs.then(|| {
        quote! {
            match self {
                #(Self::#variants(value) => value.validate_at(path, errors),)*
            }
        }
    });
    let (path_arg, errors_arg) = if needs {
        (quote!(path), quote!(errors))
    } else {
        (quote!(_path), quote!(_errors))
    };
    let deserialize = deserialize_via_from_json(&name);
    let shortcuts = super::conversions::union_shortcuts(api, u);
    quote! {
        #doc
        ///
        /// Exactly one of the variants must match; on the wire the variant is
        /// told apart by its members (no tag).
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #derive_schemars
        #[serde(untagged)]
        #[non_exhaustive]
        pub enum #name {
            #(
                #[doc = #docs]
                #variants(#targets),
            )*
        }

        #(
            impl From<#targets> for #name {
                fn from(value: #targets) -> Self {
                    Self::#variants(value)
                }
            }
        )*

        #shortcuts

        #deserialize

        impl Validate for #name {
            fn validate_at(&self, #path_arg: &Path<'_>, #errors_arg: &mut Vec<Violation>) {
                #validate_body
            }
        }

        impl FromJson for #name {
            fn from_json_at(value: &Value, path: &Path<'_>, errors: &mut Vec<Violation>) -> Option<Self> {
                crate::__private::one_of(
                    value,
                    path,
                    errors,
                    #type_name,
                    &[#(|value, path, errors| #targets::from_json_at(value, path, errors).map(Self::#variants)),*],
                )
            }
        }
    }
}

fn opt_usize(value: Option<u64>) -> TokenStream {
    match value {
        Some(v) => {
            let v = Literal::u64_unsuffixed(v);
            quote!(Some(#v))
        }
        None => quote!(None),
    }
}
