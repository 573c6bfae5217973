//! The shipped mapping library (`mappings/*.jq`): every mapping against its fixtures, PlaceOrder outputs
//! against the canonical model, event inputs against `RecordedEvent`, and money conversion edge cases.

use crossdock_connect::mapping::{Limits, Mapping, MappingError, map_test};
use crossdock_model::{PlaceOrder, RecordedEvent};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn library() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("mappings")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every mapping with its fixture cases: (mapping, [(input, expected output)]).
fn cases() -> Vec<(PathBuf, Vec<(PathBuf, PathBuf)>)> {
    let mut mappings: Vec<PathBuf> = std::fs::read_dir(library())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jq"))
        .collect();
    mappings.sort();
    mappings
        .into_iter()
        .map(|mapping| {
            let stem = mapping.file_stem().unwrap().to_str().unwrap().to_string();
            let folder = library().join("fixtures").join(&stem);
            let mut inputs: Vec<PathBuf> = std::fs::read_dir(&folder)
                .unwrap_or_else(|e| panic!("{stem} has no fixtures folder {}: {e}", folder.display()))
                .map(|e| e.unwrap().path())
                .filter(|p| p.to_str().unwrap().ends_with(".input.json"))
                .collect();
            inputs.sort();
            assert!(!inputs.is_empty(), "{stem} has no fixture");
            let pairs = inputs
                .into_iter()
                .map(|input| {
                    let output = PathBuf::from(input.to_str().unwrap().replace(".input.json", ".output.json"));
                    assert!(output.exists(), "{} has no expected output", input.display());
                    (input, output)
                })
                .collect();
            (mapping, pairs)
        })
        .collect()
}

fn mapping(name: &str) -> Mapping {
    Mapping::from_file(&library().join(format!("{name}.jq"))).unwrap()
}

#[test]
fn every_mapping_produces_its_expected_outputs() {
    let all = cases();
    let names: Vec<_> = all.iter().map(|(m, _)| m.file_stem().unwrap().to_str().unwrap().to_string()).collect();
    assert_eq!(
        names,
        [
            "event_to_crm_timeline",
            "event_to_erp_sales_order",
            "event_to_wms_release",
            "shopify_order_to_place_order",
            "woocommerce_order_to_place_order",
        ]
    );
    for (mapping, pairs) in all {
        for (input, output) in pairs {
            let report = map_test(&mapping, &input, Some(&output)).unwrap();
            let shown: Vec<String> = report.mismatches.iter().map(ToString::to_string).collect();
            assert!(report.passed(), "{} on {}:\n{}", mapping.display(), input.display(), shown.join("\n"));
            assert_eq!(report.outputs.len(), 1, "{}", input.display());
        }
    }
}

#[test]
fn place_order_outputs_are_canonical_commands() {
    for (mapping, pairs) in cases().into_iter().filter(|(m, _)| m.to_str().unwrap().ends_with("_to_place_order.jq")) {
        for (_, output) in pairs {
            let command: PlaceOrder = serde_json::from_value(read_json(&output))
                .unwrap_or_else(|e| panic!("{} output is not a PlaceOrder: {e}", mapping.display()));
            assert!(command.ship_to.validate().is_ok(), "{}", output.display());
            assert!(!command.lines.is_empty());
            assert!(command.lines.iter().all(|l| l.unit_price.currency == command.currency));
        }
    }
}

#[test]
fn event_inputs_are_recorded_events_and_envelopes_map_alike() {
    for (mapping_path, pairs) in
        cases().into_iter().filter(|(m, _)| m.file_stem().unwrap().to_str().unwrap().starts_with("event_"))
    {
        let m = Mapping::from_file(&mapping_path).unwrap();
        for (input, _) in pairs {
            let recorded = read_json(&input);
            let event: RecordedEvent = serde_json::from_value(recorded.clone())
                .unwrap_or_else(|e| panic!("{} is not a RecordedEvent: {e}", input.display()));
            assert_eq!(event.event_type, event.payload.type_name());
            // The dispatcher's envelope carries the same event without the idempotency key.
            let envelope = json!({
                "type": event.event_type, "seq": event.seq, "aggregate_kind": event.aggregate_kind.as_str(),
                "aggregate_id": event.aggregate_id, "version": event.version, "schema_version": event.schema_version,
                "recorded_at": recorded["recorded_at"], "data": recorded["payload"],
            });
            let mut from_log = m.run_one(recorded).unwrap();
            let from_envelope = m.run_one(envelope).unwrap();
            for parent in ["source", "reference"] {
                if let Some(object) = from_log.get_mut(parent).and_then(Value::as_object_mut) {
                    object.remove("idempotency_key");
                }
            }
            assert_eq!(from_log, from_envelope, "{}", input.display());
        }
    }
}

fn shopify_with_price(price: &str, currency: &str) -> Result<Value, MappingError> {
    let mut order = read_json(&library().join("fixtures/shopify_order_to_place_order/usd_order.input.json"));
    order["currency"] = json!(currency);
    order["line_items"] = json!([order["line_items"][0]]);
    order["line_items"][0]["price"] = json!(price);
    mapping("shopify_order_to_place_order")
        .run_one(order)
        .map(|out| out["lines"][0]["unit_price"]["amount_minor"].clone())
}

#[test]
fn decimal_prices_become_exact_minor_units() {
    for (price, currency, minor) in [
        ("12.30", "USD", 1230i64),
        ("12.3", "USD", 1230),
        ("12", "USD", 1200),
        ("0.07", "USD", 7),
        ("19.99", "USD", 1999),
        ("0.29", "USD", 29),
        ("1.005", "KWD", 1005),
        ("1200.00", "JPY", 1200),
        ("99999999999.99", "USD", 9999999999999),
        ("-1.50", "USD", -150),
    ] {
        assert_eq!(shopify_with_price(price, currency).unwrap(), json!(minor), "{price} {currency}");
    }
    for (price, currency, message) in [
        ("12.345", "USD", "amount 12.345 has more decimals than its currency"),
        ("1200.5", "JPY", "amount 1200.5 has more decimals than its currency"),
        ("1e3", "USD", "amount \"1e3\" is not a decimal number"),
        ("12,30", "USD", "amount \"12,30\" is not a decimal number"),
        ("", "USD", "amount \"\" is not a decimal number"),
    ] {
        let e = shopify_with_price(price, currency).unwrap_err();
        assert!(e.to_string().ends_with(message), "{price}: {e}");
    }
}

#[test]
fn mappings_refuse_what_they_cannot_map() {
    let mut order = read_json(&library().join("fixtures/shopify_order_to_place_order/usd_order.input.json"));
    order["line_items"][0]["sku"] = Value::Null;
    order["line_items"][0]["variant_id"] = Value::Null;
    let e = mapping("shopify_order_to_place_order").run_one(order).unwrap_err().to_string();
    assert!(e.ends_with("line item 14501234567890 has neither a sku nor a variant"), "{e}");

    let released = read_json(&library().join("fixtures/event_to_wms_release/order_released.input.json"));
    let e = mapping("event_to_erp_sales_order").run(released).unwrap_err().to_string();
    assert!(e.ends_with("expected an order.placed event, got \"order.released\""), "{e}");
    let counted = json!({"event_type": "inventory.counted", "seq": 9, "recorded_at": "2025-01-01T00:00:00Z",
        "payload": {"type": "inventory.counted", "sku": "A", "location": "dc", "counted": 3, "previous": 4}});
    assert_eq!(mapping("event_to_crm_timeline").run(counted).unwrap(), Vec::<Value>::new(), "nothing to send");
}

#[test]
fn library_mappings_stay_far_within_the_step_budget() {
    let tight = Limits { max_steps: Limits::default().max_steps / 20, ..Limits::default() };
    for (mapping_path, pairs) in cases() {
        let m = Mapping::from_file(&mapping_path).unwrap().with_limits(tight);
        for (input, _) in pairs {
            m.run(read_json(&input)).unwrap_or_else(|e| panic!("{}: {e}", input.display()));
        }
    }
}

#[test]
fn map_test_reports_where_the_output_differs() {
    let dir = tempfile::tempdir().unwrap();
    let expected = dir.path().join("expected.json");
    let mut wrong = read_json(&library().join("fixtures/event_to_wms_release/order_released.output.json"));
    wrong["total_units"] = json!(7);
    wrong["warehouses"][0]["warehouse"] = json!("nyc-dc");
    wrong.as_object_mut().unwrap().remove("message_type");
    wrong["extra"] = json!(true);
    std::fs::write(&expected, wrong.to_string()).unwrap();
    let report = map_test(
        &library().join("event_to_wms_release.jq"),
        &library().join("fixtures/event_to_wms_release/order_released.input.json"),
        Some(&expected),
    )
    .unwrap();
    assert!(!report.passed());
    let shown: Vec<String> = report.mismatches.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "/extra: expected true, missing",
            "/total_units: expected 7, got 6",
            "/warehouses/0/warehouse: expected \"nyc-dc\", got \"nj-3pl\"",
            "/message_type: unexpected \"order_release\"",
        ]
    );

    let without = map_test(
        &library().join("event_to_wms_release.jq"),
        &library().join("fixtures/event_to_wms_release/order_released.input.json"),
        None,
    )
    .unwrap();
    assert!(!without.passed() && without.mismatches.is_empty() && without.expected.is_none());
    assert_eq!(without.actual()["total_units"], json!(6));

    let missing = map_test(&dir.path().join("nope.jq"), &expected, None).unwrap_err().to_string();
    assert!(missing.contains("nope.jq: cannot read the mapping"), "{missing}");
    std::fs::write(dir.path().join("bad.json"), "{").unwrap();
    let bad = map_test(&library().join("event_to_wms_release.jq"), &dir.path().join("bad.json"), None).unwrap_err();
    assert!(bad.to_string().contains("bad.json: not valid JSON: EOF while parsing"), "{bad}");
}
