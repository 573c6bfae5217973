//! `crossdock edi from-canonical` and `crossdock edi validate` on the real binary: each outbound set
//! written from canonical JSON for a configured partner parses back with crossdock_edi and validates
//! strictly; the 810 carries the ship-to state's sales tax in TXI and the TDS total; validate exits
//! 0/1/2 and prints one JSON object per issue with --json.

use crossdock_edi::{Document, Mode, parse, validate_with_schemas};
use crossdock_engine::tax::{TaxInput, TaxLineInput, compute_tax};
use crossdock_model::{Currency, LineId, Money};
mod support;

use std::path::Path;
use support::{run, text};

const CONFIG: &str = r#"
[edi]
local = { isa_qualifier = "ZZ", isa_id = "CROSSDOCK", gs_id = "CROSSDOCK" }

[[edi.partners]]
id = "acme"
isa_qualifier = "01"
isa_id = "123456789"
gs_id = "ACMEBUYER"
version = "004010"
"#;

fn usd(minor: i64) -> serde_json::Value {
    serde_json::json!({ "amount_minor": minor, "currency": "USD" })
}

fn quantities(ordered: u32, shipped: u32) -> serde_json::Value {
    serde_json::json!({ "ordered": ordered, "allocated": ordered, "released": ordered, "shipped": shipped,
        "delivered": 0, "returned": 0, "cancelled": 0 })
}

/// An order shipped to Columbus, OH: 10 × 9.25 and 4 × 13.79, 12.50 shipping, one shipment.
fn order_json() -> serde_json::Value {
    serde_json::json!({
        "id": "edi-acme-PO-1001", "channel": "edi:acme", "external_id": "PO-1001",
        "ship_to": { "name": "ACME DC 7", "line1": "4100 Industrial Pkwy", "line2": "Dock 3", "city": "Columbus",
            "region": "OH", "postal_code": "43215", "country": "US" },
        "currency": "USD", "shipping": usd(1250),
        "lines": [
            { "id": "1", "sku": "WIDGET-BLUE", "unit_price": usd(925), "quantities": quantities(10, 10),
              "allocations": [{ "location": "dc-east", "allocated": 10, "released": 10, "shipped": 10 }] },
            { "id": "2", "sku": "WIDGET-RED", "unit_price": usd(1379), "quantities": quantities(4, 4),
              "allocations": [{ "location": "dc-east", "allocated": 4, "released": 4, "shipped": 4 }] }
        ],
        "placed_at": "2026-07-09T00:00:00Z", "status": "created",
        "shipments": [{ "id": "shp-1", "location": "dc-east", "carrier": "UPSN", "tracking_number": "1Z999",
            "lines": [{ "line_id": "1", "quantity": 10 }, { "line_id": "2", "quantity": 4 }],
            "shipped_at": "2026-07-10T15:00:00Z" }],
        "returns": [], "version": 5, "updated_at": "2026-07-10T15:00:00Z"
    })
}

fn positions_json() -> serde_json::Value {
    serde_json::json!([
        { "sku": "WIDGET-BLUE", "location": "dc-east", "on_hand": 120, "reserved": 20, "safety_stock": 0,
          "in_transit": 0, "version": 3, "updated_at": "2026-07-10T15:00:00Z" },
        { "sku": "WIDGET-RED", "location": "dc-east", "on_hand": 40, "reserved": 0, "safety_stock": 5,
          "in_transit": 0, "version": 1, "updated_at": "2026-07-10T15:00:00Z" }
    ])
}

struct Setup {
    _dir: tempfile::TempDir,
    config: std::path::PathBuf,
    order: std::path::PathBuf,
    positions: std::path::PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("crossdock.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let order = dir.path().join("order.json");
    std::fs::write(&order, serde_json::to_vec(&order_json()).unwrap()).unwrap();
    let positions = dir.path().join("positions.json");
    std::fs::write(&positions, serde_json::to_vec(&positions_json()).unwrap()).unwrap();
    Setup { _dir: dir, config, order, positions }
}

/// Runs from-canonical and parses stdout back: one interchange, one group, one set of `set`, strictly valid.
fn from_canonical(s: &Setup, set: &str, input: &Path, extra: &[&str]) -> Document {
    let input = input.display().to_string();
    let mut args = vec!["edi", "from-canonical", "--set", set, "--partner", "acme", "--input", &input];
    args.extend_from_slice(extra);
    let out = run(&s.config, &args);
    assert!(out.status.success(), "{set}: {}", text(&out));
    let report = validate_with_schemas(&out.stdout, Mode::Strict);
    assert!(report.is_valid(), "{set}: {:?}\n{}", report.issues, String::from_utf8_lossy(&out.stdout));
    let doc = parse(&out.stdout).expect("parses");
    let sets: Vec<String> = doc.sets().map(|(_, t)| t.id.clone()).collect();
    assert_eq!(sets, vec![set.to_string()]);
    let (group, _) = doc.sets().next().unwrap();
    assert_eq!(group.version, "004010");
    let isa = &doc.interchanges[0].header;
    assert_eq!(isa.text(8).trim(), "123456789", "ISA08 is the partner");
    doc
}

#[test]
fn from_canonical_writes_each_outbound_set_for_the_partner() {
    let s = setup();
    for set in ["855", "856", "810", "940"] {
        let doc = from_canonical(&s, set, &s.order, &["--date", "2026-07-10"]);
        let (_, t) = doc.sets().next().unwrap();
        let head = match set {
            "855" => "BAK",
            "856" => "BSN",
            "810" => "BIG",
            _ => "W05",
        };
        assert!(t.first(head).is_some(), "{set} has {head}");
    }
    let doc = from_canonical(&s, "846", &s.positions, &["--reference", "AV-1"]);
    let (_, t) = doc.sets().next().unwrap();
    assert_eq!(t.first("BIA").unwrap().text(3), "AV-1");
    let available: Vec<String> =
        t.all_segments().iter().filter(|n| n.is("QTY") && n.text(1) == "33").map(|n| n.text(2)).collect();
    assert_eq!(available, vec!["100", "35"]);
}

#[test]
fn invoice_810_carries_the_ship_to_state_sales_tax() {
    let s = setup();
    let doc = from_canonical(&s, "810", &s.order, &["--reference", "INV-77"]);
    let (_, t) = doc.sets().next().unwrap();
    assert_eq!(t.first("BIG").unwrap().text(2), "INV-77");
    let line = |id: &str, amount: i64| TaxLineInput {
        line_id: LineId::new(id).unwrap(),
        amount: Money::new(amount, Currency::USD),
        taxable: true,
    };
    let expected = compute_tax(&TaxInput {
        state: "OH".into(),
        postal_code: Some("43215".into()),
        currency: Currency::USD,
        lines: vec![line("1", 9250), line("2", 5516)],
        shipping: Money::new(1250, Currency::USD),
        exemption: None,
    })
    .unwrap();
    let tax = expected.total_tax.amount_minor;
    assert!(tax > 0, "Ohio taxes the goods");
    let txi = t.first("TXI").expect("TXI");
    assert_eq!(txi.text(1), "ST");
    let txi_minor = (txi.text(2).parse::<f64>().unwrap() * 100.0).round() as i64;
    assert_eq!(txi_minor, tax);
    assert!(!txi.text(3).is_empty(), "TXI03 has the rate");
    let tds: i64 = t.first("TDS").unwrap().text(1).parse().unwrap();
    assert_eq!(tds, 9250 + 5516 + 1250 + tax, "TDS includes lines, freight and tax");
}

#[test]
fn from_canonical_refuses_unknown_partners_and_bad_input_with_exit_2() {
    let s = setup();
    let input = s.order.display().to_string();
    let out = run(&s.config, &["edi", "from-canonical", "--set", "810", "--partner", "nobody", "--input", &input]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("no partner"), "{}", text(&out));
    let positions = s.positions.display().to_string();
    let out = run(&s.config, &["edi", "from-canonical", "--set", "855", "--partner", "acme", "--input", &positions]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = run(&s.config, &["edi", "from-canonical", "--set", "999", "--partner", "acme", "--input", &input]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn validate_exits_0_1_2_and_prints_one_json_object_per_issue() {
    let s = setup();
    let input = s.order.display().to_string();
    let out = run(&s.config, &["edi", "from-canonical", "--set", "810", "--partner", "acme", "--input", &input]);
    assert!(out.status.success(), "{}", text(&out));
    let dir = s.config.parent().unwrap();
    let good = dir.join("good.x12");
    std::fs::write(&good, &out.stdout).unwrap();
    let good_s = good.display().to_string();
    let ok = run(&s.config, &["edi", "validate", &good_s, "--strict"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    let ok = run(&s.config, &["edi", "validate", &good_s, "--json"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    assert!(ok.stdout.is_empty(), "no issues, no lines: {}", text(&ok));

    // SE01 off by one and IEA01 naming two groups: two errors.
    let raw = String::from_utf8(out.stdout.clone()).unwrap();
    let se_at = raw.find("SE*").unwrap();
    let se_end = se_at + raw[se_at..].find('*').unwrap() + 1;
    let count_end = se_end + raw[se_end..].find('*').unwrap();
    let count: u32 = raw[se_end..count_end].parse().unwrap();
    let mut bad = format!("{}{}{}", &raw[..se_end], count + 1, &raw[count_end..]);
    bad = bad.replace("IEA*1*", "IEA*2*");
    let bad_path = dir.join("bad.x12");
    std::fs::write(&bad_path, &bad).unwrap();
    let bad_s = bad_path.display().to_string();

    let plain = run(&s.config, &["edi", "validate", &bad_s]);
    assert_eq!(plain.status.code(), Some(1), "{}", text(&plain));
    let lines: Vec<String> = String::from_utf8_lossy(&plain.stdout).lines().map(str::to_string).collect();
    assert!(lines.len() >= 2, "each error on its own line: {lines:?}");
    assert!(lines.iter().all(|l| l.contains("error")), "{lines:?}");

    let json = run(&s.config, &["edi", "validate", &bad_s, "--strict", "--json"]);
    assert_eq!(json.status.code(), Some(1), "{}", text(&json));
    let objects: Vec<serde_json::Value> = String::from_utf8_lossy(&json.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    assert_eq!(objects.len(), lines.len(), "one object per issue");
    let se = objects.iter().find(|o| o["segment_id"] == "SE").expect("an SE01 error");
    assert_eq!(se["interchange"], "000000001");
    assert_eq!(se["group"], "1");
    assert_eq!(se["set"], "0001");
    assert_eq!(se["element"], 1);
    assert!(se["segment_index"].as_u64().unwrap() > 2);
    assert!(se["x12_code"].is_string() && se["message"].as_str().is_some_and(|m| !m.is_empty()), "{se}");
    assert_eq!(se["severity"], "error");
    assert!(objects.iter().any(|o| o["segment_id"] == "IEA"), "{objects:?}");

    let missing = run(&s.config, &["edi", "validate", "/nonexistent/file.x12"]);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing));
    let usage = run(&s.config, &["edi", "validate", &good_s, "--bogus"]);
    assert_eq!(usage.status.code(), Some(2), "{}", text(&usage));
}
