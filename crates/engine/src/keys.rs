//! Which inventory positions a command reads or changes, so that the store can load (and lock) them first.

use crossdock_model::{Command, Disposition, LocationId, Order, Sku, SourcingMode};
use std::collections::BTreeSet;

/// The inventory positions a command reads or changes, given the current order (if any).
///
/// Sorted and without duplicates. Every inventory event [`decide`](crate::decide) returns names one of
/// these; an order command whose order is not given (or is another order) touches none.
pub fn inventory_keys(command: &Command, order: Option<&Order>) -> Vec<(Sku, LocationId)> {
    let order = order.filter(|o| command.order_id() == Some(&o.id));
    let sku_of = |line_id| order.and_then(|o| o.line(line_id)).map(|l| l.sku.clone());
    let mut keys = BTreeSet::new();
    match command {
        Command::AllocateLines { allocations, .. } => {
            for a in allocations {
                keys.extend(sku_of(&a.line_id).map(|sku| (sku, a.location.clone())));
            }
        }
        Command::CancelOrder { lines, location, .. } => {
            for line in order.iter().flat_map(|o| &o.lines) {
                let named = lines.as_ref().is_none_or(|ls| ls.iter().any(|l| l.line_id == line.id));
                if named {
                    let at = |a: &&crossdock_model::LineAllocation| location.as_ref().is_none_or(|l| *l == a.location);
                    let reserved = line.allocations.iter().filter(at).filter(|a| a.allocated > a.shipped);
                    keys.extend(reserved.map(|a| (line.sku.clone(), a.location.clone())));
                }
            }
        }
        Command::ConfirmShipment { location, lines, .. } => {
            for l in lines {
                keys.extend(sku_of(&l.line_id).map(|sku| (sku, location.clone())));
            }
        }
        Command::RecordReturn { location, lines, .. } => {
            for l in lines.iter().filter(|l| l.disposition == Disposition::Resellable) {
                keys.extend(sku_of(&l.line_id).map(|sku| (sku, location.clone())));
            }
        }
        Command::AdjustInventory { sku, location, .. } | Command::CountInventory { sku, location, .. } => {
            keys.insert((sku.clone(), location.clone()));
        }
        Command::AnswerCancelRequest { .. } => {
            keys.extend(order.map(crate::cancel_request::answer_keys).unwrap_or_default())
        }
        Command::PlaceOrder(_)
        | Command::AuthoriseReturn { .. }
        | Command::RefreshAvailability { .. }
        | Command::SourceOrder { .. }
        | Command::HoldOrder { .. }
        | Command::ReleaseHold { .. }
        | Command::ReleaseToWarehouse { .. }
        | Command::ConfirmDelivery { .. }
        | Command::UpsertLocation { .. } => {}
    }
    keys.into_iter().collect()
}

/// The skus a command may source: for those the store loads the positions at every known location and the
/// network ([`State::sourcing`](crate::State)). An order placed with automatic sourcing names its lines' skus;
/// `SourceOrder` names the skus of the order's unallocated lines. Sorted, without duplicates.
pub fn sourcing_skus(command: &Command, order: Option<&Order>) -> Vec<Sku> {
    let skus: BTreeSet<Sku> = match command {
        Command::PlaceOrder(place) if place.sourcing.mode == SourcingMode::Auto => {
            place.lines.iter().map(|l| l.sku.clone()).collect()
        }
        Command::SourceOrder { order_id } => order
            .filter(|o| &o.id == order_id)
            .iter()
            .flat_map(|o| &o.lines)
            .filter(|l| l.quantities.ordered > l.quantities.cancelled.saturating_add(l.quantities.allocated))
            .map(|l| l.sku.clone())
            .collect(),
        // A channel's ATP sums the sku's positions over the network, which sourcing loads.
        Command::RefreshAvailability { sku, .. } => BTreeSet::from([sku.clone()]),
        _ => BTreeSet::new(),
    };
    skus.into_iter().collect()
}
