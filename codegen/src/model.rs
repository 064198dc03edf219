//! The intermediate model: what the spec means for Rust, with every name
//! decided and every reference resolved. Emitters read only this.

use serde_json::Value;

/// The whole API.
#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    pub title: String,
    pub version: String,
    pub enums: Vec<EnumDef>,
    pub scalars: Vec<ScalarDef>,
    pub structs: Vec<StructDef>,
    pub unions: Vec<UnionDef>,
    pub endpoints: Vec<EndpointDef>,
}

impl Api {
    pub fn struct_def(&self, name: &str) -> Option<&StructDef> {
        self.structs.iter().find(|s| s.name == name)
    }

    pub fn union_def(&self, name: &str) -> Option<&UnionDef> {
        self.unions.iter().find(|u| u.name == name)
    }
}

/// Which way a named type travels; decides derives, builders and validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Reachable from a request body: strict, validated, built with setters.
    pub input: bool,
    /// Reachable from a response: lenient, tolerant of new fields and values.
    pub output: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnumDef {
    pub name: String,
    pub doc: Doc,
    pub variants: Vec<Variant>,
    /// Index into `variants` of the spec's default.
    pub default: Option<usize>,
    /// `x-open-enum`: unknown wire values are kept, not rejected.
    pub open: bool,
    /// Width and height per variant, when every value names a size.
    pub dimensions: Option<Vec<(u32, u32)>>,
    pub usage: Usage,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub wire: String,
    pub ident: String,
}

/// A constrained scalar, emitted as a validated newtype.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalarDef {
    pub name: String,
    pub doc: Doc,
    pub kind: ScalarKind,
    pub usage: Usage,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ScalarKind {
    Integer {
        min: Option<i64>,
        max: Option<i64>,
    },
    Number {
        min: Option<f64>,
        max: Option<f64>,
    },
    String {
        pattern: Option<String>,
        format: Option<Format>,
    },
}

/// String formats the generator checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Uri,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Uri => "uri",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StructDef {
    pub name: String,
    pub doc: Doc,
    pub fields: Vec<FieldDef>,
    /// `additionalProperties: false`.
    pub closed: bool,
    pub rules: Vec<StructRule>,
    pub usage: Usage,
}

/// Cross-field rules, from JSON Schema constructs the generator recognises.
#[derive(Debug, Clone, PartialEq)]
pub enum StructRule {
    /// `not: {required: [a, b], properties: {a: {minItems: 1}, b: {minItems: 1}}}`.
    NotBothNonEmpty {
        first: String,
        second: String,
        doc: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    /// The JSON member name.
    pub wire: String,
    /// The Rust field name.
    pub ident: String,
    pub doc: Doc,
    pub ty: TypeRef,
    pub required: bool,
    pub default: Option<Value>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeRef {
    String {
        format: Option<Format>,
    },
    Integer,
    Number,
    Bool,
    /// No type given: any JSON value.
    Any,
    Named {
        name: String,
        kind: NamedKind,
    },
    Array(Box<TypeRef>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamedKind {
    Enum,
    Scalar,
    Struct,
    Union,
}

/// `oneOf` over object schemas, emitted as an untagged enum.
#[derive(Debug, Clone, PartialEq)]
pub struct UnionDef {
    pub name: String,
    pub doc: Doc,
    /// (variant ident, struct name)
    pub variants: Vec<(String, String)>,
    pub usage: Usage,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EndpointDef {
    pub slug: String,
    pub operation_id: String,
    pub title: String,
    pub summary: String,
    pub request: String,
    pub response: ResponseKind,
    pub price_usd: Option<(f64, f64)>,
    pub typical_latency_seconds: Option<f64>,
    pub note: Option<String>,
    /// A `POST /v2/{slug}` operation exists.
    pub supports_async: bool,
    /// Documented error statuses of the sync call.
    pub error_statuses: Vec<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseKind {
    Image,
    JsonOrImage,
}

/// Documentation taken from the spec's `title` and `description`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Doc {
    pub title: Option<String>,
    pub description: Option<String>,
}

impl Doc {
    /// Paragraphs for rustdoc: the title as the summary line, then the description.
    pub fn paragraphs(&self) -> Vec<String> {
        self.title
            .iter()
            .chain(self.description.iter())
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    }
}
