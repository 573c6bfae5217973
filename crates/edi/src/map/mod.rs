//! Mapping X12 to the canonical model: 850 → `PlaceOrder`, 945 → a shipment confirmation (and
//! `Command::ConfirmShipment`), 846 → `Command::CountInventory` per sku and location. Pure
//! functions over parsed sets; every error names the set, segment and element.

mod error;
mod inv846;
mod po850;
mod ship945;
pub mod value;

pub use error::{MapError, MapErrors};
pub use inv846::inventory_counts;
pub use po850::place_order;
pub use ship945::{ShipmentConfirmation, ShippedLine, shipment_confirmation};

use crate::error::EdiError;
use crate::reader::SegmentReader;
use crate::tree::{Builder, SegmentNode, TransactionSet, parse};
use crossdock_model::{Command, Country, Currency, LocationId, PlaceOrder};
use serde::Serialize;
use std::io::Read;

/// How inbound sets are read for one trading partner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundOptions {
    /// The partner's id in crossdock; orders arrive on channel `edi:<partner_id>` with order id
    /// `edi-<partner_id>-<PO number>` (no `:`, a common component separator, so the id can be
    /// written back into a 940).
    pub partner_id: String,
    /// Product id qualifiers (235) to take the sku from, in order of preference.
    pub sku_qualifiers: Vec<String>,
    /// Currency when the set has no CUR segment.
    pub currency: Currency,
    /// Country when an N4 has no N404.
    pub country: Country,
    /// Location when a 945 or 846 names none in its N1 loops.
    pub location: Option<LocationId>,
    /// Accept prices with more decimals than the currency has, rounding half away from zero.
    /// Off by default: a price that cannot be carried exactly is an error.
    pub round_prices: bool,
}

impl InboundOptions {
    pub fn new(partner_id: impl Into<String>) -> Self {
        InboundOptions {
            partner_id: partner_id.into(),
            sku_qualifiers: ["VN", "VP", "UP", "BP", "IN"].iter().map(|s| s.to_string()).collect(),
            currency: Currency::USD,
            country: Country::US,
            location: None,
            round_prices: false,
        }
    }
}

/// What one set maps to.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Canonical {
    /// From an 850.
    Order { command: Box<Command> },
    /// From a 945; `command` is resolved with the set's own line references (see
    /// [`ShipmentConfirmation::to_command`] to resolve against an order's lines).
    Shipment { confirmation: Box<ShipmentConfirmation>, command: Option<Box<Command>> },
    /// From an 846: one count per sku and location.
    Inventory { commands: Vec<Command> },
}

impl Canonical {
    /// The commands this set turns into.
    pub fn commands(&self) -> Vec<Command> {
        match self {
            Canonical::Order { command } => vec![command.as_ref().clone()],
            Canonical::Shipment { command, .. } => command.iter().map(|c| c.as_ref().clone()).collect(),
            Canonical::Inventory { commands } => commands.clone(),
        }
    }
}

/// The outcome of mapping one set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mapped {
    /// ST01 and ST02.
    pub set: String,
    pub control: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canonical: Option<Canonical>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<MapError>,
}

/// Maps one parsed set; sets without an inbound mapping are an error naming those that have one.
pub fn map_set(set: &TransactionSet, opts: &InboundOptions) -> Result<Canonical, MapErrors> {
    match set.id.as_str() {
        "850" => {
            place_order(set, opts).map(|p: PlaceOrder| Canonical::Order { command: Box::new(Command::PlaceOrder(p)) })
        }
        "945" => shipment_confirmation(set, opts).map(|confirmation| {
            let command = confirmation.to_command(&[]).ok().map(Box::new);
            Canonical::Shipment { confirmation: Box::new(confirmation), command }
        }),
        "846" => inventory_counts(set, opts).map(|commands| Canonical::Inventory { commands }),
        other => Err(MapErrors(vec![MapError {
            set: other.to_string(),
            control: set.control.clone(),
            segment_index: None,
            segment_id: None,
            element: None,
            message: format!("set {other} has no inbound mapping (850, 945 and 846 have)"),
        }])),
    }
}

/// Parses an input and maps each of its transaction sets.
pub fn to_canonical(input: &[u8], opts: &InboundOptions) -> Result<Vec<Mapped>, EdiError> {
    let doc = parse(input)?;
    Ok(doc.sets().map(|(_, set)| mapped(set, opts)).collect())
}

/// Maps a stream set by set, handing each outcome to `each`; memory holds one set at a time.
/// Returns the number of sets mapped, or the error that stopped reading.
pub fn map_reader<R: Read>(input: R, opts: &InboundOptions, mut each: impl FnMut(Mapped)) -> Result<u64, EdiError> {
    let mut reader = SegmentReader::new(input);
    let mut builder = Builder::default();
    let mut count = 0;
    while let Some(seg) = reader.next_segment()? {
        let ends_set = seg.is(b"SE");
        builder.push(&seg);
        if ends_set || seg.is(b"IEA") {
            for set in builder.take_sets() {
                count += 1;
                each(mapped(&set, opts));
            }
            builder.drop_finished();
        }
    }
    for (_, set) in builder.finish().sets() {
        count += 1;
        each(mapped(set, opts));
    }
    Ok(count)
}

fn mapped(set: &TransactionSet, opts: &InboundOptions) -> Mapped {
    let (canonical, errors) = match map_set(set, opts) {
        Ok(c) => (Some(c), Vec::new()),
        Err(e) => (None, e.0),
    };
    Mapped { set: set.id.clone(), control: set.control.clone(), canonical, errors }
}

/// The product id pairs (qualifier, id, 1-based position of the id) of a segment whose pairs
/// start at element `first`, read no further than element `last` (the segment's defined count).
/// The elements are split once: a segment padded with a million empty elements passes validation
/// (trailing empty elements are not data), and reading it pair by pair would take quadratic time.
pub(crate) fn product_ids(seg: &SegmentNode, first: usize, last: usize) -> Vec<(String, String, u16)> {
    let texts = seg.texts(last);
    let mut out = Vec::new();
    // `n` is the 1-based position of a qualifier; its id is at `n + 1`, i.e. `texts[n]`.
    let mut n = first.max(1);
    while n < texts.len() {
        let (qualifier, id) = (&texts[n - 1], &texts[n]);
        if !qualifier.is_empty() && !id.is_empty() {
            out.push((qualifier.clone(), id.clone(), (n + 1) as u16));
        }
        n += 2;
    }
    out
}

/// The id of the most preferred qualifier present, with its position.
pub(crate) fn preferred_id(ids: &[(String, String, u16)], preference: &[String]) -> Option<(String, u16)> {
    preference.iter().find_map(|q| ids.iter().find(|(qual, _, _)| qual == q).map(|(_, id, pos)| (id.clone(), *pos)))
}
