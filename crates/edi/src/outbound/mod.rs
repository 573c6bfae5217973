//! Mapping canonical records to X12: 855 (PO acknowledgement with line statuses), 856 (ship notice
//! with shipment / order / pack / item HL levels and SSCC-18 pack ids), 810 (invoice with totals
//! and tax), 940 (warehouse shipping order) and 846 (availability), enveloped for a partner and
//! checked strictly against the schemas before they leave.

mod ack855;
mod asn856;
mod avail846;
mod envelope;
mod invoice810;
mod order940;
mod sscc;
mod view;

pub use ack855::{LineAck, LineStatus, po_ack_855};
pub use asn856::{AsnInput, Pack, ship_notice_856};
pub use avail846::availability_846;
pub use envelope::{Envelope, OutboundSet, interchange, write_interchange};
pub use invoice810::{Charge, InvoiceInput, Tax, invoice_810};
pub use order940::{ShippingOrderInput, W05_REFERENCE, shipping_order_940};
pub use sscc::{Sscc, SsccError, gs1_check_digit};
pub use view::{OrderLineView, OrderView, fit_reference, shortened_prefix};

/// Why an outbound set could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{set}: {message}")]
pub struct OutboundError {
    /// ST01 of the set being built.
    pub set: String,
    pub message: String,
}

impl OutboundError {
    pub fn new(set: &str, message: impl Into<String>) -> Self {
        OutboundError { set: set.to_string(), message: message.into() }
    }
}

/// Partner choices for outbound sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundOptions {
    /// Product id qualifier (235) the sku is written with.
    pub sku_qualifier: String,
    /// Unit of measure (355) for quantities.
    pub unit: String,
}

impl Default for OutboundOptions {
    fn default() -> Self {
        OutboundOptions { sku_qualifier: "VN".into(), unit: "EA".into() }
    }
}
