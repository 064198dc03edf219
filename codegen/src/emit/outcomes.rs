//! `outcomes.rs`: the classes of answers and the class of each answer of
//! each kind of operation (`x-outcomes`), which every decision of the
//! runtime about money and retrying reads; and the response headers of
//! `API` (`x-segmind-protocol.headers`).

use std::collections::BTreeMap;

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use super::doc_lines;
use crate::error::{CodegenError, Result};
use crate::model::*;

pub(super) fn emit(api: &Api) -> Result<TokenStream> {
    let outcomes = &api.protocol.outcomes;
    let classes = answer_class(&outcomes.classes);
    let kinds = operation_kind(api, outcomes)?;
    Ok(quote! {
        //! What each answer of each operation means for money, for retrying
        //! and for a batch: the spec's `x-outcomes`, one class per answer.
        //! The client decides every retry, and says what every error means
        //! ([`Error::outcome`](crate::Error::outcome)), from these alone.

        use crate::outcome::{Billing, Retry};

        #classes

        #kinds
    })
}

fn answer_class(classes: &[OutcomeClassDef]) -> TokenStream {
    let idents: Vec<Ident> = classes
        .iter()
        .map(|c| format_ident!("{}", c.ident))
        .collect();
    let docs = classes
        .iter()
        .map(|c| doc_lines(&[format!("`{}`: {}", c.name, c.description)]));
    let names = classes.iter().map(|c| c.name.as_str());
    let descriptions = classes.iter().map(|c| c.description.as_str());
    let billing = grouped(classes, &idents, |c| match c.billed {
        Billed::Yes => quote!(Billing::Billed),
        Billed::No => quote!(Billing::NotBilled),
        Billed::Unknown => quote!(Billing::Unknown),
    });
    let retry = grouped(classes, &idents, |c| match c.retry {
        RetryWhen::Never => quote!(Retry::Never),
        RetryWhen::Later => quote!(Retry::Later),
        RetryWhen::AtOnce => quote!(Retry::AtOnce),
    });
    let stops = grouped(classes, &idents, |c| {
        let stops = c.stops_batch;
        quote!(#stops)
    });
    quote! {
        /// A class of answers (`x-segmind-protocol.outcomes`): what an
        /// answer means for money, for retrying and for a batch.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum AnswerClass {
            #(#docs #idents,)*
        }

        impl AnswerClass {
            /// Every class, in the spec's order.
            pub const ALL: &'static [AnswerClass] = &[#(AnswerClass::#idents),*];

            /// The class's name in the spec (`refused-for-all`).
            pub const fn name(self) -> &'static str {
                match self {
                    #(Self::#idents => #names,)*
                }
            }

            /// What the spec says the class means.
            pub const fn description(self) -> &'static str {
                match self {
                    #(Self::#idents => #descriptions,)*
                }
            }

            /// Whether the request was billed.
            pub const fn billing(self) -> Billing {
                match self {
                    #billing
                }
            }

            /// Whether, and when, the same request may succeed if made again.
            pub const fn retry(self) -> Retry {
                match self {
                    #retry
                }
            }

            /// Whether a batch stops at the first answer of this class: the
            /// same answer awaits every other request of the account.
            pub const fn stops_batch(self) -> bool {
                match self {
                    #stops
                }
            }
        }
    }
}

/// Match arms `Self::A | Self::B => value`, one per distinct value, in
/// the order the values first appear.
fn grouped(
    classes: &[OutcomeClassDef],
    idents: &[Ident],
    value: impl Fn(&OutcomeClassDef) -> TokenStream,
) -> TokenStream {
    let mut arms: Vec<(String, TokenStream, Vec<&Ident>)> = Vec::new();
    for (class, ident) in classes.iter().zip(idents) {
        let tokens = value(class);
        let key = tokens.to_string();
        match arms.iter_mut().find(|(k, _, _)| *k == key) {
            Some((_, _, members)) => members.push(ident),
            None => arms.push((key, tokens, vec![ident])),
        }
    }
    let arms = arms.iter().map(|(_, value, members)| {
        quote! { #(Self::#members)|* => #value, }
    });
    quote! { #(#arms)* }
}

fn operation_kind(api: &Api, outcomes: &OutcomesDef) -> Result<TokenStream> {
    let class = |i: usize| -> Result<Ident> {
        outcomes
            .classes
            .get(i)
            .map(|c| format_ident!("{}", c.ident))
            .ok_or_else(|| CodegenError::at("", "internal error: no such outcome class"))
    };
    let mut variants = Vec::new();
    let mut idents = Vec::new();
    let mut documented = Vec::new();
    let mut answered = Vec::new();
    let mut unanswered = Vec::new();
    let mut unreadable = Vec::new();
    for (kind, map) in &outcomes.operations {
        let (ident, doc) = kind_name(api, *kind);
        let doc = doc_lines(&[doc]);
        variants.push(quote! { #doc #ident, });
        let statuses = map
            .statuses
            .iter()
            .map(|(s, _)| Literal::u16_unsuffixed(*s));
        documented.push(quote! { Self::#ident => &[#(#statuses),*], });
        // One arm per class among the documented statuses, in the order
        // the classes first appear, then the ranges. A status classed as
        // its range is needs no arm of its own.
        let range_class = |status: u16| match status {
            400..=499 => map.client_error,
            500..=599 => map.server_error,
            _ => map.default,
        };
        let mut by_class: BTreeMap<usize, Vec<u16>> = BTreeMap::new();
        let mut order = Vec::new();
        for (status, class) in &map.statuses {
            if *class == range_class(*status) {
                continue;
            }
            if !by_class.contains_key(class) {
                order.push(*class);
            }
            by_class.entry(*class).or_default().push(*status);
        }
        let mut arms = Vec::new();
        for i in order {
            let codes = by_class[&i].iter().map(|s| Literal::u16_unsuffixed(*s));
            let class = class(i)?;
            arms.push(quote! { #(#codes)|* => AnswerClass::#class, });
        }
        let (client, server, default) = (
            class(map.client_error)?,
            class(map.server_error)?,
            class(map.default)?,
        );
        answered.push(quote! {
            Self::#ident => match status {
                #(#arms)*
                400..=499 => AnswerClass::#client,
                500..=599 => AnswerClass::#server,
                _ => AnswerClass::#default,
            },
        });
        let (lost, garbled) = (class(map.unanswered)?, class(map.unreadable)?);
        unanswered.push(quote! { Self::#ident => AnswerClass::#lost, });
        unreadable.push(quote! { Self::#ident => AnswerClass::#garbled, });
        idents.push(ident);
    }
    Ok(quote! {
        /// The operations of the protocol, by what the client uses them
        /// for: each classifies its answers ([`answered`](Self::answered)).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum OperationKind {
            #(#variants)*
        }

        impl OperationKind {
            /// Every kind, in the spec's order.
            pub const ALL: &'static [OperationKind] = &[#(OperationKind::#idents),*];

            /// The statuses the spec lists for the operation.
            pub const fn documented(self) -> &'static [u16] {
                match self {
                    #(#documented)*
                }
            }

            /// The class of an answer with `status`: the spec's own for a
            /// status it lists, else the class of its range.
            pub const fn answered(self, status: u16) -> AnswerClass {
                match self {
                    #(#answered)*
                }
            }

            /// The class of a request sent without an answer: a timeout, or a
            /// connection lost after the request was written.
            pub const fn unanswered(self) -> AnswerClass {
                match self {
                    #(#unanswered)*
                }
            }

            /// The class of a success answer whose body cannot be read.
            pub const fn unreadable(self) -> AnswerClass {
                match self {
                    #(#unreadable)*
                }
            }
        }
    })
}

/// The variant of an operation kind, and its documentation.
fn kind_name(api: &Api, kind: OperationKind) -> (Ident, String) {
    match kind {
        OperationKind::Sync => (
            format_ident!("Sync"),
            "`POST /v1/{slug}`: a synchronous generation.".to_owned(),
        ),
        OperationKind::Submit => (
            format_ident!("Submit"),
            "`POST /v2/{slug}`: a queued generation's submission.".to_owned(),
        ),
        OperationKind::Role(role) => {
            let ident = format_ident!(
                "{}",
                crate::naming::variant_ident(role.name(), None).unwrap_or_default()
            );
            let doc = match api.protocol.operation(role) {
                Some(op) => format!("`{} {}`.", op.method, op.path),
                None => format!("The `{}` operation.", role.name()),
            };
            (ident, doc)
        }
        OperationKind::OutputDownload => (
            format_ident!("OutputDownload"),
            "`GET` of an output file a result names (`x-segmind-protocol.output_outcomes`)."
                .to_owned(),
        ),
    }
}

/// `ResponseHeaders { remaining_credits: "x-remaining-credits", ... }` for `API`.
pub(super) fn response_headers(p: &ProtocolDef) -> TokenStream {
    let fields = p.headers.iter().map(|h| {
        let field = format_ident!("{}", h.role.name());
        let name = &h.name;
        quote! { #field: #name, }
    });
    quote! { ResponseHeaders { #(#fields)* } }
}
