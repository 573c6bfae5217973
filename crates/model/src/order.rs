//! The order aggregate's state: lines with per-line quantities, shipments, returns, and the lifecycle status.

use crate::{
    Address, ChannelId, Currency, Customer, ExternalId, LineId, LocationId, Money, OrderId, ReturnId, ShipmentId, Sku,
    SourcingOptions,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where an order stands in its lifecycle; derived from its lines' quantities and its hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Created,
    OnHold,
    Allocated,
    Backordered,
    Released,
    PartiallyShipped,
    Shipped,
    Delivered,
    PartiallyReturned,
    Returned,
    Cancelled,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 11] = [
        Self::Created,
        Self::OnHold,
        Self::Allocated,
        Self::Backordered,
        Self::Released,
        Self::PartiallyShipped,
        Self::Shipped,
        Self::Delivered,
        Self::PartiallyReturned,
        Self::Returned,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::OnHold => "on_hold",
            Self::Allocated => "allocated",
            Self::Backordered => "backordered",
            Self::Released => "released",
            Self::PartiallyShipped => "partially_shipped",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::PartiallyReturned => "partially_returned",
            Self::Returned => "returned",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

/// Units of one line in each state. Invariants: shipped ≤ released ≤ allocated ≤ ordered − cancelled,
/// delivered ≤ shipped, returned ≤ delivered, backordered ≤ ordered − cancelled − allocated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LineQuantities {
    pub ordered: u32,
    pub allocated: u32,
    pub released: u32,
    pub shipped: u32,
    pub delivered: u32,
    pub returned: u32,
    pub cancelled: u32,
    /// Units sourcing found no stock for: they wait, unallocated, and are sourced when stock arrives.
    #[serde(default)]
    pub backordered: u32,
}

impl LineQuantities {
    /// Units still to be fulfilled or cancelled: ordered − cancelled − shipped.
    pub fn open(&self) -> u32 {
        self.ordered - self.cancelled - self.shipped
    }

    /// Units neither allocated nor cancelled.
    pub fn unallocated(&self) -> u32 {
        self.ordered - self.cancelled - self.allocated
    }

    /// Checks the ordering invariants; the message names the first one broken.
    pub fn check(&self) -> Result<(), String> {
        let q = self;
        let live = q.ordered.checked_sub(q.cancelled).ok_or("cancelled > ordered")?;
        if q.allocated > live {
            return Err(format!("allocated {} > ordered − cancelled {live}", q.allocated));
        }
        if q.released > q.allocated {
            return Err(format!("released {} > allocated {}", q.released, q.allocated));
        }
        if q.shipped > q.released {
            return Err(format!("shipped {} > released {}", q.shipped, q.released));
        }
        if q.delivered > q.shipped {
            return Err(format!("delivered {} > shipped {}", q.delivered, q.shipped));
        }
        if q.returned > q.delivered {
            return Err(format!("returned {} > delivered {}", q.returned, q.delivered));
        }
        if q.backordered > live - q.allocated {
            return Err(format!("backordered {} > unallocated {}", q.backordered, live - q.allocated));
        }
        Ok(())
    }
}

/// The part of a line assigned to one location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LineAllocation {
    pub location: LocationId,
    pub allocated: u32,
    pub released: u32,
    pub shipped: u32,
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderLine {
    pub id: LineId,
    pub sku: Sku,
    pub unit_price: Money,
    pub quantities: LineQuantities,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allocations: Vec<LineAllocation>,
}

impl OrderLine {
    pub fn allocation(&self, location: &LocationId) -> Option<&LineAllocation> {
        self.allocations.iter().find(|a| &a.location == location)
    }
}

/// A quantity of one line, as used in cancellations, shipments and returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineQuantity {
    pub line_id: LineId,
    pub quantity: crate::Quantity,
}

/// A shipment that left a location with some units of some lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Shipment {
    pub id: ShipmentId,
    pub location: LocationId,
    pub carrier: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    pub lines: Vec<LineQuantity>,
    pub shipped_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Why a customer sent units back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReturnReason {
    WrongItem,
    DamagedInTransit,
    Defective,
    NotAsDescribed,
    NoLongerNeeded,
    Other,
}

impl ReturnReason {
    /// True when the return shows the order was not fulfilled as ordered (counts against order accuracy).
    pub fn is_fulfilment_error(self) -> bool {
        matches!(self, Self::WrongItem | Self::DamagedInTransit)
    }
}

/// What happens to returned units at the receiving location.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    Resellable,
    Damaged,
    ReturnToVendor,
}

/// One line of a return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnLine {
    pub line_id: LineId,
    pub quantity: crate::Quantity,
    pub reason: ReturnReason,
    pub disposition: Disposition,
}

/// Units received back at a location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReturnRecord {
    pub id: ReturnId,
    pub location: LocationId,
    pub lines: Vec<ReturnLine>,
    pub received_at: DateTime<Utc>,
    /// The return authorisation the units came back under, if any (walk-in returns have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorisation: Option<crate::ReturnAuthorisationId>,
}

/// The order aggregate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Order {
    pub id: OrderId,
    pub channel: ChannelId,
    pub external_id: ExternalId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    pub ship_to: Address,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bill_to: Option<Address>,
    pub currency: Currency,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping: Option<Money>,
    /// The B2B customer's sales-tax exemption certificate id; an order with one is not taxed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_exempt_certificate: Option<String>,
    /// The first three digits of the US ship-to ZIP code ([`Address::us_zip3`]), recorded at placement and
    /// never sealed: the store seals the postal code, so once the customer's PII is erased this is what the
    /// local sales tax is found by. Coarse, like the region kept beside it: a ZIP3 area holds tens of
    /// thousands of people. `None` outside the US and for orders placed before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_zip3: Option<String>,
    pub lines: Vec<OrderLine>,
    pub placed_at: DateTime<Utc>,
    pub status: OrderStatus,
    /// The reason of the current hold, if the order is on hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold: Option<String>,
    #[serde(default)]
    pub shipments: Vec<Shipment>,
    #[serde(default)]
    pub returns: Vec<ReturnRecord>,
    /// Cancel requests sent to warehouses after release, oldest first; the last may be open.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cancel_requests: Vec<crate::CancelRequest>,
    /// Return authorisations (RMA), oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub return_authorisations: Vec<crate::ReturnAuthorisation>,
    /// How the order is sourced (automatically unless it asked for manual allocation) and its rules.
    #[serde(default, skip_serializing_if = "SourcingOptions::is_default")]
    pub sourcing: SourcingOptions,
    /// Number of events applied to this order; the version the next event will follow.
    pub version: u64,
    pub updated_at: DateTime<Utc>,
}

impl Order {
    pub fn line(&self, id: &LineId) -> Option<&OrderLine> {
        self.lines.iter().find(|l| &l.id == id)
    }

    pub fn line_mut(&mut self, id: &LineId) -> Option<&mut OrderLine> {
        self.lines.iter_mut().find(|l| &l.id == id)
    }

    /// The cancel request waiting for the warehouse's answer, if any.
    pub fn open_cancel_request(&self) -> Option<&crate::CancelRequest> {
        self.cancel_requests.last().filter(|r| r.outcome.is_none())
    }

    /// Units of a line authorised for return (RMA) and not yet received.
    pub fn authorised_open(&self, line: &LineId) -> u32 {
        self.return_authorisations.iter().map(|a| a.open_units(line)).fold(0, u32::saturating_add)
    }

    /// Sum of line totals (unit price × ordered units), in the order's currency.
    pub fn subtotal(&self) -> Money {
        let minor = self
            .lines
            .iter()
            .map(|l| l.unit_price.amount_minor.saturating_mul(i64::from(l.quantities.ordered)))
            .fold(0i64, i64::saturating_add);
        Money::new(minor, self.currency)
    }

    /// The status the quantities and hold put this order in.
    pub fn derive_status(&self) -> OrderStatus {
        let sum = |f: fn(&LineQuantities) -> u32| self.lines.iter().map(|l| f(&l.quantities)).sum::<u32>();
        let (ordered, cancelled) = (sum(|q| q.ordered), sum(|q| q.cancelled));
        let live = ordered - cancelled;
        let (allocated, released, shipped) = (sum(|q| q.allocated), sum(|q| q.released), sum(|q| q.shipped));
        let (delivered, returned) = (sum(|q| q.delivered), sum(|q| q.returned));
        if live == 0 && shipped == 0 {
            return OrderStatus::Cancelled;
        }
        if returned > 0 {
            return if returned == live { OrderStatus::Returned } else { OrderStatus::PartiallyReturned };
        }
        if delivered > 0 && delivered == live {
            return OrderStatus::Delivered;
        }
        if shipped > 0 {
            return if shipped == live { OrderStatus::Shipped } else { OrderStatus::PartiallyShipped };
        }
        if self.hold.is_some() {
            return OrderStatus::OnHold;
        }
        if released > 0 {
            return OrderStatus::Released;
        }
        if allocated == 0 {
            let backordered = sum(|q| q.backordered);
            return if backordered > 0 { OrderStatus::Backordered } else { OrderStatus::Created };
        }
        if allocated == live { OrderStatus::Allocated } else { OrderStatus::Backordered }
    }

    /// Checks every line's quantity invariants and that allocations add up to the line totals.
    pub fn check_invariants(&self) -> Result<(), String> {
        for line in &self.lines {
            let q = &line.quantities;
            q.check().map_err(|e| format!("line {}: {e}", line.id))?;
            let sum = |f: fn(&LineAllocation) -> u32| line.allocations.iter().map(f).sum::<u32>();
            if sum(|a| a.allocated) != q.allocated
                || sum(|a| a.released) != q.released
                || sum(|a| a.shipped) != q.shipped
            {
                return Err(format!("line {}: allocations do not add up to the line quantities", line.id));
            }
            for a in &line.allocations {
                if a.shipped > a.released || a.released > a.allocated {
                    return Err(format!("line {} at {}: shipped ≤ released ≤ allocated broken", line.id, a.location));
                }
            }
        }
        if self.status != self.derive_status() {
            return Err(format!("status {:?} but quantities say {:?}", self.status, self.derive_status()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Country, Quantity};

    fn order(lines: &[LineQuantities], hold: bool) -> Order {
        let usd = Currency::USD;
        Order {
            id: OrderId::new("o").unwrap(),
            channel: ChannelId::new("web").unwrap(),
            external_id: ExternalId::new("1").unwrap(),
            customer: None,
            ship_to: Address {
                name: "A".into(),
                line1: "1 Main St".into(),
                line2: None,
                city: "X".into(),
                region: None,
                postal_code: "1".into(),
                country: Country::US,
            },
            bill_to: None,
            currency: usd,
            shipping: None,
            tax_exempt_certificate: None,
            tax_zip3: None,
            lines: lines
                .iter()
                .enumerate()
                .map(|(i, q)| OrderLine {
                    id: LineId::new(i.to_string()).unwrap(),
                    sku: Sku::new("S").unwrap(),
                    unit_price: Money::new(100, usd),
                    quantities: *q,
                    allocations: vec![],
                })
                .collect(),
            placed_at: DateTime::UNIX_EPOCH,
            status: OrderStatus::Created,
            hold: hold.then(|| "fraud check".to_string()),
            shipments: vec![],
            returns: vec![],
            cancel_requests: vec![],
            return_authorisations: vec![],
            sourcing: SourcingOptions::default(),
            version: 1,
            updated_at: DateTime::UNIX_EPOCH,
        }
    }

    fn q(
        ordered: u32,
        allocated: u32,
        released: u32,
        shipped: u32,
        delivered: u32,
        returned: u32,
        cancelled: u32,
    ) -> LineQuantities {
        LineQuantities { ordered, allocated, released, shipped, delivered, returned, cancelled, backordered: 0 }
    }

    #[test]
    fn status_follows_quantities() {
        use OrderStatus::*;
        let cases: &[(&[LineQuantities], bool, OrderStatus)] = &[
            (&[q(2, 0, 0, 0, 0, 0, 0)], false, Created),
            (&[q(2, 0, 0, 0, 0, 0, 0)], true, OnHold),
            (&[q(2, 2, 0, 0, 0, 0, 0)], false, Allocated),
            (&[q(2, 1, 0, 0, 0, 0, 0)], false, Backordered),
            (&[q(2, 2, 2, 0, 0, 0, 0)], false, Released),
            (&[q(2, 2, 2, 1, 0, 0, 0)], false, PartiallyShipped),
            (&[q(2, 2, 2, 2, 0, 0, 0), q(1, 0, 0, 0, 0, 0, 1)], false, Shipped),
            (&[q(2, 2, 2, 2, 2, 0, 0)], false, Delivered),
            (&[q(2, 2, 2, 2, 2, 1, 0)], false, PartiallyReturned),
            (&[q(2, 2, 2, 2, 2, 2, 0)], false, Returned),
            (&[q(2, 0, 0, 0, 0, 0, 2)], false, Cancelled),
            (&[LineQuantities { ordered: 2, backordered: 2, ..LineQuantities::default() }], false, Backordered),
        ];
        for (lines, hold, expected) in cases {
            assert_eq!(order(lines, *hold).derive_status(), *expected, "{lines:?} hold={hold}");
        }
    }

    #[test]
    fn quantity_invariants_name_the_broken_rule() {
        assert!(q(2, 2, 2, 2, 2, 2, 0).check().is_ok());
        assert!(q(2, 2, 0, 0, 0, 0, 1).check().unwrap_err().contains("allocated"));
        assert!(q(2, 1, 2, 0, 0, 0, 0).check().unwrap_err().contains("released"));
        assert!(q(2, 2, 1, 2, 0, 0, 0).check().unwrap_err().contains("shipped"));
        assert!(q(2, 2, 2, 1, 2, 0, 0).check().unwrap_err().contains("delivered"));
        assert!(q(2, 2, 2, 2, 1, 2, 0).check().unwrap_err().contains("returned"));
        let over = LineQuantities { ordered: 2, allocated: 1, backordered: 2, ..LineQuantities::default() };
        assert!(over.check().unwrap_err().contains("backordered"));
        assert!(Quantity::new(0).is_err());
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(OrderStatus::parse("lost"), None);
    }
}
