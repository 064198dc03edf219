//! The intermediate model: what the spec means for Rust, with every name
//! decided and every reference resolved. Emitters read only this.

use serde_json::Value;

pub use crate::answer_model::*;

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
    pub protocol: ProtocolDef,
}

impl Api {
    pub fn struct_def(&self, name: &str) -> Option<&StructDef> {
        self.structs.iter().find(|s| s.name == name)
    }

    pub fn union_def(&self, name: &str) -> Option<&UnionDef> {
        self.unions.iter().find(|u| u.name == name)
    }

    pub fn enum_def(&self, name: &str) -> Option<&EnumDef> {
        self.enums.iter().find(|e| e.name == name)
    }

    pub fn scalar_def(&self, name: &str) -> Option<&ScalarDef> {
        self.scalars.iter().find(|s| s.name == name)
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
    /// The dimensions are aspect ratios (width : height), not pixels: the
    /// enum is the type of a member marked `aspect-ratio`.
    pub ratio: bool,
    pub usage: Usage,
}

impl EnumDef {
    /// The width and height in pixels of every value, when each names
    /// one (an output resolution; not an aspect ratio).
    pub fn pixel_sizes(&self) -> Option<&[(u32, u32)]> {
        self.dimensions.as_deref().filter(|_| !self.ratio)
    }
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
    /// The first of the schema's `examples`, shown in messages.
    pub example: Option<String>,
}

impl ScalarDef {
    /// What a valid value is, in words, from the title and the example
    /// (`a hex colour such as #b470b3`), for the message of a broken
    /// pattern; `None` without both.
    pub fn what(&self) -> Option<String> {
        let title = self.doc.title.as_deref()?.trim();
        let example = self.example.as_deref()?;
        let noun = title.to_lowercase();
        let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        Some(format!("{article} {noun} such as {example}"))
    }
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

/// Whether an integer newtype with these bounds wraps `u32` (both bounds
/// exist and fit it, which keeps the API natural) rather than `i64`.
pub fn integer_is_u32(min: Option<i64>, max: Option<i64>) -> bool {
    min.is_some_and(|lo| lo >= 0) && max.is_some_and(|hi| hi <= i64::from(u32::MAX))
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

impl StructDef {
    /// The field marked as `member`, if any.
    pub fn member(&self, member: Member) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.member == Some(member))
    }
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
    /// `minLength` / `maxLength` of an inline string member, in characters.
    pub length: (Option<u64>, Option<u64>),
    /// `x-segmind-member`: what the runtime reads this member as.
    pub member: Option<Member>,
}

/// What a request member means to code that handles any request (the mock
/// server, logs): marked in the spec with `x-segmind-member`, read through
/// the generated accessors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Member {
    /// The text the request is known by.
    Prompt,
    /// The seed of the random generator.
    Seed,
    /// The size of the output image, in pixels.
    OutputSize,
    /// The aspect ratio of the output image (Segmind picks the pixels).
    AspectRatio,
    /// An input image: typed [`TypeRef::Image`], which the client resolves
    /// (uploads or inlines) before sending. Any number per request.
    Image,
}

impl Member {
    pub const ALL: &'static [Member] = &[
        Member::Prompt,
        Member::Seed,
        Member::OutputSize,
        Member::AspectRatio,
        Member::Image,
    ];

    /// The name in the spec (`output-size`).
    pub fn name(self) -> &'static str {
        match self {
            Member::Prompt => "prompt",
            Member::Seed => "seed",
            Member::OutputSize => "output-size",
            Member::AspectRatio => "aspect-ratio",
            Member::Image => "image",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|m| m.name() == name)
    }

    /// The generated accessor that reads it (`output_size`); for images,
    /// the first of [`accessors`](Self::accessors).
    pub fn accessor(self) -> &'static str {
        self.accessors()[0]
    }

    /// Every method generated for it. The size and image accessors are on
    /// every request, marked members or not.
    pub fn accessors(self) -> &'static [&'static str] {
        match self {
            Member::Prompt => &["prompt_text"],
            Member::Seed => &["seed_value"],
            Member::OutputSize | Member::AspectRatio => &["output_size"],
            Member::Image => &["images", "images_mut"],
        }
    }

    /// Whether every request has its accessors, marked member or not.
    pub fn on_every_request(self) -> bool {
        matches!(
            self,
            Member::OutputSize | Member::AspectRatio | Member::Image
        )
    }

    /// Whether a request marks at most one member so, and an accessor
    /// reads that one value. Image members are a list.
    pub fn once_per_request(self) -> bool {
        self != Member::Image
    }
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
    /// A `format: uri` string marked `x-segmind-member: image`: an
    /// `ImageInput` (a URL, a local file or bytes), a URI on the wire.
    Image,
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
    /// The sync operation's path (`/v1/{slug}`).
    pub sync_path: String,
    /// The queued submission's path, when there is one.
    pub submit_path: Option<String>,
    pub operation_id: String,
    pub title: String,
    pub summary: String,
    pub request: String,
    pub response: ResponseKind,
    pub price_usd: Option<(f64, f64)>,
    pub typical_latency_seconds: Option<f64>,
    pub note: Option<String>,
    /// Documented error statuses of the sync call.
    pub error_statuses: Vec<u16>,
    /// The output size when no member of the request sets it
    /// (`x-segmind-endpoint.output_size`).
    pub unset_size: Option<UnsetSize>,
}

/// What an endpoint's output size is when no member of its request sets
/// one: declared in the spec, never guessed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnsetSize {
    /// The size of the input image in this member (`{"follows": "image"}`).
    FollowsInput(String),
    /// Segmind's default, which the page does not state (`"server-default"`).
    ServerDefault,
}

/// One place a request's output size may come from; the generated
/// `output_size()` takes the first that applies (see [`size_sources`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SizeSource {
    /// A member marked `output-size` (pixels) or `aspect-ratio` (`ratio`),
    /// when it is set (always, when `required`).
    Member {
        wire: String,
        ratio: bool,
        required: bool,
    },
    /// A default of such a member (on the member, or its enum's): the
    /// value's wire name and Rust names.
    Default {
        enum_name: String,
        variant: String,
        wire: String,
        ratio: bool,
    },
    /// The endpoint's declaration.
    Unset(UnsetSize),
}

impl SizeSource {
    /// Whether it always gives a size: later sources are never reached.
    pub fn is_total(&self) -> bool {
        !matches!(
            self,
            SizeSource::Member {
                required: false,
                ..
            }
        )
    }

    /// In a few words: `resolution`, `the default 1024x1024`, `the size of image`.
    pub fn describe(&self) -> String {
        match self {
            SizeSource::Member { wire, .. } => format!("`{wire}`"),
            SizeSource::Default { wire, ratio, .. } => {
                let what = if *ratio { "aspect ratio" } else { "size" };
                format!("the server's default {what} `{wire}`")
            }
            SizeSource::Unset(UnsetSize::FollowsInput(member)) => {
                format!("the size of the input image `{member}`")
            }
            SizeSource::Unset(UnsetSize::ServerDefault) => {
                "Segmind's default size, which its page does not state".to_owned()
            }
        }
    }
}

/// Where the output size of `e`'s request comes from, in the order the
/// generated `output_size()` tries them: the pixel size when set, the
/// aspect ratio when set, their defaults, then the endpoint's declaration.
/// Ends at the first source that always applies; empty when the request
/// and the endpoint say nothing (the parser refuses that spec).
pub fn size_sources(api: &Api, e: &EndpointDef) -> Vec<SizeSource> {
    let Some(s) = api.struct_def(&e.request) else {
        return Vec::new();
    };
    let marked: Vec<(&FieldDef, bool)> = [(Member::OutputSize, false), (Member::AspectRatio, true)]
        .into_iter()
        .filter_map(|(member, ratio)| Some((s.member(member)?, ratio)))
        .collect();
    let mut sources: Vec<SizeSource> = marked
        .iter()
        .map(|(f, ratio)| SizeSource::Member {
            wire: f.wire.clone(),
            ratio: *ratio,
            required: f.required,
        })
        .collect();
    for (f, ratio) in &marked {
        let default = match &f.ty {
            TypeRef::Named { name, .. } => api
                .enum_def(name)
                .and_then(|en| Some((en, crate::members::default_variant(f, en)?))),
            _ => None,
        };
        if let Some((en, v)) = default {
            sources.push(SizeSource::Default {
                enum_name: en.name.clone(),
                variant: v.ident.clone(),
                wire: v.wire.clone(),
                ratio: *ratio,
            });
        }
    }
    sources.extend(e.unset_size.clone().map(SizeSource::Unset));
    match sources.iter().position(SizeSource::is_total) {
        Some(last) => sources.truncate(last + 1),
        None => sources.clear(),
    }
    sources
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseKind {
    Image,
    JsonOrImage,
}

/// Segmind's protocol beyond the endpoints (`x-segmind-protocol`, the
/// operations with `x-segmind-role`, the base URL and auth header).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProtocolDef {
    pub base_url: String,
    pub auth_header: String,
    /// The response headers the runtime reads, one per [`HeaderRole`].
    pub headers: Vec<HeaderDef>,
    pub max_input_image_bytes: u64,
    pub history_window_days: u32,
    pub history_max_per_page: Option<u64>,
    pub history_default_per_page: Option<u64>,
    /// One per role, in role order.
    pub operations: Vec<OperationDef>,
    /// What each answer of each operation means (`x-outcomes`).
    pub outcomes: OutcomesDef,
}

impl ProtocolDef {
    pub fn operation(&self, role: Role) -> Option<&OperationDef> {
        self.operations.iter().find(|o| o.role == role)
    }

    /// The wire name of the header with this role.
    pub fn header(&self, role: HeaderRole) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.role == role)
            .map(|h| h.name.as_str())
    }
}

/// An operation the runtime uses, and where it lives.
#[derive(Debug, Clone, PartialEq)]
pub struct OperationDef {
    pub role: Role,
    /// `GET`, `POST`, …
    pub method: String,
    /// The path template (`/v2/requests/{request_id}/status`).
    pub path: String,
    /// Its own server, when it is not the document's.
    pub server: Option<String>,
    /// Where it is in the spec, for errors.
    pub pointer: String,
}

/// What the runtime uses an operation for (`x-segmind-role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    JobStatus,
    JobResult,
    JobPollLegacy,
    Credits,
    RequestHistory,
    RequestRecord,
    UploadAsset,
}

impl Role {
    pub const ALL: &'static [Role] = &[
        Role::JobStatus,
        Role::JobResult,
        Role::JobPollLegacy,
        Role::Credits,
        Role::RequestHistory,
        Role::RequestRecord,
        Role::UploadAsset,
    ];

    /// The name in the spec (`job-status`).
    pub fn name(self) -> &'static str {
        match self {
            Role::JobStatus => "job-status",
            Role::JobResult => "job-result",
            Role::JobPollLegacy => "job-poll-legacy",
            Role::Credits => "credits",
            Role::RequestHistory => "request-history",
            Role::RequestRecord => "request-record",
            Role::UploadAsset => "upload-asset",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|r| r.name() == name)
    }

    /// The field of the generated `ApiInfo` (`job_status`).
    pub fn field(self) -> String {
        self.name().replace('-', "_")
    }
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
