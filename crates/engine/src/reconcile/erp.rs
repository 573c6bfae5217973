//! Comparing an ERP export with the hub's orders: every order one side has and the other lacks, every
//! total that differs (goods ordered, shipping, cancelled, invoiced, credited, tax), duplicates in the
//! export and currency mismatches, each with the likely reason. Orders placed after the export was made
//! are not expected in it.

use super::export::{ErpExport, ErpRecord};
use crate::tax::order_tax;
use crossdock_model::{LineQuantities, Order};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// What kind of difference a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// The hub has the order; the export does not.
    MissingInErp,
    /// The export has an order the hub does not.
    MissingInHub,
    /// The export has the order more than once.
    DuplicateInExport,
    CurrencyDiffers,
    AmountDiffers,
}

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErpFinding {
    pub kind: FindingKind,
    pub order_id: String,
    /// For `amount_differs`: which total (`invoiced_minor`, say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The hub's value, as text (an amount in minor units, or a currency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hub: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub erp: Option<String>,
    /// Why the two sides likely differ.
    pub reason: String,
}

/// The result of a comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErpReconciliation {
    /// Hub orders compared (placed in the period and before the export was made).
    pub hub_orders: u64,
    pub erp_records: u64,
    /// Orders on both sides with every compared total equal.
    pub matched: u64,
    pub findings: Vec<ErpFinding>,
}

/// The totals the hub holds for an order, in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HubFigures {
    pub ordered: i64,
    pub shipping: i64,
    pub cancelled: i64,
    pub invoiced: i64,
    pub credited: i64,
    /// `None` for an order the US tax table does not cover.
    pub tax: Option<i64>,
}

impl HubFigures {
    pub fn of(order: &Order) -> Self {
        let value = |units: fn(&LineQuantities) -> u32| {
            order.lines.iter().fold(0i64, |sum, l| {
                sum.saturating_add(l.unit_price.amount_minor.saturating_mul(i64::from(units(&l.quantities))))
            })
        };
        Self {
            ordered: value(|q| q.ordered),
            shipping: order.shipping.map_or(0, |m| m.amount_minor),
            cancelled: value(|q| q.cancelled),
            invoiced: value(|q| q.shipped),
            credited: value(|q| q.returned),
            tax: order_tax(order).ok().map(|t| t.total_tax.amount_minor),
        }
    }
}

/// The reason given when a total differs: which side is higher says what was likely missed.
fn amount_reason(field: &str, hub: i64, erp: i64) -> String {
    let more = hub > erp;
    let text = match (field, more) {
        ("ordered_minor", _) => {
            "the order's goods total differs: a line or price was changed or mapped differently in one system"
        }
        ("shipping_minor", _) => "the shipping charge differs: it was changed or mapped differently in one system",
        ("cancelled_minor", true) => {
            "crossdock has cancellations the ERP did not book (an order.lines_cancelled delivery failed or is pending)"
        }
        ("cancelled_minor", false) => {
            "the ERP booked cancellations crossdock does not have (cancelled in the ERP only)"
        }
        ("invoiced_minor", true) => {
            "shipments crossdock confirmed are not invoiced in the ERP (an order.shipment_confirmed delivery failed or is pending)"
        }
        ("invoiced_minor", false) => {
            "the ERP invoiced more than crossdock shipped (invoiced twice, or for a shipment crossdock does not have)"
        }
        ("credited_minor", true) => {
            "returns crossdock recorded are not credited in the ERP (an order.return_recorded delivery failed or is pending)"
        }
        ("credited_minor", false) => {
            "the ERP credited more than was returned to crossdock (credited twice, or a return crossdock does not have)"
        }
        ("tax_minor", _) => {
            "the sales tax differs: the ERP taxed with other rates, another destination or without the exemption"
        }
        _ => "the totals differ",
    };
    text.to_string()
}

/// Compares `export` with the hub's `orders` of the period being reconciled (the caller selects them, e.g.
/// with [`crate::period::Period::contains`]); orders placed after the export was made are left out.
pub fn reconcile_erp<'a>(orders: impl IntoIterator<Item = &'a Order>, export: &ErpExport) -> ErpReconciliation {
    let cutoff = export.generated_at;
    let hub: BTreeMap<&str, &Order> =
        orders.into_iter().filter(|o| cutoff.is_none_or(|c| o.placed_at <= c)).map(|o| (o.id.as_str(), o)).collect();
    let mut by_id: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, r) in export.records.iter().enumerate() {
        by_id.entry(r.order_id.as_str()).or_default().push(i);
    }
    let mut findings = Vec::new();
    let mut matched = 0u64;
    let finding = |kind, order_id: &str, reason: String| ErpFinding {
        kind,
        order_id: order_id.to_string(),
        field: None,
        hub: None,
        erp: None,
        reason,
    };
    for (id, order) in &hub {
        let Some(rows) = by_id.get(id) else {
            findings.push(finding(
                FindingKind::MissingInErp,
                id,
                format!(
                    "the ERP has no record of the order placed at {}: its order.placed delivery failed or is pending (see the dead letters)",
                    order.placed_at.to_rfc3339()
                ),
            ));
            continue;
        };
        if rows.len() > 1 {
            let origins: Vec<&str> = rows.iter().map(|i| export.origins.get(*i).map_or("?", String::as_str)).collect();
            findings.push(finding(
                FindingKind::DuplicateInExport,
                id,
                format!(
                    "the export has the order {} times ({}): booked twice in the ERP",
                    rows.len(),
                    origins.join(", ")
                ),
            ));
        }
        let before = findings.len();
        compare(order, &export.records[rows[0]], &mut findings);
        if findings.len() == before && rows.len() == 1 {
            matched += 1;
        }
    }
    for (i, r) in export.records.iter().enumerate() {
        let first = by_id.get(r.order_id.as_str()).and_then(|rows| rows.first()) == Some(&i);
        if first && !hub.contains_key(r.order_id.as_str()) {
            let document = r.document_number.as_deref().map(|d| format!(" (document {d})")).unwrap_or_default();
            findings.push(finding(
                FindingKind::MissingInHub,
                &r.order_id,
                format!("the ERP has the order{document}, which crossdock does not have in the period: entered in the ERP directly, or placed outside the period"),
            ));
        }
    }
    findings.sort_by(|a, b| (a.kind, &a.order_id, &a.field).cmp(&(b.kind, &b.order_id, &b.field)));
    ErpReconciliation { hub_orders: hub.len() as u64, erp_records: export.records.len() as u64, matched, findings }
}

/// Pushes a finding for each compared total and the currency where the record differs from the order.
fn compare(order: &Order, record: &ErpRecord, findings: &mut Vec<ErpFinding>) {
    if let Some(currency) = record.currency.as_deref()
        && !currency.eq_ignore_ascii_case(&order.currency.to_string())
    {
        findings.push(ErpFinding {
            kind: FindingKind::CurrencyDiffers,
            order_id: order.id.to_string(),
            field: Some("currency".into()),
            hub: Some(order.currency.to_string()),
            erp: Some(currency.to_string()),
            reason: "the order is in another currency in the ERP: mapped wrongly, so no amount can be compared".into(),
        });
        return;
    }
    let figures = HubFigures::of(order);
    let pairs = [
        ("ordered_minor", Some(figures.ordered), record.ordered_minor),
        ("shipping_minor", Some(figures.shipping), record.shipping_minor),
        ("cancelled_minor", Some(figures.cancelled), record.cancelled_minor),
        ("invoiced_minor", Some(figures.invoiced), record.invoiced_minor),
        ("credited_minor", Some(figures.credited), record.credited_minor),
        ("tax_minor", figures.tax, record.tax_minor),
    ];
    for (field, hub, erp) in pairs {
        let Some(erp) = erp else { continue };
        let hub = hub.unwrap_or(0);
        if hub != erp {
            findings.push(ErpFinding {
                kind: FindingKind::AmountDiffers,
                order_id: order.id.to_string(),
                field: Some(field.into()),
                hub: Some(hub.to_string()),
                erp: Some(erp.to_string()),
                reason: amount_reason(field, hub, erp),
            });
        }
    }
}
