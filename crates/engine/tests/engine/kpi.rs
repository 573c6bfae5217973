//! KPIs folded from hand-built event histories: cycle times, order accuracy, inventory accuracy, oversell,
//! and integration uptime and latency.

use crate::support::{address, line_id, loc, now, qty, sku};
use chrono::{DateTime, TimeDelta, Utc};
use crossdock_engine::kpi::{DeliverySample, KpiFold, Period, integration_kpis};
use crossdock_model::{
    CancelOutcome, ChannelId, Currency, Disposition, Event, ExternalId, LineMovement, LineQuantities, LineQuantity,
    Money, Order, OrderId, OrderLine, OrderStatus, ReturnId, ReturnLine, ReturnReason, ReturnRecord, Shipment,
    ShipmentId,
};

fn at(hours: i64) -> DateTime<Utc> {
    now() + TimeDelta::hours(hours)
}

fn placed(id: &str, lines: &[(&str, u32)]) -> Event {
    let order = Order {
        id: OrderId::new(id).unwrap(),
        channel: ChannelId::new("web").unwrap(),
        external_id: ExternalId::new(format!("X-{id}")).unwrap(),
        customer: None,
        ship_to: address(),
        bill_to: None,
        currency: Currency::USD,
        shipping: None,
        tax_exempt_certificate: None,
        tax_zip3: None,
        lines: lines
            .iter()
            .map(|(l, q)| OrderLine {
                id: line_id(l),
                sku: sku("SKU-A"),
                unit_price: Money::new(1000, Currency::USD),
                quantities: LineQuantities { ordered: *q, ..LineQuantities::default() },
                allocations: vec![],
            })
            .collect(),
        placed_at: now(),
        status: OrderStatus::Created,
        hold: None,
        shipments: vec![],
        returns: vec![],
        cancel_requests: vec![],
        return_authorisations: vec![],
        sourcing: Default::default(),
        version: 1,
        updated_at: now(),
    };
    Event::OrderPlaced { order: Box::new(order) }
}

fn shipped(order: &str, shipment: &str, hours: i64, lines: &[(&str, u32)]) -> Event {
    Event::ShipmentConfirmed {
        order_id: OrderId::new(order).unwrap(),
        shipment: Shipment {
            id: ShipmentId::new(shipment).unwrap(),
            location: loc("W1"),
            carrier: "UPS".into(),
            service: None,
            tracking_number: None,
            lines: lines.iter().map(|(l, q)| LineQuantity { line_id: line_id(l), quantity: qty(*q) }).collect(),
            shipped_at: at(hours),
            delivered_at: None,
        },
    }
}

fn delivered(order: &str, shipment: &str, hours: i64) -> Event {
    Event::DeliveryConfirmed {
        order_id: OrderId::new(order).unwrap(),
        shipment_id: ShipmentId::new(shipment).unwrap(),
        delivered_at: at(hours),
    }
}

fn fold(events: &[Event]) -> crossdock_engine::kpi::KpiReport {
    let mut fold = KpiFold::new();
    for event in events {
        fold.apply(event);
    }
    fold.report()
}

#[test]
fn cycle_times_count_only_orders_delivered_in_full() {
    let report = fold(&[
        placed("o-1", &[("L1", 2)]),
        shipped("o-1", "s-1", 4, &[("L1", 2)]),
        delivered("o-1", "s-1", 20),
        // Split: the second shipment arrives after 30 h.
        placed("o-2", &[("L1", 1), ("L2", 1)]),
        shipped("o-2", "s-2", 2, &[("L1", 1)]),
        shipped("o-2", "s-3", 10, &[("L2", 1)]),
        delivered("o-2", "s-2", 12),
        delivered("o-2", "s-3", 30),
        // Shipped, not delivered yet.
        placed("o-3", &[("L1", 1)]),
        shipped("o-3", "s-4", 1, &[("L1", 1)]),
        // Nothing shipped yet.
        placed("o-4", &[("L1", 1)]),
    ]);
    assert_eq!(report.orders_placed, 4);
    assert_eq!(report.orders_shipped, 3);
    assert_eq!(report.orders_delivered, 2);
    assert_eq!(report.placed_to_delivered.orders, 2);
    assert_eq!(report.placed_to_delivered.hours.unwrap().p50, 20.0);
    assert_eq!(report.placed_to_delivered.hours.unwrap().p99, 30.0);
    assert_eq!(report.placed_to_delivered.share_under_24h, Some(0.5));
    assert_eq!(report.placed_to_shipped.hours.unwrap().p99, 10.0);
    assert_eq!(report.order_accuracy, Some(1.0));
}

#[test]
fn cycle_times_are_none_until_an_order_completes_the_step() {
    let report = fold(&[placed("o-1", &[("L1", 1)]), shipped("o-1", "s-1", 3, &[("L1", 1)])]);
    assert_eq!(report.placed_to_delivered.orders, 0);
    assert_eq!(report.placed_to_delivered.hours, None, "no delivered order, no cycle time");
    assert_eq!(report.placed_to_delivered.share_under_24h, None);
    assert_eq!(report.placed_to_shipped.hours.map(|h| h.p50), Some(3.0));
    assert_eq!(fold(&[]).placed_to_shipped.hours, None);
}

#[test]
fn short_picks_and_wrong_item_returns_count_against_order_accuracy() {
    let short_pick = Event::OrderLinesCancelled {
        order_id: OrderId::new("o-2").unwrap(),
        lines: vec![LineQuantity { line_id: line_id("L1"), quantity: qty(1) }],
        released: vec![LineMovement { line_id: line_id("L1"), location: loc("W1"), quantity: 1 }],
        reason: "short pick".into(),
    };
    let wrong_item = Event::ReturnRecorded {
        order_id: OrderId::new("o-3").unwrap(),
        record: ReturnRecord {
            id: ReturnId::new("r-1").unwrap(),
            location: loc("S1"),
            lines: vec![ReturnLine {
                line_id: line_id("L1"),
                quantity: qty(1),
                reason: ReturnReason::WrongItem,
                disposition: Disposition::Resellable,
            }],
            received_at: at(40),
            authorisation: None,
        },
    };
    let customer_cancel = Event::OrderLinesCancelled {
        order_id: OrderId::new("o-4").unwrap(),
        lines: vec![LineQuantity { line_id: line_id("L1"), quantity: qty(1) }],
        released: vec![],
        reason: "customer asked".into(),
    };
    let report = fold(&[
        placed("o-1", &[("L1", 1)]),
        shipped("o-1", "s-1", 1, &[("L1", 1)]),
        delivered("o-1", "s-1", 5),
        placed("o-2", &[("L1", 2)]),
        recall_accepted("o-2"),
        short_pick,
        shipped("o-2", "s-2", 1, &[("L1", 1)]),
        delivered("o-2", "s-2", 5),
        placed("o-3", &[("L1", 1)]),
        shipped("o-3", "s-3", 1, &[("L1", 1)]),
        delivered("o-3", "s-3", 5),
        wrong_item,
        placed("o-4", &[("L1", 2)]),
        customer_cancel,
        shipped("o-4", "s-4", 1, &[("L1", 1)]),
        delivered("o-4", "s-4", 5),
        // Cancelled entirely: not in accuracy.
        placed("o-5", &[("L1", 1)]),
        Event::OrderLinesCancelled {
            order_id: OrderId::new("o-5").unwrap(),
            lines: vec![LineQuantity { line_id: line_id("L1"), quantity: qty(1) }],
            released: vec![],
            reason: "fraud".into(),
        },
    ]);
    assert_eq!(report.orders_delivered, 4);
    assert_eq!(report.orders_cancelled, 1);
    assert_eq!(report.order_accuracy, Some(0.5));
}

/// The warehouse accepted the order's open cancel request (recorded just before its cancellation).
fn recall_accepted(order: &str) -> Event {
    Event::OrderCancelAnswered {
        order_id: OrderId::new(order).unwrap(),
        request_id: 1,
        outcome: CancelOutcome::Accepted,
        reason: None,
    }
}

fn movement(line: &str, at: &str, quantity: u32) -> LineMovement {
    LineMovement { line_id: line_id(line), location: loc(at), quantity }
}

fn cancelled(order: &str, line: &str, quantity: u32, released: Vec<LineMovement>) -> Event {
    Event::OrderLinesCancelled {
        order_id: OrderId::new(order).unwrap(),
        lines: vec![LineQuantity { line_id: line_id(line), quantity: qty(quantity) }],
        released,
        reason: "customer asked".into(),
    }
}

#[test]
fn a_customer_cancel_of_allocated_units_not_yet_released_keeps_the_order_accurate() {
    let order = OrderId::new("o-1").unwrap();
    let report = fold(&[
        placed("o-1", &[("L1", 3)]),
        Event::OrderSourced {
            order_id: order.clone(),
            allocations: vec![movement("L1", "W1", 3)],
            explanation: serde_json::json!({}),
        },
        // The allocation's reservation is given back (`released`), but the units never reached the warehouse.
        cancelled("o-1", "L1", 1, vec![movement("L1", "W1", 1)]),
        Event::OrderReleased { order_id: order, lines: vec![movement("L1", "W1", 2)] },
        shipped("o-1", "s-1", 4, &[("L1", 2)]),
        delivered("o-1", "s-1", 20),
    ]);
    assert_eq!((report.orders_delivered, report.order_accuracy), (1, Some(1.0)));
}

#[test]
fn only_the_cancellation_answering_an_accepted_recall_counts_as_cancelled_after_release() {
    let report = fold(&[
        // Accepted, but everything had shipped: no cancellation follows; a later customer cancel is no recall.
        placed("o-1", &[("L1", 3)]),
        shipped("o-1", "s-1", 2, &[("L1", 2)]),
        recall_accepted("o-1"),
        delivered("o-1", "s-1", 20),
        cancelled("o-1", "L1", 1, vec![movement("L1", "W1", 1)]),
        // A recall of one released unit, accepted: a unit the warehouse had is not shipped.
        placed("o-2", &[("L1", 3)]),
        recall_accepted("o-2"),
        cancelled("o-2", "L1", 1, vec![movement("L1", "W1", 1)]),
        shipped("o-2", "s-2", 2, &[("L1", 2)]),
        delivered("o-2", "s-2", 20),
    ]);
    assert_eq!((report.orders_delivered, report.order_accuracy), (2, Some(0.5)));
}

#[test]
fn inventory_accuracy_uses_the_last_count_of_each_sku_location() {
    let count = |s: &str, at: &str, counted: i64, previous: i64| Event::InventoryCounted {
        sku: sku(s),
        location: loc(at),
        counted,
        previous,
    };
    let report = fold(&[
        count("SKU-A", "W1", 10, 12),
        count("SKU-A", "W1", 10, 10),
        count("SKU-B", "W1", 8, 10),
        count("SKU-C", "W2", 0, 0),
    ]);
    assert_eq!(report.sku_locations_counted, 3);
    assert_eq!(report.inventory_accuracy, Some(2.0 / 3.0));
    // Σ|hub − count| = 2 over Σ count = 18.
    let unit = report.inventory_unit_accuracy.unwrap();
    assert!((unit - (1.0 - 2.0 / 18.0)).abs() < 1e-12, "{unit}");
    assert_eq!(fold(&[]).inventory_accuracy, None);
}

#[test]
fn counts_near_the_limit_of_i64_do_not_overflow_the_report() {
    let count = |at: &str, counted: i64, previous: i64| Event::InventoryCounted {
        sku: sku("SKU-A"),
        location: loc(at),
        counted,
        previous,
    };
    let report = fold(&[count("W1", i64::MAX, 0), count("W2", i64::MAX, i64::MAX)]);
    assert_eq!((report.sku_locations_counted, report.inventory_accuracy), (2, Some(0.5)));
    // Σ|hub − count| = i64::MAX over Σ count = 2 · i64::MAX.
    let unit = report.inventory_unit_accuracy.unwrap();
    assert!((unit - 0.5).abs() < 1e-12, "{unit}");
    let adjust =
        |delta: i64| Event::InventoryAdjusted { sku: sku("SKU-A"), location: loc("W1"), delta, reason: "r".into() };
    assert_eq!(fold(&[adjust(i64::MAX), adjust(i64::MAX)]).oversold_units, 0);
}

#[test]
fn oversold_units_are_reservations_beyond_stock_on_hand() {
    let order = OrderId::new("o-1").unwrap();
    let reserve = |quantity: i64| Event::InventoryReserved {
        sku: sku("SKU-A"),
        location: loc("W1"),
        order_id: order.clone(),
        quantity,
    };
    let adjust = |delta: i64| Event::InventoryAdjusted {
        sku: sku("SKU-A"),
        location: loc("W1"),
        delta,
        reason: "receipt".into(),
    };
    assert_eq!(fold(&[adjust(5), reserve(3), reserve(2)]).oversold_units, 0);
    assert_eq!(fold(&[adjust(5), reserve(3), reserve(4)]).oversold_units, 2);
    // Stock lost after the promise is not an oversell by the hub, but a later promise on top of it is.
    assert_eq!(fold(&[adjust(5), reserve(5), adjust(-2), reserve(1)]).oversold_units, 1);
}

#[test]
fn uptime_is_the_share_of_minutes_without_a_failed_delivery() {
    let t0 = DateTime::from_timestamp(1_700_000_040, 0).unwrap(); // 40 s into a minute
    let sample = |minute: i64, ack_ms: Option<i64>, dead: bool| DeliverySample {
        system: "erp".into(),
        committed_at: t0 + TimeDelta::minutes(minute),
        acknowledged_at: ack_ms.map(|ms| t0 + TimeDelta::minutes(minute) + TimeDelta::milliseconds(ms)),
        dead_lettered: dead,
    };
    let samples = vec![
        sample(0, Some(10), false),
        sample(0, Some(30), false),
        sample(1, Some(20), false),
        sample(1, None, true),           // dead letter: minute 1 down
        sample(2, Some(600_000), false), // acknowledged after the 5 min budget: minute 2 down
        sample(3, Some(40), false),
        sample(9, None, false), // pending, still within budget at `now`: not judged
    ];
    let now = t0 + TimeDelta::minutes(10);
    let kpis = integration_kpis(&samples, &["erp".into(), "crm".into()], TimeDelta::minutes(5), now);
    assert_eq!(kpis.len(), 2);
    assert_eq!(kpis[0].name, "crm");
    assert_eq!(kpis[0].uptime, 1.0);
    let erp = &kpis[1];
    assert_eq!(erp.deliveries, 7);
    assert_eq!(erp.dead_letters, 1);
    // Windows 0..=9 → 10 minutes, 2 failed.
    assert!((erp.uptime - 0.8).abs() < 1e-12, "{}", erp.uptime);
    assert_eq!(erp.sync_latency_ms.unwrap().p50, 30.0);
    assert_eq!(erp.sync_latency_ms.unwrap().p99, 600_000.0);
}

#[test]
fn a_system_without_an_acknowledged_delivery_has_no_latency() {
    let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    let dead = DeliverySample { system: "erp".into(), committed_at: t0, acknowledged_at: None, dead_lettered: true };
    let kpis = integration_kpis(&[dead], &["crm".into()], TimeDelta::minutes(5), t0 + TimeDelta::minutes(1));
    let (crm, erp) = (&kpis[0], &kpis[1]);
    assert_eq!((crm.name.as_str(), crm.deliveries, crm.sync_latency_ms), ("crm", 0, None));
    assert_eq!(
        (erp.name.as_str(), erp.deliveries, erp.sync_latency_ms),
        ("erp", 1, None),
        "a dead letter has no latency"
    );
    assert_eq!(erp.uptime, 0.0);
}

/// `placed` with the order placed `hours` after the base time.
fn placed_after(id: &str, hours: i64, lines: &[(&str, u32)]) -> Event {
    let Event::OrderPlaced { mut order } = placed(id, lines) else { unreachable!("placed gives OrderPlaced") };
    order.placed_at = at(hours);
    Event::OrderPlaced { order }
}

#[test]
fn a_period_holds_the_orders_placed_in_it_whatever_happened_later() {
    let mut fold = KpiFold::new();
    let history = [
        // Placed before the period, delivered inside it: out.
        placed_after("o-1", -10, &[("L1", 1)]),
        shipped("o-1", "s-1", 1, &[("L1", 1)]),
        delivered("o-1", "s-1", 5),
        // Placed inside, delivered 50 h later, after the period ends: in.
        placed_after("o-2", 0, &[("L1", 1)]),
        shipped("o-2", "s-2", 2, &[("L1", 1)]),
        delivered("o-2", "s-2", 50),
        // Placed inside, delivered 4 h later: in.
        placed_after("o-3", 10, &[("L1", 1)]),
        shipped("o-3", "s-3", 12, &[("L1", 1)]),
        delivered("o-3", "s-3", 14),
        // Placed exactly at the end: out (half-open).
        placed_after("o-4", 24, &[("L1", 1)]),
    ];
    for event in &history {
        fold.apply_at(event, at(0));
    }
    let day = Period { from: Some(at(0)), to: Some(at(24)) };
    let report = fold.report_for(&day);
    assert_eq!(report.orders_placed, 2);
    assert_eq!(report.orders_delivered, 2);
    assert_eq!(report.placed_to_delivered.hours.unwrap().p50, 4.0);
    assert_eq!(report.placed_to_delivered.hours.unwrap().p99, 50.0);
    assert_eq!(report.placed_to_delivered.share_under_24h, Some(0.5));
    let mut sample = fold.delivered_cycle_hours(&day);
    sample.sort_by(f64::total_cmp);
    assert_eq!(sample, vec![4.0, 50.0]);
    // Open ends: everything from o-2 on, everything before o-2.
    assert_eq!(fold.report_for(&Period { from: Some(at(0)), to: None }).orders_placed, 3);
    assert_eq!(fold.report_for(&Period { from: None, to: Some(at(0)) }).orders_placed, 1);
    assert_eq!(fold.report_for(&Period::default()), fold.report());
    assert_eq!(fold.report().orders_placed, 4);
}

#[test]
fn a_period_holds_the_counts_and_oversells_recorded_in_it() {
    let count = |counted: i64, previous: i64| Event::InventoryCounted {
        sku: sku("SKU-A"),
        location: loc("W1"),
        counted,
        previous,
    };
    let reserve = |quantity: i64| Event::InventoryReserved {
        sku: sku("SKU-B"),
        location: loc("W1"),
        order_id: OrderId::new("o-1").unwrap(),
        quantity,
    };
    let mut fold = KpiFold::new();
    fold.apply_at(&count(10, 10), at(1)); // accurate, day one
    fold.apply_at(&reserve(2), at(2)); // 2 oversold, day one (no stock)
    fold.apply_at(&count(6, 10), at(30)); // off by 4, day two
    fold.apply_at(&reserve(1), at(31)); // 1 more oversold, day two
    let day_one = fold.report_for(&Period { from: Some(at(0)), to: Some(at(24)) });
    assert_eq!((day_one.sku_locations_counted, day_one.inventory_accuracy), (1, Some(1.0)));
    assert_eq!(day_one.oversold_units, 2);
    let day_two = fold.report_for(&Period { from: Some(at(24)), to: Some(at(48)) });
    assert_eq!((day_two.sku_locations_counted, day_two.inventory_accuracy), (1, Some(0.0)));
    let unit = day_two.inventory_unit_accuracy.unwrap();
    assert!((unit - (1.0 - 4.0 / 6.0)).abs() < 1e-12, "{unit}");
    assert_eq!(day_two.oversold_units, 1);
    let all = fold.report();
    assert_eq!((all.inventory_accuracy, all.oversold_units), (Some(0.0), 3), "the last count overall");
    let before = fold.report_for(&Period { from: None, to: Some(at(0)) });
    assert_eq!((before.sku_locations_counted, before.inventory_accuracy, before.oversold_units), (0, None, 0));
    // Fed without a record time: only in an unbounded period.
    let mut untimed = KpiFold::new();
    untimed.apply(&count(3, 3));
    assert_eq!(untimed.report().sku_locations_counted, 1);
    assert_eq!(untimed.report_for(&Period { from: Some(at(0)), to: None }).sku_locations_counted, 0);
}

/// The KPIs of the events `decide` records for `commands` (all accepted), applied to one world.
fn fold_decided(commands: &[crossdock_model::Command]) -> crossdock_engine::kpi::KpiReport {
    let mut world = crate::support::World::default();
    let mut fold = KpiFold::new();
    for command in commands {
        let events = world.apply(command).unwrap_or_else(|e| panic!("{} refused: {e:?}", command.type_name()));
        events.iter().for_each(|e| fold.apply(e));
    }
    fold.report()
}

#[test]
fn order_accuracy_of_decided_histories_counts_only_recalls_of_released_units() {
    use crate::support::{adjust, allocate, answer_cancel, cancel, cancel_at, deliver, place, release, ship};
    let before_release = fold_decided(&[
        adjust("SKU-A", "W1", 10),
        place(&[("L1", "SKU-A", 3)]),
        allocate(&[("L1", "W1", 3)]),
        cancel(Some(&[("L1", 1)])),
        release(None),
        ship("s-1", "W1", &[("L1", 2)]),
        deliver("s-1"),
    ]);
    assert_eq!((before_release.orders_delivered, before_release.order_accuracy), (1, Some(1.0)));
    let recalled = fold_decided(&[
        adjust("SKU-A", "W1", 10),
        place(&[("L1", "SKU-A", 3)]),
        allocate(&[("L1", "W1", 3)]),
        release(None),
        cancel_at("W1", Some(&[("L1", 1)])),
        answer_cancel(true),
        ship("s-1", "W1", &[("L1", 2)]),
        deliver("s-1"),
    ]);
    assert_eq!((recalled.orders_delivered, recalled.order_accuracy), (1, Some(0.0)));
}
