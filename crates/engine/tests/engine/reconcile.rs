//! Reconciliation: an ERP export generated from the hub's own orders, with planted differences, reports
//! every planted difference and nothing else; a WMS count snapshot yields its adjustments and accuracy.

use crate::support::{World, loc, place, sku};
use crossdock_engine::period::Period;
use crossdock_engine::reconcile::{
    ErpExport, ErpRecord, FindingKind, HubFigures, SnapshotLine, reconcile_erp, reconcile_snapshot,
};
use crossdock_model::{Command, InventoryPosition, Money, Order, OrderId};
use std::collections::BTreeSet;

/// A small deterministic generator, so the test is the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

/// `count` orders with varied prices, shipping and quantities shipped, cancelled and returned.
fn hub_orders(count: usize) -> Vec<Order> {
    let world = World::with(&[place(&[("L1", "SKU-A", 4), ("L2", "SKU-B", 3)])]);
    let mut rng = Lcg(42);
    (0..count)
        .map(|i| {
            let mut order = world.order().clone();
            order.id = OrderId::new(format!("o-{i:04}")).unwrap();
            order.placed_at = format!("2026-03-{:02}T10:00:00Z", 1 + i % 28).parse().unwrap();
            order.shipping = Some(Money::new(300 + rng.next(900) as i64, order.currency));
            for line in &mut order.lines {
                line.unit_price = Money::new(100 + rng.next(10_000) as i64, order.currency);
                let q = &mut line.quantities;
                q.cancelled = rng.next(2) as u32;
                q.shipped = rng.next(u64::from(q.ordered - q.cancelled) + 1) as u32;
                q.delivered = q.shipped;
                q.returned = rng.next(u64::from(q.delivered) + 1) as u32;
            }
            order
        })
        .collect()
}

/// The export an ERP in step with the hub would make.
fn exact_export(orders: &[Order]) -> ErpExport {
    let records: Vec<ErpRecord> = orders
        .iter()
        .map(|o| {
            let f = HubFigures::of(o);
            ErpRecord {
                order_id: o.id.to_string(),
                document_number: Some(format!("SO-{}", o.id)),
                currency: Some(o.currency.to_string()),
                ordered_minor: Some(f.ordered),
                shipping_minor: Some(f.shipping),
                cancelled_minor: Some(f.cancelled),
                invoiced_minor: Some(f.invoiced),
                credited_minor: Some(f.credited),
                tax_minor: f.tax,
            }
        })
        .collect();
    let origins = (0..records.len()).map(|i| format!("/{i}")).collect();
    ErpExport { generated_at: None, records, origins }
}

type Planted = BTreeSet<(FindingKind, String, Option<String>)>;

fn plant(set: &mut Planted, kind: FindingKind, id: &str, field: Option<&str>) {
    set.insert((kind, id.to_string(), field.map(str::to_string)));
}

#[test]
fn every_planted_difference_is_reported_and_nothing_else() {
    let orders = hub_orders(300);
    let in_step = reconcile_erp(&orders, &exact_export(&orders));
    assert_eq!(in_step.findings, [], "an export in step with the hub has no findings");
    assert_eq!(in_step.matched, 300);

    let mut export = exact_export(&orders);
    let mut planted = Planted::new();
    let record = |export: &mut ErpExport, id: &str| -> usize {
        export.records.iter().position(|r| r.order_id == id).expect("the record is in the export")
    };
    // Missing in the ERP: five orders removed.
    for id in ["o-0003", "o-0050", "o-0101", "o-0200", "o-0299"] {
        let i = record(&mut export, id);
        export.records.remove(i);
        export.origins.remove(i);
        plant(&mut planted, FindingKind::MissingInErp, id, None);
    }
    // Missing in the hub: three orders only the ERP has.
    for id in ["x-1", "x-2", "x-3"] {
        export.records.push(ErpRecord { order_id: id.into(), invoiced_minor: Some(100), ..ErpRecord::default() });
        export.origins.push("planted".into());
        plant(&mut planted, FindingKind::MissingInHub, id, None);
    }
    // Totals changed: invoiced up and down, shipping, credited, cancelled, tax.
    for (id, field, delta) in [
        ("o-0010", "invoiced_minor", 1),
        ("o-0011", "invoiced_minor", -250),
        ("o-0012", "shipping_minor", 100),
        ("o-0013", "credited_minor", -1),
        ("o-0014", "cancelled_minor", 999),
        ("o-0015", "tax_minor", 3),
        ("o-0016", "ordered_minor", -10),
    ] {
        let i = record(&mut export, id);
        let r = &mut export.records[i];
        let slot = match field {
            "invoiced_minor" => &mut r.invoiced_minor,
            "shipping_minor" => &mut r.shipping_minor,
            "credited_minor" => &mut r.credited_minor,
            "cancelled_minor" => &mut r.cancelled_minor,
            "tax_minor" => &mut r.tax_minor,
            _ => &mut r.ordered_minor,
        };
        *slot = slot.map(|v| v + delta);
        plant(&mut planted, FindingKind::AmountDiffers, id, Some(field));
    }
    // Two orders twice, one in another currency.
    for id in ["o-0020", "o-0021"] {
        let i = record(&mut export, id);
        export.records.push(export.records[i].clone());
        export.origins.push("dup".into());
        plant(&mut planted, FindingKind::DuplicateInExport, id, None);
    }
    let i = record(&mut export, "o-0030");
    export.records[i].currency = Some("EUR".into());
    plant(&mut planted, FindingKind::CurrencyDiffers, "o-0030", Some("currency"));
    // An absent total is not compared.
    let i = record(&mut export, "o-0040");
    export.records[i].invoiced_minor = None;

    let report = reconcile_erp(&orders, &export);
    let found: Planted = report.findings.iter().map(|f| (f.kind, f.order_id.clone(), f.field.clone())).collect();
    assert_eq!(found, planted);
    assert_eq!(report.findings.len(), planted.len(), "one finding per planted difference");
    assert!(report.findings.iter().all(|f| !f.reason.is_empty()));
    let invoiced_low = report.findings.iter().find(|f| f.order_id == "o-0011").unwrap();
    assert!(invoiced_low.reason.contains("not invoiced in the ERP"), "{}", invoiced_low.reason);
    // 300 orders − 5 missing − 7 changed − 2 duplicated − 1 other currency.
    assert_eq!(report.matched, 285);
    assert_eq!(report.hub_orders, 300);
}

#[test]
fn the_period_and_the_exports_date_bound_what_is_expected() {
    let orders = hub_orders(60);
    let mut export = exact_export(&orders);
    // The ERP's export was made on 10 March: later orders are not expected in it.
    export.generated_at = Some("2026-03-10T23:59:59Z".parse().unwrap());
    let cutoff = export.generated_at.unwrap();
    export.records.retain(|r| orders.iter().any(|o| o.id.as_str() == r.order_id && o.placed_at <= cutoff));
    let report = reconcile_erp(&orders, &export);
    assert_eq!(report.findings, []);
    // In a period of 1–5 March, the export's later orders are the ERP's alone.
    let march =
        Period::new(Some("2026-03-01T00:00:00Z".parse().unwrap()), Some("2026-03-06T00:00:00Z".parse().unwrap()))
            .unwrap();
    let in_march: Vec<_> = orders.iter().filter(|o| march.contains(o.placed_at)).collect();
    let report = reconcile_erp(in_march, &export);
    assert!(report.findings.iter().all(|f| f.kind == FindingKind::MissingInHub));
    let expected = export.records.len() - report.hub_orders as usize;
    assert_eq!(report.findings.len(), expected);
}

fn position(s: &str, l: &str, on_hand: i64) -> InventoryPosition {
    InventoryPosition {
        sku: sku(s),
        location: loc(l),
        on_hand,
        reserved: 0,
        safety_stock: 0,
        in_transit: 0,
        version: 1,
        updated_at: crate::support::now(),
    }
}

#[test]
fn a_count_snapshot_yields_its_adjustments_and_accuracy() {
    let positions =
        [position("A", "wh", 10), position("B", "wh", 5), position("C", "wh", 3), position("A", "store", 99)];
    let counts = [
        SnapshotLine { sku: sku("A"), counted: 10 },
        SnapshotLine { sku: sku("B"), counted: 7 },
        SnapshotLine { sku: sku("D"), counted: 2 },
    ];
    let (commands, report) = reconcile_snapshot(&loc("wh"), &positions, &counts, true).unwrap();
    // A matches; B +2; D new (+2); C absent from a complete snapshot counts as 0 (−3).
    assert_eq!(commands.len(), 4);
    assert!(commands.iter().all(|c| matches!(c, Command::CountInventory { location, .. } if location == &loc("wh"))));
    let adjusted: Vec<(String, i64, bool)> =
        report.adjustments.iter().map(|a| (a.sku.to_string(), a.difference, a.absent_from_snapshot)).collect();
    assert_eq!(adjusted, [("B".into(), 2, false), ("C".into(), -3, true), ("D".into(), 2, false)]);
    assert_eq!((report.skus, report.matched), (4, 1));
    assert_eq!(report.sku_accuracy, Some(0.25));
    // Σ|hub − count| = 0 + 2 + 3 + 2 = 7 over Σ count = 10 + 7 + 0 + 2 = 19.
    assert!((report.unit_accuracy.unwrap() - (1.0 - 7.0 / 19.0)).abs() < 1e-12);
    // A partial snapshot leaves C alone.
    let (commands, report) = reconcile_snapshot(&loc("wh"), &positions, &counts, false).unwrap();
    assert_eq!((commands.len(), report.skus), (3, 3));
}

#[test]
fn a_bad_snapshot_is_refused_whole_with_a_pointer() {
    let counts = [SnapshotLine { sku: sku("A"), counted: 1 }, SnapshotLine { sku: sku("A"), counted: 2 }];
    let err = reconcile_snapshot(&loc("wh"), &[], &counts, true).unwrap_err();
    assert_eq!(err.pointer(), "/counts/1/sku");
    assert_eq!(err.to_string(), "/counts/1/sku: A is counted twice (first at /counts/0)");
    let counts = [SnapshotLine { sku: sku("A"), counted: -1 }];
    assert_eq!(reconcile_snapshot(&loc("wh"), &[], &counts, true).unwrap_err().pointer(), "/counts/0/counted");
}
