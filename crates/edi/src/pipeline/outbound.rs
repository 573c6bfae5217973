//! Which outbound documents an event calls for, per partner, without IO: 855 when a partner's order is
//! placed (accepted), 856 and 810 when it ships, 940 when an order is released to a 3PL's warehouse.

use crate::outbound::{
    AsnInput, InvoiceInput, OrderView, OutboundError, OutboundSet, ShippingOrderInput, fit_reference, invoice_810,
    po_ack_855, ship_notice_856, shipping_order_940,
};
use crate::partner::{EdiConfig, PartnerConfig};
use crossdock_model::{Event, LineQuantity, LocationId, Order, OrderStatus, Quantity};
use std::collections::BTreeMap;

/// One document to send: to whom, which set, built from which event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundDocument {
    pub partner: String,
    pub set: OutboundSet,
    /// A short reference for logs and records, e.g. `855 for order edi-acme-PO-1`.
    pub reference: String,
}

/// True when `order` came from `partner` (channel `edi:<partner>`).
pub fn is_partner_order(order: &Order, partner: &PartnerConfig) -> bool {
    order.channel.as_str().strip_prefix("edi:") == Some(partner.id.as_str())
}

/// The order an event concerns, when the caller must load it (the event does not carry it).
pub fn order_needed(event: &Event) -> Option<&crossdock_model::OrderId> {
    match event {
        Event::ShipmentConfirmed { order_id, .. } | Event::OrderReleased { order_id, .. } => Some(order_id),
        _ => None,
    }
}

/// The documents `event` calls for, for every configured partner that receives them. `order` is the
/// order named by [`order_needed`], as currently stored. A document that cannot be built is an error
/// in its place (the others are still returned).
pub fn documents_for_event(
    config: &EdiConfig,
    event: &Event,
    order: Option<&Order>,
) -> Vec<Result<OutboundDocument, (String, OutboundError)>> {
    let mut out = Vec::new();
    for partner in &config.partners {
        let opts = partner.outbound_options();
        let mut push = |set: Result<OutboundSet, OutboundError>, reference: String| {
            out.push(
                set.map(|set| OutboundDocument { partner: partner.id.clone(), set, reference })
                    .map_err(|e| (partner.id.clone(), e)),
            );
        };
        match event {
            Event::OrderPlaced { order } if partner.receives("855") && is_partner_order(order, partner) => {
                let view = OrderView::from(order.as_ref());
                push(
                    po_ack_855(&view, &[], order.placed_at.date_naive(), &opts),
                    format!("855 for order {}", order.id),
                );
            }
            Event::ShipmentConfirmed { shipment, .. } => {
                let Some(order) = order.filter(|o| is_partner_order(o, partner)) else { continue };
                let view = OrderView::from(order);
                if partner.receives("856") {
                    let input = AsnInput {
                        order: view.clone(),
                        shipment: shipment.clone(),
                        ship_from: None,
                        bill_of_lading: None,
                        packs: Vec::new(),
                    };
                    push(ship_notice_856(&input, &opts), format!("856 for shipment {}", shipment.id));
                }
                if partner.receives("810") {
                    // Freight is billed once: on the invoice of the shipment that completes the order.
                    let mut view = view;
                    if !matches!(order.status, OrderStatus::Shipped | OrderStatus::Delivered) {
                        view.shipping = None;
                    }
                    let input = InvoiceInput {
                        // BIG02 holds 22 characters; longer shipment ids are shortened stably.
                        invoice_number: fit_reference(shipment.id.as_str(), 22),
                        invoice_date: shipment.shipped_at.date_naive(),
                        order: view,
                        lines: shipment.lines.clone(),
                        taxes: Vec::new(),
                        charges: Vec::new(),
                    };
                    push(invoice_810(&input, &opts), format!("810 for shipment {}", shipment.id));
                }
            }
            Event::OrderReleased { lines, .. } if partner.receives("940") => {
                let Some(order) = order else { continue };
                let mut by_location: BTreeMap<&LocationId, Vec<LineQuantity>> = BTreeMap::new();
                for l in lines.iter().filter(|l| partner.warehouses.iter().any(|w| w == l.location.as_str())) {
                    let Ok(quantity) = Quantity::new(l.quantity) else { continue };
                    by_location
                        .entry(&l.location)
                        .or_default()
                        .push(LineQuantity { line_id: l.line_id.clone(), quantity });
                }
                for (warehouse, lines) in by_location {
                    let input = ShippingOrderInput {
                        order: OrderView::from(order),
                        warehouse: warehouse.clone(),
                        lines,
                        carrier: None,
                        ship_by: None,
                    };
                    push(shipping_order_940(&input, &opts), format!("940 for order {} at {warehouse}", order.id));
                }
            }
            _ => {}
        }
    }
    out
}
