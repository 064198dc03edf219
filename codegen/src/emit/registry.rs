//! The endpoint registry: static metadata per endpoint, the `Endpoint` impl
//! of each request type, and `AnyRequest` for code that picks the endpoint at
//! run time. The runtime, mock server and CLI iterate this; none of them
//! names an endpoint.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::{accessors, doc_lines};
use crate::error::{CodegenError, Result};
use crate::model::*;

pub(super) fn emit(api: &Api) -> Result<TokenStream> {
    let mut statics = Vec::new();
    let mut static_names = Vec::new();
    let mut variants = Vec::new();
    let mut requests = Vec::new();
    let mut slugs = Vec::new();
    for e in &api.endpoints {
        let request = api.struct_def(&e.request).ok_or_else(|| {
            CodegenError::at("", format!("internal error: no struct {}", e.request))
        })?;
        let static_name = format_ident!("{}", e.slug.to_ascii_uppercase().replace('-', "_"));
        let request_ident = format_ident!("{}", e.request);
        let variant = any_variant(e);
        let slug = &e.slug;
        let title = &e.title;
        let summary = &e.summary;
        let request_type = &e.request;
        let response = match e.response {
            ResponseKind::Image => quote!(ResponseKind::Image),
            ResponseKind::JsonOrImage => quote!(ResponseKind::JsonOrImage),
        };
        let price = match e.price_usd {
            Some((lo, hi)) => {
                let (lo, hi) = (Literal::f64_unsuffixed(lo), Literal::f64_unsuffixed(hi));
                quote!(Some(Price { min_usd: #lo, max_usd: #hi }))
            }
            None => quote!(None),
        };
        let latency = match e.typical_latency_seconds {
            Some(s) => {
                let s = Literal::f64_unsuffixed(s);
                quote!(Some(#s))
            }
            None => quote!(None),
        };
        let note = match &e.note {
            Some(n) => quote!(Some(#n)),
            None => quote!(None),
        };
        let sync_path = &e.sync_path;
        let submit_path = match &e.submit_path {
            Some(p) => quote!(Some(#p)),
            None => quote!(None),
        };
        let statuses = e.error_statuses.iter().map(|s| Literal::u16_unsuffixed(*s));
        let fields = request.fields.iter().map(|f| field_info(api, f));
        let mut doc = vec![format!("`POST /v1/{slug}`: {title}.")];
        if !e.summary.is_empty() {
            doc.push(e.summary.clone());
        }
        let doc = doc_lines(&doc);
        let images = accessors::endpoint_images(request);
        statics.push(quote! {
            #doc
            pub static #static_name: EndpointInfo = EndpointInfo {
                slug: #slug,
                title: #title,
                summary: #summary,
                request_type: #request_type,
                response: #response,
                price_usd: #price,
                typical_latency_secs: #latency,
                note: #note,
                sync_path: #sync_path,
                submit_path: #submit_path,
                error_statuses: &[#(#statuses),*],
                fields: &[#(#fields),*],
            };

            impl Endpoint for #request_ident {
                const INFO: &'static EndpointInfo = &#static_name;

                #images
            }

            impl From<#request_ident> for AnyRequest {
                fn from(request: #request_ident) -> Self {
                    Self::#variant(request)
                }
            }
        });
        static_names.push(static_name);
        variants.push(variant);
        requests.push(request_ident);
        slugs.push(slug.clone());
    }
    let slug_docs = slugs.iter().map(|s| format!(" `{s}`"));
    let accessors = accessors::any_request(api);
    let for_each = for_each_endpoint(&requests);
    let api = api_info(&api.protocol)?;
    Ok(quote! {
        //! Which endpoints exist, what they take and what they cost.

        use serde::Serialize;
        use serde_json::Value;

        use crate::endpoint::{ApiInfo, Endpoint, EndpointInfo, FieldInfo, FieldShape, Operation, Price, ResponseHeaders, ResponseKind};
        use crate::OutputSize;
        use crate::input::ImageInput;
        use crate::validation::{FromJson, Validate, ValidationErrors};

        use super::*;

        #api

        #(#statics)*

        /// Every endpoint of the spec, in the spec's order.
        pub static ENDPOINTS: &[&EndpointInfo] = &[#(&#static_names),*];

        /// The endpoint with this slug (`ideogram-txt-2-img`), if any.
        pub fn endpoint(slug: &str) -> Option<&'static EndpointInfo> {
            ENDPOINTS.iter().copied().find(|info| info.slug == slug)
        }

        /// A request for any endpoint: for code that chooses the endpoint at run
        /// time, such as a command line or a server.
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(untagged)]
        #[non_exhaustive]
        pub enum AnyRequest {
            #(
                #[doc = #slug_docs]
                #variants(#requests),
            )*
        }

        impl AnyRequest {
            /// Parses a JSON payload for the endpoint `slug`, reporting every
            /// violation. `None` when no endpoint has that slug.
            pub fn from_json(slug: &str, value: &Value) -> Option<Result<Self, ValidationErrors>> {
                Some(match slug {
                    #(#slugs => #requests::from_json(value).map(Self::#variants),)*
                    _ => return None,
                })
            }

            /// The endpoint this request is for.
            pub fn info(&self) -> &'static EndpointInfo {
                match self {
                    #(Self::#variants(_) => &#static_names,)*
                }
            }

            /// Checks the rules the types cannot carry; see [`Validate`].
            pub fn validate(&self) -> Result<(), ValidationErrors> {
                match self {
                    #(Self::#variants(request) => request.validate(),)*
                }
            }

            /// The request's input images; see [`Endpoint::images`].
            pub fn images(&self) -> Vec<&ImageInput> {
                match self {
                    #(Self::#variants(request) => request.images(),)*
                }
            }

            /// The request's input images, to replace; see [`Endpoint::images_mut`].
            pub fn images_mut(&mut self) -> Vec<&mut ImageInput> {
                match self {
                    #(Self::#variants(request) => request.images_mut(),)*
                }
            }

            #accessors
        }

        #for_each
    })
}

/// The `AnyRequest` variant of an endpoint: its request type without `Request`.
pub(super) fn any_variant(e: &EndpointDef) -> proc_macro2::Ident {
    format_ident!(
        "{}",
        e.request.strip_suffix("Request").unwrap_or(&e.request)
    )
}

/// `for_each_endpoint!`: the request type of every endpoint, for code that
/// needs each endpoint's type (tests generic over `Endpoint` and more).
fn for_each_endpoint(requests: &[proc_macro2::Ident]) -> TokenStream {
    quote! {
        /// Expands `callback! { Type, Type, ... }` with the request type of
        /// every endpoint, in the spec's order: for code that needs each
        /// endpoint's type, such as a test generic over [`Endpoint`] that
        /// must cover endpoints added to the spec later.
        ///
        /// ```
        /// macro_rules! slugs {
        ///     ($($request:ty),* $(,)?) => {
        ///         [$(<$request as segmind_ideogram::Endpoint>::INFO.slug),*]
        ///     };
        /// }
        /// let slugs = segmind_ideogram::for_each_endpoint!(slugs);
        /// let registry: Vec<&str> = segmind_ideogram::ENDPOINTS.iter().map(|e| e.slug).collect();
        /// assert_eq!(slugs.as_slice(), registry.as_slice());
        /// ```
        #[macro_export]
        macro_rules! for_each_endpoint {
            ($callback:ident) => {
                $callback! { #($crate::#requests),* }
            };
        }
    }
}

/// `API`: the protocol facts of the spec, one `Operation` per role.
fn api_info(p: &ProtocolDef) -> Result<TokenStream> {
    let mut operations = Vec::new();
    for role in Role::ALL {
        let op = p.operation(*role).ok_or_else(|| {
            CodegenError::at(
                "/paths",
                format!("internal error: no {} operation", role.name()),
            )
        })?;
        let field = format_ident!("{}", role.field());
        let (method, path) = (&op.method, &op.path);
        let server = match &op.server {
            Some(s) => quote!(Some(#s)),
            None => quote!(None),
        };
        operations.push(quote! {
            #field: Operation { method: #method, path: #path, server: #server },
        });
    }
    let (base, auth) = (&p.base_url, &p.auth_header);
    let headers = super::outcomes::response_headers(p);
    let max_bytes = Literal::u64_unsuffixed(p.max_input_image_bytes);
    let window = Literal::u32_unsuffixed(p.history_window_days);
    let optional = |n: Option<u64>| match n {
        Some(n) => {
            let n = Literal::u64_unsuffixed(n);
            quote!(Some(#n))
        }
        None => quote!(None),
    };
    let (per_page, default_per_page) = (
        optional(p.history_max_per_page),
        optional(p.history_default_per_page),
    );
    Ok(quote! {
        /// Segmind's protocol beyond the endpoints: where the API lives, how
        /// the key travels, and the operations the runtime uses.
        pub const API: ApiInfo = ApiInfo {
            base_url: #base,
            auth_header: #auth,
            headers: #headers,
            max_input_image_bytes: #max_bytes,
            history_window_days: #window,
            history_max_per_page: #per_page,
            history_default_per_page: #default_per_page,
            #(#operations)*
        };
    })
}

/// How a field looks to code that builds requests generically (the CLI).
fn field_info(api: &Api, f: &FieldDef) -> TokenStream {
    let name = &f.wire;
    let doc = f
        .doc
        .description
        .as_deref()
        .or(f.doc.title.as_deref())
        .unwrap_or("");
    let required = f.required;
    let default = match f.default.as_ref() {
        Some(d) => {
            let text = d.as_str().map_or_else(|| d.to_string(), str::to_owned);
            quote!(Some(#text))
        }
        None => quote!(None),
    };
    let shape = shape(api, &f.ty);
    let sizes = sizes(api, &f.ty);
    quote! {
        FieldInfo {
            name: #name,
            doc: #doc,
            required: #required,
            default: #default,
            shape: #shape,
            sizes: #sizes,
        }
    }
}

/// The sizes a choice member's values name, when they all name one.
fn sizes(api: &Api, ty: &TypeRef) -> TokenStream {
    match ty {
        TypeRef::Named {
            name,
            kind: NamedKind::Enum,
        } if api
            .enum_def(name)
            .is_some_and(|e| !e.open && e.pixel_sizes().is_some()) =>
        {
            let id = format_ident!("{}", name);
            quote!(Some(#id::SIZES))
        }
        _ => quote!(None),
    }
}

fn shape(api: &Api, ty: &TypeRef) -> TokenStream {
    let opt = |v: Option<i64>| match v {
        Some(v) => {
            let v = Literal::i64_unsuffixed(v);
            quote!(Some(#v))
        }
        None => quote!(None),
    };
    match ty {
        TypeRef::String {
            format: Some(Format::Uri),
        } => quote!(FieldShape::Uri),
        TypeRef::String { format: None } => quote!(FieldShape::Text),
        TypeRef::Integer => quote!(FieldShape::Integer {
            min: None,
            max: None
        }),
        TypeRef::Number => quote!(FieldShape::Number),
        TypeRef::Bool => quote!(FieldShape::Bool),
        TypeRef::Any => quote!(FieldShape::Json),
        TypeRef::Array(inner) => {
            let inner = shape(api, inner);
            quote!(FieldShape::List(&#inner))
        }
        // What the wire carries: the client resolves a file or bytes to a URL.
        TypeRef::Image => quote!(FieldShape::Uri),
        TypeRef::Named { name, kind } => {
            let id = format_ident!("{}", name);
            match kind {
                NamedKind::Enum => quote!(FieldShape::Choice(#id::VALUES)),
                NamedKind::Scalar => match api
                    .scalars
                    .iter()
                    .find(|s| &s.name == name)
                    .map(|s| &s.kind)
                {
                    Some(ScalarKind::Integer { min, max }) => {
                        let (lo, hi) = (opt(*min), opt(*max));
                        quote!(FieldShape::Integer { min: #lo, max: #hi })
                    }
                    Some(ScalarKind::Number { .. }) => quote!(FieldShape::Number),
                    _ => quote!(FieldShape::Text),
                },
                NamedKind::Struct | NamedKind::Union => quote!(FieldShape::Json),
            }
        }
    }
}
