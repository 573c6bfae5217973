//! Trading-partner configuration: our own ISA/GS ids, and per partner its ISA qualifier and id,
//! GS id, version, delimiters, usage, sku qualifiers and which acknowledgements are expected
//! within how long. Validated without IO, collecting every error as `<file>: <path>: <message>`.

use crate::delimiters::Delimiters;
use crate::map::InboundOptions;
use crate::outbound::{Envelope, OutboundOptions};
use crate::schema::Version;
use serde::{Deserialize, Serialize};
use std::fmt;

/// ISA05/ISA07 interchange id qualifiers (I05), as xlate/staedi's `common.xml` lists them.
const ISA_QUALIFIERS: &[&str] = &[
    "01", "02", "03", "04", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19", "20", "21",
    "22", "23", "24", "25", "26", "27", "28", "29", "30", "31", "32", "33", "34", "35", "36", "37", "38", "AM", "NR",
    "SA", "SN", "ZZ",
];

/// Our own ids, used as sender on everything we write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalIds {
    pub isa_qualifier: String,
    pub isa_id: String,
    pub gs_id: String,
}

/// The four delimiters, one character each; `segment` may be `"\n"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelimiterConfig {
    pub element: String,
    pub component: String,
    /// Only from 00402 on (ISA11); leave out for 004010.
    #[serde(default)]
    pub repetition: Option<String>,
    pub segment: String,
}

impl Default for DelimiterConfig {
    fn default() -> Self {
        DelimiterConfig { element: "*".into(), component: ":".into(), repetition: None, segment: "~".into() }
    }
}

/// Acknowledgements exchanged with a partner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AckConfig {
    /// What the partner sends back for what we send: any of `TA1`, `997`, `999`.
    #[serde(default)]
    pub expect: Vec<String>,
    /// Minutes after sending within which expected acknowledgements must arrive.
    #[serde(default = "default_within")]
    pub within_minutes: u32,
    /// What we send back for what we receive: `997`, `999` or `none`.
    #[serde(default = "default_send")]
    pub send: String,
}

fn default_within() -> u32 {
    24 * 60
}

fn default_send() -> String {
    "997".into()
}

impl Default for AckConfig {
    fn default() -> Self {
        AckConfig { expect: vec!["997".into()], within_minutes: default_within(), send: default_send() }
    }
}

fn default_version() -> String {
    "004010".into()
}

fn default_usage() -> String {
    "P".into()
}

/// One trading partner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerConfig {
    /// crossdock's id for the partner; its orders arrive on channel `edi:<id>`.
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    pub isa_qualifier: String,
    pub isa_id: String,
    pub gs_id: String,
    /// GS08 without suffix: `004010` or `005010`.
    #[serde(default = "default_version")]
    pub version: String,
    #[serde(default)]
    pub delimiters: DelimiterConfig,
    /// ISA15: `P` production or `T` test.
    #[serde(default = "default_usage")]
    pub usage: String,
    #[serde(default)]
    pub acks: AckConfig,
    /// Product id qualifiers to read skus from, in order; empty for the default (VN, VP, UP, BP, IN).
    #[serde(default)]
    pub sku_qualifiers: Vec<String>,
    /// Accept the common envelope deviations (a short ISA field, wrong counts) with warnings; strict otherwise.
    #[serde(default)]
    pub lenient: bool,
    /// The documents this partner receives from us, generated from events: `855` when its order is
    /// accepted, `856` when it ships, `810` invoices, `940` warehouse orders, `846` availability.
    #[serde(default)]
    pub documents: Vec<String>,
    /// For a 3PL: the location ids it runs; orders released to them go out as 940s.
    #[serde(default)]
    pub warehouses: Vec<String>,
}

/// The outbound documents a partner may receive.
pub const OUTBOUND_DOCUMENTS: &[&str] = &["855", "856", "810", "940", "846"];

/// The EDI section of the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdiConfig {
    pub local: LocalIds,
    #[serde(default)]
    pub partners: Vec<PartnerConfig>,
    /// Root of the folder transport: `<folders>/<partner id>/{inbox,processed,failed,outbox}`; none to use
    /// HTTP only.
    #[serde(default)]
    pub folders: Option<String>,
    /// How often the inboxes are polled.
    #[serde(default = "default_poll")]
    pub poll_seconds: u32,
}

fn default_poll() -> u32 {
    5
}

/// One configuration error: where (a path such as `partners[1].isa_id`) and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigError {
    pub path: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

struct Errors(Vec<ConfigError>);

impl Errors {
    fn push(&mut self, path: &str, message: impl Into<String>) {
        self.0.push(ConfigError { path: path.to_string(), message: message.into() });
    }
}

fn check_qualifier(path: &str, q: &str, errs: &mut Errors) {
    if !ISA_QUALIFIERS.contains(&q) {
        errs.push(path, format!("{q:?} is not an interchange id qualifier (e.g. 01, 12, ZZ)"));
    }
}

fn check_id(path: &str, id: &str, (min, max): (usize, usize), errs: &mut Errors) {
    let n = id.chars().count();
    if n < min || n > max {
        errs.push(path, format!("{id:?} must be {min} to {max} characters"));
    } else if id.trim() != id || id.chars().any(|c| !(' '..='~').contains(&c)) {
        errs.push(path, format!("{id:?} must be printable ASCII without leading or trailing spaces"));
    }
}

/// The delimiters as bytes, or errors for each unusable one.
fn delimiters(path: &str, d: &DelimiterConfig, version: Option<Version>, errs: &mut Errors) -> Option<Delimiters> {
    let one = |name: &str, v: &str, errs: &mut Errors| -> Option<u8> {
        match v.as_bytes() {
            [b] if v.is_ascii() && !b.is_ascii_alphanumeric() && *b != b' ' => Some(*b),
            _ => {
                errs.push(
                    &format!("{path}.{name}"),
                    format!("{v:?} is not one ASCII character other than a letter, digit or space"),
                );
                None
            }
        }
    };
    let element = one("element", &d.element, errs);
    let component = one("component", &d.component, errs);
    let segment = one("segment", &d.segment, errs);
    let repetition = match &d.repetition {
        Some(r) if version == Some(Version::V4010) => {
            errs.push(&format!("{path}.repetition"), format!("{r:?}: 004010 has no repetition separator (ISA11 is U)"));
            None
        }
        Some(r) => Some(one("repetition", r, errs)?),
        None => None,
    };
    let (element, component, segment) = (element?, component?, segment?);
    let built = Delimiters::new(element, component, repetition, segment);
    if !built.is_usable() {
        errs.push(path, "the delimiters must all differ");
        return None;
    }
    Some(built)
}

fn check_partner(path: &str, p: &PartnerConfig, errs: &mut Errors) -> Option<Delimiters> {
    if crossdock_model::ChannelId::new(format!("edi:{}", p.id)).is_err() || p.id.is_empty() || p.id.contains(':') {
        errs.push(&format!("{path}.id"), format!("{:?} must be a non-empty id without whitespace or ':'", p.id));
    }
    check_qualifier(&format!("{path}.isa_qualifier"), &p.isa_qualifier, errs);
    check_id(&format!("{path}.isa_id"), &p.isa_id, (1, 15), errs);
    check_id(&format!("{path}.gs_id"), &p.gs_id, (2, 15), errs);
    let version = match p.version.as_str() {
        "004010" => Some(Version::V4010),
        "005010" => Some(Version::V5010),
        other => {
            errs.push(&format!("{path}.version"), format!("{other:?} is not a supported version (004010, 005010)"));
            None
        }
    };
    if !["P", "T"].contains(&p.usage.as_str()) {
        errs.push(&format!("{path}.usage"), format!("{:?} must be P (production) or T (test)", p.usage));
    }
    for (i, kind) in p.acks.expect.iter().enumerate() {
        let at = format!("{path}.acks.expect[{i}]");
        match kind.as_str() {
            "TA1" | "997" => {}
            "999" if version == Some(Version::V4010) => errs.push(&at, "999 acknowledgements need version 005010"),
            "999" => {}
            other => errs.push(&at, format!("{other:?} must be TA1, 997 or 999")),
        }
    }
    if !p.acks.expect.is_empty() && !(1..=7 * 24 * 60).contains(&p.acks.within_minutes) {
        errs.push(
            &format!("{path}.acks.within_minutes"),
            format!("{} must be 1 to 10080 (a week)", p.acks.within_minutes),
        );
    }
    match p.acks.send.as_str() {
        "997" | "none" => {}
        "999" if version == Some(Version::V4010) => {
            errs.push(&format!("{path}.acks.send"), "999 acknowledgements need version 005010")
        }
        "999" => {}
        other => errs.push(&format!("{path}.acks.send"), format!("{other:?} must be 997, 999 or none")),
    }
    for (i, q) in p.sku_qualifiers.iter().enumerate() {
        if q.len() != 2 || !q.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
            errs.push(
                &format!("{path}.sku_qualifiers[{i}]"),
                format!("{q:?} is not a product id qualifier (e.g. VN, UP)"),
            );
        }
    }
    for (i, doc) in p.documents.iter().enumerate() {
        if !OUTBOUND_DOCUMENTS.contains(&doc.as_str()) {
            errs.push(
                &format!("{path}.documents[{i}]"),
                format!("{doc:?} is not an outbound document (855, 856, 810, 940, 846)"),
            );
        }
    }
    let d = delimiters(&format!("{path}.delimiters"), &p.delimiters, version, errs)?;
    for (field, value) in [("isa_id", &p.isa_id), ("gs_id", &p.gs_id)] {
        if let Some(c) = value.bytes().find(|b| d.is_delimiter(*b)) {
            errs.push(&format!("{path}.{field}"), format!("{value:?} contains the delimiter {:?}", c as char));
        }
    }
    Some(d)
}

impl EdiConfig {
    /// Checks everything, collecting every error.
    pub fn validate(&self) -> Result<(), Vec<ConfigError>> {
        let mut errs = Errors(Vec::new());
        check_qualifier("local.isa_qualifier", &self.local.isa_qualifier, &mut errs);
        check_id("local.isa_id", &self.local.isa_id, (1, 15), &mut errs);
        check_id("local.gs_id", &self.local.gs_id, (2, 15), &mut errs);
        if !(1..=3600).contains(&self.poll_seconds) {
            errs.push("poll_seconds", format!("{} must be 1 to 3600", self.poll_seconds));
        }
        if self.folders.as_deref().is_some_and(|f| f.trim().is_empty()) {
            errs.push("folders", "must name a folder");
        }
        for (i, p) in self.partners.iter().enumerate() {
            let path = format!("partners[{i}]");
            check_partner(&path, p, &mut errs);
            let earlier = &self.partners[..i];
            if earlier.iter().any(|q| q.id == p.id) {
                errs.push(&format!("{path}.id"), format!("{:?} is used by an earlier partner", p.id));
            }
            if earlier.iter().any(|q| q.isa_qualifier == p.isa_qualifier && q.isa_id == p.isa_id) {
                errs.push(
                    &format!("{path}.isa_id"),
                    format!("{}/{} is used by an earlier partner", p.isa_qualifier, p.isa_id),
                );
            }
            if p.isa_qualifier == self.local.isa_qualifier && p.isa_id == self.local.isa_id {
                errs.push(&format!("{path}.isa_id"), "is our own interchange id");
            }
        }
        if errs.0.is_empty() { Ok(()) } else { Err(errs.0) }
    }

    /// Every error as `<file>: <path>: <message>`, for `crossdock config check`.
    pub fn check(&self, file: &str) -> Result<(), Vec<String>> {
        self.validate().map_err(|errs| errs.iter().map(|e| format!("{file}: {e}")).collect())
    }

    /// The partner with crossdock id `id`.
    pub fn partner(&self, id: &str) -> Option<&PartnerConfig> {
        self.partners.iter().find(|p| p.id == id)
    }

    /// The partner whose ISA sender is `qualifier`/`id` (as received, padding trimmed).
    pub fn partner_by_isa(&self, qualifier: &str, id: &str) -> Option<&PartnerConfig> {
        self.partners.iter().find(|p| p.isa_qualifier == qualifier.trim() && p.isa_id == id.trim())
    }

    /// The envelope for writing to `partner` (call after [`EdiConfig::validate`]).
    pub fn envelope(&self, partner: &PartnerConfig) -> Result<Envelope, Vec<ConfigError>> {
        let mut errs = Errors(Vec::new());
        let d = check_partner("partner", partner, &mut errs);
        let version = if partner.version == "005010" { Version::V5010 } else { Version::V4010 };
        match d {
            Some(delimiters) if errs.0.is_empty() => Ok(Envelope {
                sender_qualifier: self.local.isa_qualifier.clone(),
                sender_id: self.local.isa_id.clone(),
                sender_gs: self.local.gs_id.clone(),
                receiver_qualifier: partner.isa_qualifier.clone(),
                receiver_id: partner.isa_id.clone(),
                receiver_gs: partner.gs_id.clone(),
                version,
                usage: if partner.usage == "T" { 'T' } else { 'P' },
                delimiters,
                ack_requested: partner.acks.expect.iter().any(|k| k == "TA1"),
            }),
            _ => Err(errs.0),
        }
    }
}

impl PartnerConfig {
    /// Whether the partner receives the outbound document `set` (e.g. `856`).
    pub fn receives(&self, set: &str) -> bool {
        self.documents.iter().any(|d| d == set)
    }

    /// How this partner's inbound sets are mapped.
    pub fn inbound_options(&self) -> InboundOptions {
        let mut o = InboundOptions::new(self.id.clone());
        if !self.sku_qualifiers.is_empty() {
            o.sku_qualifiers = self.sku_qualifiers.clone();
        }
        o
    }

    /// How outbound sets are written for this partner: skus with its first sku qualifier.
    pub fn outbound_options(&self) -> OutboundOptions {
        let mut o = OutboundOptions::default();
        if let Some(q) = self.sku_qualifiers.first() {
            o.sku_qualifier = q.clone();
        }
        o
    }

    /// Seconds within which a functional acknowledgement (997/999) is due, when one is expected.
    pub fn functional_ack_within(&self) -> Option<u64> {
        let expected = self.acks.expect.iter().any(|k| k == "997" || k == "999");
        expected.then_some(u64::from(self.acks.within_minutes) * 60)
    }

    /// Seconds within which a TA1 is due, when one is expected.
    pub fn ta1_within(&self) -> Option<u64> {
        self.acks.expect.iter().any(|k| k == "TA1").then_some(u64::from(self.acks.within_minutes) * 60)
    }
}
