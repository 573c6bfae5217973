//! The pure half of the EDI pipeline on plain data: which partner sent a file, which commands its sets
//! become under which idempotency keys, and what is acknowledged (documents from events: connect's tests).

use crossdock_edi::EdiConfig;
use crossdock_edi::pipeline::{InboundError, InboundIssue, Outcome, idempotency_key, identify_partner, plan_inbound};
use crossdock_edi::{ControlNumbers, Mode, validate_with_schemas};
use crossdock_model::Command;

fn config() -> EdiConfig {
    serde_json::from_value(serde_json::json!({
        "local": { "isa_qualifier": "ZZ", "isa_id": "CROSSDOCK", "gs_id": "CROSSDOCK" },
        "partners": [
            { "id": "acme", "isa_qualifier": "ZZ", "isa_id": "BUYER", "gs_id": "BUYER", "documents": ["855"] },
            { "id": "bolt", "isa_qualifier": "01", "isa_id": "123456789", "gs_id": "BOLT" }
        ]
    }))
    .expect("config")
}

fn po_850(pos: &[&str]) -> Vec<u8> {
    let mut out =
        "ISA*00*          *00*          *ZZ*BUYER          *ZZ*CROSSDOCK      *260709*1200*U*00401*000000042*0*P*>~\
                   GS*PO*BUYER*CROSSDOCK*20260709*1200*42*X*004010~"
            .to_string();
    for (n, po) in pos.iter().enumerate() {
        let st = format!("{:04}", n + 1);
        out.push_str(&format!(
            "ST*850*{st}~BEG*00*SA*{po}**20260709~N1*ST*ACME DC 7*92*0007~N3*4100 INDUSTRIAL PKWY~\
             N4*COLUMBUS*OH*43215*US~PO1*1*2*EA*9.25**VN*SKU-1~CTT*1~SE*8*{st}~"
        ));
    }
    out.push_str(&format!("GE*{}*42~IEA*1*000000042~", pos.len()));
    out.into_bytes()
}

#[test]
fn partners_are_known_by_their_isa_sender_and_must_match_the_name_given() {
    let c = config();
    let input = po_850(&["PO1"]);
    assert_eq!(identify_partner(&input, &c, None).map(|p| p.id.as_str()), Ok("acme"));
    assert_eq!(identify_partner(&input, &c, Some("acme")).map(|p| p.id.as_str()), Ok("acme"));
    assert!(matches!(identify_partner(&input, &c, Some("bolt")), Err(InboundError::WrongPartner { .. })));
    assert!(matches!(identify_partner(&input, &c, Some("zed")), Err(InboundError::UnknownPartner(_))));
    assert!(matches!(identify_partner(b"hello", &c, None), Err(InboundError::NoInterchange(_))));
    let stranger = String::from_utf8(input).unwrap().replace("BUYER          ", "NOBODY         ");
    let err = identify_partner(stranger.as_bytes(), &c, None).unwrap_err();
    assert_eq!(err.to_string(), "ISA sender ZZ/NOBODY is not a configured partner");
}

#[test]
fn valid_sets_become_commands_keyed_by_partner_and_control_numbers() {
    let c = config();
    let input = po_850(&["PO1", "PO2"]);
    let plan = plan_inbound(&input, &c.partners[0], chrono::Utc::now());
    assert!(plan.issues.is_empty(), "{:?}", plan.issues);
    let keys: Vec<&str> = plan.commands.iter().map(|c| c.idempotency_key.as_str()).collect();
    assert_eq!(keys, ["edi:acme:000000042:42:0001", "edi:acme:000000042:42:0002"]);
    assert!(matches!(&plan.commands[0].command, Command::PlaceOrder(p) if p.id.as_str() == "edi-acme-PO1"));
    assert_eq!(plan.set_counts(), (2, 2));
    assert_eq!(plan.ack_numbers_needed(), (1, 1));
    let ack = plan.acknowledgement(&mut ControlNumbers::after(6, 9), chrono::Utc::now()).expect("a 997");
    let text = String::from_utf8(ack.clone()).unwrap();
    assert!(text.contains("*000000007*") && text.contains("GS*FA*CROSSDOCK*BUYER*") && text.contains("AK9*A*2*2*2"));
    assert!(validate_with_schemas(&ack, Mode::Strict).is_valid(), "the 997 itself is valid: {text}");
    assert_eq!(idempotency_key("acme", " 1 ", "2", "3", 1, 3), "edi:acme:1:2:3:2");
}

#[test]
fn a_set_that_fails_validation_or_mapping_is_not_submitted() {
    let c = config();
    let text = String::from_utf8(po_850(&["PO1", "PO2"])).unwrap();
    let bad = text.replacen("SE*8*0001", "SE*9*0001", 1).replacen("BEG*00*SA*PO2", "BEG*00*SA*", 1);
    let plan = plan_inbound(bad.as_bytes(), &c.partners[0], chrono::Utc::now());
    assert!(plan.commands.is_empty(), "{:?}", plan.commands);
    assert_eq!(plan.set_counts(), (2, 0));
    assert!(plan.issues.iter().any(|i| matches!(i, InboundIssue::Validation(v) if v.position.segment_id == "SE")));
    assert_eq!(Outcome::of(2, 0, true), Outcome::Rejected);
    assert_eq!(Outcome::of(2, 1, true), Outcome::PartiallyAccepted);
    assert_eq!(Outcome::of(0, 0, true), Outcome::Accepted);
}

#[test]
fn envelope_faults_are_answered_with_a_ta1_and_nothing_is_submitted() {
    let c = config();
    let text = String::from_utf8(po_850(&["PO1"])).unwrap().replace("IEA*1*000000042", "IEA*1*000000043");
    let plan = plan_inbound(text.as_bytes(), &c.partners[0], chrono::Utc::now());
    assert!(plan.commands.is_empty());
    let ack = plan.acknowledgement(&mut ControlNumbers::after(0, 0), chrono::Utc::now()).expect("an ack");
    let ack = String::from_utf8(ack).unwrap();
    assert!(ack.contains("TA1*000000042*260709*1200*R*001"), "{ack}");
}
