//! Trading-partner configuration: every error collected with its path, and a valid partner's
//! envelope, options and acknowledgement windows.

use chrono::{TimeZone, Utc};
use crossdock_edi::outbound::{OrderView, po_ack_855};
use crossdock_edi::{ControlNumbers, EdiConfig, Mode, validate_with_schemas, write_interchange};
use serde_json::json;

fn config(partners: serde_json::Value) -> EdiConfig {
    let value = json!({ "local": { "isa_qualifier": "ZZ", "isa_id": "CROSSDOCK", "gs_id": "CROSSDOCK" }, "partners": partners });
    serde_json::from_value(value).expect("deserializes")
}

#[test]
fn every_error_is_collected_with_its_path() {
    let cfg = config(json!([
        { "id": "acme", "isa_qualifier": "01", "isa_id": "123456789", "gs_id": "ACME" },
        {
            "id": "acme", "isa_qualifier": "XX", "isa_id": "THIS ID IS FAR TOO LONG", "gs_id": "A",
            "version": "003040", "usage": "Q",
            "delimiters": { "element": "**", "component": ":", "segment": "~" },
            "acks": { "expect": ["997", "998"], "within_minutes": 0, "send": "maybe" },
            "sku_qualifiers": ["vn"]
        },
        {
            "id": "beta", "isa_qualifier": "01", "isa_id": "123456789", "gs_id": "BE*TA",
            "delimiters": { "element": "*", "component": ":", "repetition": "^", "segment": "~" },
            "acks": { "expect": ["999"], "send": "999" }
        },
        { "id": "gamma", "isa_qualifier": "ZZ", "isa_id": "CROSSDOCK", "gs_id": "GAMMA", "version": "005010",
          "delimiters": { "element": "|", "component": "|", "segment": "\n" } }
    ]));
    let errors = cfg.check("crossdock.toml").expect_err("invalid");
    let expected = [
        "crossdock.toml: partners[1].isa_qualifier: \"XX\" is not an interchange id qualifier (e.g. 01, 12, ZZ)",
        "crossdock.toml: partners[1].isa_id: \"THIS ID IS FAR TOO LONG\" must be 1 to 15 characters",
        "crossdock.toml: partners[1].gs_id: \"A\" must be 2 to 15 characters",
        "crossdock.toml: partners[1].version: \"003040\" is not a supported version (004010, 005010)",
        "crossdock.toml: partners[1].usage: \"Q\" must be P (production) or T (test)",
        "crossdock.toml: partners[1].acks.expect[1]: \"998\" must be TA1, 997 or 999",
        "crossdock.toml: partners[1].acks.within_minutes: 0 must be 1 to 10080 (a week)",
        "crossdock.toml: partners[1].acks.send: \"maybe\" must be 997, 999 or none",
        "crossdock.toml: partners[1].sku_qualifiers[0]: \"vn\" is not a product id qualifier (e.g. VN, UP)",
        "crossdock.toml: partners[1].delimiters.element: \"**\" is not one ASCII character other than a letter, digit or space",
        "crossdock.toml: partners[1].id: \"acme\" is used by an earlier partner",
        "crossdock.toml: partners[2].acks.expect[0]: 999 acknowledgements need version 005010",
        "crossdock.toml: partners[2].acks.send: 999 acknowledgements need version 005010",
        "crossdock.toml: partners[2].delimiters.repetition: \"^\": 004010 has no repetition separator (ISA11 is U)",
        "crossdock.toml: partners[2].gs_id: \"BE*TA\" contains the delimiter '*'",
        "crossdock.toml: partners[2].isa_id: 01/123456789 is used by an earlier partner",
        "crossdock.toml: partners[3].delimiters: the delimiters must all differ",
        "crossdock.toml: partners[3].isa_id: is our own interchange id",
    ];
    assert_eq!(errors, expected);
}

#[test]
fn a_valid_partner_writes_valid_interchanges() {
    let cfg = config(json!([{
        "id": "acme", "name": "ACME Retail", "isa_qualifier": "12", "isa_id": "8005551234", "gs_id": "ACMERETAIL",
        "version": "005010", "usage": "T",
        "delimiters": { "element": "|", "component": ">", "repetition": "^", "segment": "\n" },
        "acks": { "expect": ["TA1", "999"], "within_minutes": 90, "send": "999" },
        "sku_qualifiers": ["UP", "VN"]
    }]));
    assert_eq!(cfg.validate(), Ok(()));
    let partner = &cfg.partners[0];
    assert_eq!(cfg.partner_by_isa("12", "8005551234      ").map(|p| p.id.as_str()), Some("acme"));
    assert_eq!((partner.functional_ack_within(), partner.ta1_within()), (Some(5400), Some(5400)));
    assert_eq!(partner.inbound_options().sku_qualifiers, ["UP", "VN"]);
    assert_eq!(partner.outbound_options().sku_qualifier, "UP");
    let env = cfg.envelope(partner).expect("envelope");
    let order: crossdock_model::PlaceOrder = serde_json::from_value(json!({
        "id": "edi-acme-PO-9", "channel": "edi:acme", "external_id": "PO-9",
        "ship_to": { "name": "DC 1", "line1": "1 Main St", "city": "Columbus", "region": "OH", "postal_code": "43215", "country": "US" },
        "currency": "USD",
        "lines": [{ "id": "1", "sku": "012345678905", "quantity": 2, "unit_price": { "amount_minor": 199, "currency": "USD" } }],
        "placed_at": "2026-07-09T00:00:00Z"
    }))
    .expect("order");
    let day = chrono::NaiveDate::from_ymd_opt(2026, 7, 10).expect("date");
    let set = po_ack_855(&OrderView::from(&order), &[], day, &partner.outbound_options()).expect("855");
    let at = Utc.with_ymd_and_hms(2026, 7, 10, 8, 0, 0).single().expect("time");
    let bytes = write_interchange(&env, &[set], &mut ControlNumbers::after(0, 0), at).expect("valid");
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.starts_with("ISA|00|          |00|          |ZZ|CROSSDOCK      |12|8005551234     |260710|0800|^|00501|000000001|1|T|>\n"), "{text}");
    assert!(text.contains("GS|PR|CROSSDOCK|ACMERETAIL|20260710|0800|1|X|005010\n"));
    assert!(text.contains("PO1|1|2|EA|1.99||UP|012345678905\n"));
    assert!(validate_with_schemas(&bytes, Mode::Strict).is_valid());
}
