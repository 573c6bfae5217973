//! Every event variant survives a JSON round trip, with `type` holding its dotted name.

use crate::support::*;
use crossdock_engine::{State, decide};
use crossdock_model::{
    Currency, Disposition, Event, LineMovement, Money, ReturnId, ReturnReason, ReturnRecord, Shipment, ShipmentId,
};

/// One of each event variant; the match keeps this list complete when a variant is added.
fn one_of_each() -> Vec<Event> {
    let order = match decide(&State::default(), &place_default(), now()).unwrap().pop() {
        Some(Event::OrderPlaced { order }) => order,
        other => panic!("expected order.placed, got {other:?}"),
    };
    let movement = LineMovement { line_id: line_id("L1"), location: loc("W1"), quantity: 2 };
    let shipment = Shipment {
        id: ShipmentId::new("S1").unwrap(),
        location: loc("W1"),
        carrier: "UPS".into(),
        service: None,
        tracking_number: Some("1Z".into()),
        lines: lines(&[("L1", 2)]),
        shipped_at: now(),
        delivered_at: None,
    };
    let record = ReturnRecord {
        id: crossdock_model::ReturnId::new("R1").unwrap(),
        location: loc("W2"),
        lines: return_lines(&[("L1", 1, Disposition::Resellable)]),
        received_at: now(),
        authorisation: None,
    };
    let (s, l, o) = (sku("SKU-A"), loc("W1"), order_id());
    let events = vec![
        Event::OrderPlaced { order },
        Event::OrderHeld { order_id: o.clone(), reason: "fraud".into() },
        Event::OrderHoldReleased { order_id: o.clone() },
        Event::OrderLinesCancelled {
            order_id: o.clone(),
            lines: lines(&[("L1", 1)]),
            released: vec![movement.clone()],
            reason: "r".into(),
        },
        Event::OrderLinesAllocated { order_id: o.clone(), allocations: vec![movement.clone()] },
        Event::OrderSourced {
            order_id: o.clone(),
            allocations: vec![movement.clone()],
            explanation: serde_json::json!({"reason": {"code": "cheapest_single_location"}}),
        },
        Event::OrderBackordered {
            order_id: o.clone(),
            lines: vec![crossdock_model::LineQuantity { line_id: movement.line_id.clone(), quantity: qty(1) }],
        },
        Event::OrderReleased { order_id: o.clone(), lines: vec![movement] },
        Event::ShipmentConfirmed { order_id: o.clone(), shipment },
        Event::DeliveryConfirmed {
            order_id: o.clone(),
            shipment_id: ShipmentId::new("S1").unwrap(),
            delivered_at: now(),
        },
        Event::ReturnRecorded { order_id: o.clone(), record },
        Event::OrderCancelRequested {
            order_id: o.clone(),
            request: crossdock_model::CancelRequest {
                id: 1,
                lines: vec![LineMovement { line_id: line_id("L1"), location: loc("W1"), quantity: 1 }],
                reason: "customer".into(),
                requested_at: now(),
                outcome: None,
            },
        },
        Event::OrderCancelAnswered {
            order_id: o.clone(),
            request_id: 1,
            outcome: crossdock_model::CancelOutcome::Refused,
            reason: Some("already shipped".into()),
        },
        Event::ReturnAuthorised {
            order_id: o.clone(),
            authorisation: crossdock_model::ReturnAuthorisation {
                id: crossdock_model::ReturnAuthorisationId::new("RMA-1").unwrap(),
                lines: vec![crossdock_model::AuthorisedLine {
                    line_id: line_id("L1"),
                    quantity: qty(1),
                    reason: ReturnReason::Defective,
                }],
                expected_location: Some(loc("S1")),
                authorised_at: now(),
                received: vec![0],
            },
        },
        Event::RefundDue {
            order_id: o.clone(),
            refund: crossdock_model::RefundDue {
                return_id: ReturnId::new("R1").unwrap(),
                authorisation: None,
                location: loc("S1"),
                lines: vec![],
                price: Money::new(1000, Currency::USD),
                tax: Money::new(60, Currency::USD),
                restocking_fee: Money::new(0, Currency::USD),
                total: Money::new(1060, Currency::USD),
            },
        },
        Event::AvailabilityChanged {
            channel: crossdock_model::ChannelId::new("web").unwrap(),
            sku: s.clone(),
            previous: 4,
            available: 3,
        },
        Event::InventoryReserved { sku: s.clone(), location: l.clone(), order_id: o.clone(), quantity: 2 },
        Event::InventoryReservationReleased { sku: s.clone(), location: l.clone(), order_id: o.clone(), quantity: 1 },
        Event::InventoryShipped { sku: s.clone(), location: l.clone(), order_id: o.clone(), quantity: 1 },
        Event::InventoryRestocked { sku: s.clone(), location: l.clone(), order_id: o, quantity: 1 },
        Event::InventoryAdjusted { sku: s.clone(), location: l.clone(), delta: -3, reason: "damaged".into() },
        Event::InventoryCounted { sku: s, location: l, counted: 7, previous: 9 },
        Event::LocationUpserted { location: location("W1", "Main DC") },
    ];
    for event in &events {
        match event {
            Event::OrderPlaced { .. }
            | Event::OrderHeld { .. }
            | Event::OrderHoldReleased { .. }
            | Event::OrderLinesCancelled { .. }
            | Event::OrderLinesAllocated { .. }
            | Event::OrderSourced { .. }
            | Event::OrderBackordered { .. }
            | Event::OrderReleased { .. }
            | Event::ShipmentConfirmed { .. }
            | Event::DeliveryConfirmed { .. }
            | Event::ReturnRecorded { .. }
            | Event::OrderCancelRequested { .. }
            | Event::OrderCancelAnswered { .. }
            | Event::ReturnAuthorised { .. }
            | Event::RefundDue { .. }
            | Event::AvailabilityChanged { .. }
            | Event::InventoryReserved { .. }
            | Event::InventoryReservationReleased { .. }
            | Event::InventoryShipped { .. }
            | Event::InventoryRestocked { .. }
            | Event::InventoryAdjusted { .. }
            | Event::InventoryCounted { .. }
            | Event::LocationUpserted { .. } => {}
        }
    }
    events
}

#[test]
fn every_event_round_trips_through_json() {
    let events = one_of_each();
    let mut names: Vec<&str> = events.iter().map(Event::type_name).collect();
    names.dedup();
    assert_eq!(names.len(), 23, "one event of each of the 23 variants");
    for event in events {
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], event.type_name());
        assert!(event.type_name().contains('.'));
        let back: Event = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, event, "{json}");
        let text = serde_json::to_string(&event).unwrap();
        assert_eq!(serde_json::from_str::<Event>(&text).unwrap(), event);
    }
}

#[test]
fn the_return_record_is_serialized_as_return() {
    let event = one_of_each().into_iter().find(|e| e.type_name() == "order.return_recorded").unwrap();
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(json["return"]["id"], "R1");
}
