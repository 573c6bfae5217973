//! The pure half of the EDI pipeline on plain data: which partner sent a file, which commands its sets
//! become under which idempotency keys, and what is acknowledged (documents from events: connect's tests).

mod common;

use crossdock_edi::EdiConfig;
use crossdock_edi::pipeline::{InboundError, InboundIssue, Outcome, idempotency_key, identify_partner, plan_inbound};
use crossdock_edi::{ControlNumbers, Mode, Rule, validate_with_schemas};
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

/// One 850 (ST through SE) with control number `st` for PO number `po`.
fn order_set(st: &str, po: &str) -> String {
    format!(
        "ST*850*{st}~BEG*00*SA*{po}**20260709~N1*ST*ACME DC 7*92*0007~N3*4100 INDUSTRIAL PKWY~\
         N4*COLUMBUS*OH*43215*US~PO1*1*2*EA*9.25**VN*SKU-1~CTT*1~SE*8*{st}~"
    )
}

/// An interchange from acme with ISA13 `isa13` (9 characters, as written) and groups of
/// (GS06, [(ST02, PO number)]).
fn interchange(isa13: &str, groups: &[(&str, &[(&str, &str)])]) -> Vec<u8> {
    let mut out = format!(
        "ISA*00*          *00*          *ZZ*BUYER          *ZZ*CROSSDOCK      *260709*1200*U*00401*{isa13}*0*P*>~"
    );
    for (gs06, sets) in groups {
        out.push_str(&format!("GS*PO*BUYER*CROSSDOCK*20260709*1200*{gs06}*X*004010~"));
        for (st, po) in sets.iter() {
            out.push_str(&order_set(st, po));
        }
        out.push_str(&format!("GE*{}*{gs06}~", sets.len()));
    }
    out.push_str(&format!("IEA*{}*{}~", groups.len(), isa13.trim()));
    out.into_bytes()
}

fn po_850(pos: &[&str]) -> Vec<u8> {
    let controls: Vec<String> = (1..=pos.len()).map(|n| format!("{n:04}")).collect();
    let sets: Vec<(&str, &str)> = controls.iter().map(String::as_str).zip(pos.iter().copied()).collect();
    interchange("000000042", &[("42", &sets)])
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

fn po_numbers(plan: &crossdock_edi::pipeline::InboundPlan) -> Vec<(String, String)> {
    plan.commands
        .iter()
        .map(|c| match &c.command {
            Command::PlaceOrder(p) => (c.idempotency_key.clone(), p.external_id.as_str().to_string()),
            other => panic!("not an order: {other:?}"),
        })
        .collect()
}

fn rules(plan: &crossdock_edi::pipeline::InboundPlan) -> Vec<Rule> {
    plan.issues.iter().filter_map(|i| if let InboundIssue::Validation(v) = i { Some(v.rule) } else { None }).collect()
}

/// GS06 must be unique in the interchange: the second group with the same number is rejected and
/// says so (AK9*R with AK905 6 in a 997, whose 004010 list lacks 19), instead of its sets being
/// matched to the first group's and mapped under the same keys. A lenient partner's repeat is a
/// warning, and its sets are mapped under keys of their own.
#[test]
fn a_repeated_group_control_number_rejects_that_group_and_says_so() {
    let c = config();
    let input = interchange("000000042", &[("42", &[("0001", "PO1")]), ("42", &[("0001", "PO2")])]);
    let plan = plan_inbound(&input, &c.partners[0], chrono::Utc::now());
    assert_eq!(rules(&plan), [Rule::GroupControlNotUnique]);
    assert_eq!(po_numbers(&plan), [("edi:acme:000000042:42:0001".to_string(), "PO1".to_string())]);
    assert_eq!(plan.set_counts(), (2, 1), "the second group's set is counted, not accepted");
    let ack = plan.acknowledgement(&mut ControlNumbers::after(0, 0), chrono::Utc::now()).expect("a 997");
    let text = String::from_utf8(ack.clone()).unwrap();
    assert!(text.contains("AK9*A*1*1*1~") && text.contains("AK9*R*1*1*1*6~"), "{text}");
    assert!(validate_with_schemas(&ack, Mode::Strict).is_valid(), "the 997 itself is valid: {text}");
    let mut five = c.partners[0].clone();
    five.acks.send = "999".into();
    let plan = plan_inbound(&input, &five, chrono::Utc::now());
    let ack = plan.acknowledgement(&mut ControlNumbers::after(0, 0), chrono::Utc::now()).expect("a 999");
    assert!(String::from_utf8_lossy(&ack).contains("AK9*R*1*1*1*19~"));
    let mut lenient = c.partners[0].clone();
    lenient.lenient = true;
    let plan = plan_inbound(&input, &lenient, chrono::Utc::now());
    assert!(plan.report.is_valid() && rules(&plan) == [Rule::GroupControlNotUnique], "{:?}", plan.issues);
    let keys: Vec<String> = po_numbers(&plan).into_iter().map(|(k, po)| format!("{k} {po}")).collect();
    assert_eq!(keys, ["edi:acme:000000042:42:0001 PO1", "edi:acme:000000042:42.2:0001 PO2"]);
}

/// ST02 must be unique in the group: the repeat is rejected with AK5 code 23, and only the first
/// is submitted (the two would otherwise share one idempotency key). Real files do repeat ST02
/// (the corpus has one), so a lenient partner's repeat is accepted with AK5*E*23 and mapped under
/// a key of its own.
#[test]
fn a_repeated_set_control_number_rejects_that_set_with_code_23() {
    let c = config();
    let input = interchange("000000042", &[("42", &[("0001", "PO1"), ("0001", "PO2")])]);
    let plan = plan_inbound(&input, &c.partners[0], chrono::Utc::now());
    assert_eq!(rules(&plan), [Rule::SetControlNotUnique]);
    assert_eq!(po_numbers(&plan), [("edi:acme:000000042:42:0001".to_string(), "PO1".to_string())]);
    assert_eq!(plan.set_counts(), (2, 1));
    let ack = plan.acknowledgement(&mut ControlNumbers::after(0, 0), chrono::Utc::now()).expect("a 997");
    let text = String::from_utf8(ack).unwrap();
    assert!(text.contains("AK2*850*0001~AK5*A~AK2*850*0001~AK5*R*23~AK9*P*2*2*1~"), "{text}");
    let mut lenient = c.partners[0].clone();
    lenient.lenient = true;
    let plan = plan_inbound(&input, &lenient, chrono::Utc::now());
    let keys: Vec<String> = po_numbers(&plan).into_iter().map(|(k, po)| format!("{k} {po}")).collect();
    assert_eq!(keys, ["edi:acme:000000042:42:0001 PO1", "edi:acme:000000042:42:0001.2 PO2"]);
    let ack = plan.acknowledgement(&mut ControlNumbers::after(0, 0), chrono::Utc::now()).expect("a 997");
    assert!(String::from_utf8_lossy(&ack).contains("AK2*850*0001~AK5*E*23~AK9*E*2*2*2~"));
}

/// A space-padded ISA13 (tolerated by a lenient partner) no longer makes every set unmatched.
#[test]
fn sets_of_an_interchange_with_a_padded_isa13_are_mapped() {
    let mut lenient = config().partners[0].clone();
    lenient.lenient = true;
    let input = interchange("42       ", &[("42", &[("0001", "PO1"), ("0002", "PO2")])]);
    let plan = plan_inbound(&input, &lenient, chrono::Utc::now());
    assert!(plan.report.is_valid(), "{:?}", plan.report.issues);
    let keys: Vec<String> = po_numbers(&plan).into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["edi:acme:42:42:0001", "edi:acme:42:42:0002"]);
    assert_eq!(plan.set_counts(), (2, 2));
}

/// An error inside a composite (REF04, C040) is acknowledged with AK401 as components joined by the
/// file's own component separator, even when that is `:`; before, the 997 could not be written.
#[test]
fn a_fault_inside_a_composite_is_acknowledged_with_the_files_separator() {
    let c = config();
    for sep in ['>', ':'] {
        let text = String::from_utf8(po_850(&["PO1"])).unwrap().replace("*P*>~", &format!("*P*{sep}~"));
        let input = text.replacen("~N1*ST*", "~REF*DP*038**Z~N1*ST*", 1).replacen("SE*8*", "SE*9*", 1);
        let plan = plan_inbound(input.as_bytes(), &c.partners[0], chrono::Utc::now());
        let ack = plan.acknowledgement(&mut ControlNumbers::after(0, 0), chrono::Utc::now()).expect("a 997");
        let ack = String::from_utf8(ack).unwrap();
        assert!(ack.contains(&format!("~AK3*REF*3**8~AK4*4{sep}1*128*4~AK4*4{sep}2*127*1~AK5*R*5~")), "{ack}");
    }
}

/// ISA13 must not repeat for a sender within the input: the second interchange with the same number
/// is refused with TA1*R*025 and none of its sets is submitted (they would be the first's commands a
/// second time), while the first is taken as usual. A lenient partner is warned (TA1*E*025) and the
/// repeat is mapped under keys of its own.
#[test]
fn a_repeated_interchange_control_number_is_refused_with_ta1_025() {
    let c = config();
    let first = interchange("000000042", &[("42", &[("0001", "PO1")])]);
    let input = [first.clone(), interchange("000000042", &[("43", &[("0001", "PO2")])])].concat();
    let plan = plan_inbound(&input, &c.partners[0], chrono::Utc::now());
    assert_eq!(rules(&plan), [Rule::InterchangeControlNotUnique]);
    let issue = &plan.report.issues[0];
    assert_eq!((issue.position.segment_index, issue.position.element), (12, Some(13)));
    assert_eq!(po_numbers(&plan), [("edi:acme:000000042:42:0001".to_string(), "PO1".to_string())]);
    assert_eq!(plan.set_counts(), (2, 1), "the repeat's set is counted, not accepted");
    let ack = plan.acknowledgement(&mut ControlNumbers::after(0, 0), chrono::Utc::now()).expect("a 997");
    let text = String::from_utf8(ack.clone()).unwrap();
    assert_eq!(text.matches("TA1*").count(), 1, "only the repeat gets a TA1: {text}");
    assert!(text.contains("TA1*000000042*260709*1200*R*025~"), "{text}");
    assert!(validate_with_schemas(&ack, Mode::Strict).is_valid(), "the reply itself is valid: {text}");

    let mut lenient = c.partners[0].clone();
    lenient.lenient = true;
    let plan = plan_inbound(&input, &lenient, chrono::Utc::now());
    assert!(plan.report.is_valid() && rules(&plan) == [Rule::InterchangeControlNotUnique], "{:?}", plan.issues);
    let keys: Vec<String> = po_numbers(&plan).into_iter().map(|(k, po)| format!("{k} {po}")).collect();
    assert_eq!(keys, ["edi:acme:000000042:42:0001 PO1", "edi:acme:000000042.2:43:0001 PO2"]);
    let ack = plan.acknowledgement(&mut ControlNumbers::after(0, 0), chrono::Utc::now()).expect("a 997");
    assert!(String::from_utf8_lossy(&ack).contains("TA1*000000042*260709*1200*E*025~"));
}

/// The same ISA13 from another sender (a VAN batching two senders that both number from 1) is no
/// repeat: every interchange keeps the keys it had before repeats were looked for, so a file received
/// before and resent after that change replays instead of being applied again.
#[test]
fn the_same_isa13_from_two_senders_keeps_plain_keys() {
    let c = config();
    let first = interchange("000000042", &[("42", &[("0001", "PO1")])]);
    let other = String::from_utf8(interchange("000000042", &[("43", &[("0001", "PO2")])])).unwrap();
    let other = other.replacen("*ZZ*BUYER          *", "*ZZ*OTHER          *", 1);
    let input = [first, other.into_bytes()].concat();
    for lenient in [false, true] {
        let mut partner = c.partners[0].clone();
        partner.lenient = lenient;
        let plan = plan_inbound(&input, &partner, chrono::Utc::now());
        assert!(plan.issues.is_empty(), "{:?}", plan.issues);
        let keys: Vec<String> = po_numbers(&plan).into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["edi:acme:000000042:42:0001", "edi:acme:000000042:43:0001"]);
    }
}

/// A file holding the same interchange twice (a lenient partner's, or a resend glued to the original)
/// is warned about, and the copy has the first's keys, so its commands replay with no effect instead
/// of placing (and being refused as) the same order again: both sets are accepted.
#[test]
fn a_lenient_partners_byte_identical_repeat_has_the_first_interchanges_keys() {
    let mut partner = config().partners[0].clone();
    partner.lenient = true;
    let first = interchange("000000042", &[("42", &[("0001", "PO1")])]);
    let input = [first.clone(), b"\r\n".to_vec(), first].concat();
    let plan = plan_inbound(&input, &partner, chrono::Utc::now());
    assert!(plan.report.is_valid() && rules(&plan) == [Rule::InterchangeControlNotUnique], "{:?}", plan.issues);
    let keys: Vec<String> = po_numbers(&plan).into_iter().map(|(k, po)| format!("{k} {po}")).collect();
    assert_eq!(keys, ["edi:acme:000000042:42:0001 PO1", "edi:acme:000000042:42:0001 PO1"]);
    assert_eq!(plan.set_counts(), (2, 2));
    let ats: Vec<(usize, usize)> = plan.commands.iter().map(|c| c.at).collect();
    assert_eq!(ats, [(0, 0), (1, 0)], "each command names its own set");
}

/// A same-sender repeat whose bytes differ from every earlier interchange with that ISA13 is refused
/// from a strict partner and told apart by its position from a lenient one, also when the numbers are
/// only numerically equal (`42` and `000000042`: ISA13 is a number). A copy of the first is not.
#[test]
fn a_same_sender_repeat_with_other_content_is_refused_or_told_apart() {
    let c = config();
    let first = interchange("000000042", &[("42", &[("0001", "PO1")])]);
    let input = [first.clone(), first, interchange("000000042", &[("43", &[("0001", "PO2")])])].concat();
    let plan = plan_inbound(&input, &c.partners[0], chrono::Utc::now());
    assert_eq!(rules(&plan), [Rule::InterchangeControlNotUnique, Rule::InterchangeControlNotUnique]);
    assert_eq!(po_numbers(&plan), [("edi:acme:000000042:42:0001".to_string(), "PO1".to_string())]);
    assert_eq!(plan.set_counts(), (3, 1), "a strict partner's repeats are refused");
    let mut lenient = c.partners[0].clone();
    lenient.lenient = true;
    let plan = plan_inbound(&input, &lenient, chrono::Utc::now());
    let keys: Vec<String> = po_numbers(&plan).into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["edi:acme:000000042:42:0001", "edi:acme:000000042:42:0001", "edi:acme:000000042.3:43:0001"]);

    let short = String::from_utf8(interchange("000000042", &[("43", &[("0001", "PO2")])])).unwrap();
    let short = short.replacen("*000000042*", "*42       *", 1).replacen("IEA*1*000000042~", "IEA*1*42       ~", 1);
    let input = [interchange("000000042", &[("42", &[("0001", "PO1")])]), short.into_bytes()].concat();
    let plan = plan_inbound(&input, &c.partners[0], chrono::Utc::now());
    assert!(rules(&plan).contains(&Rule::InterchangeControlNotUnique), "{:?}", plan.issues);
    assert_eq!(plan.set_counts(), (2, 1));
    let plan = plan_inbound(&input, &lenient, chrono::Utc::now());
    let keys: Vec<String> = po_numbers(&plan).into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["edi:acme:000000042:42:0001", "edi:acme:42.2:43:0001"]);
}

/// A real file (node-x12's 850_fat.edi) holds the same interchange twice, ISA13 000003438 both times:
/// its order is submitted once, and the copy is answered TA1*R*025.
#[test]
fn the_corpus_file_that_repeats_its_interchange_submits_its_order_once() {
    let Some(dir) = common::corpus_dir() else { return };
    let input = common::read(&dir, "850/nodex12__850_fat.edi");
    let config: EdiConfig = serde_json::from_value(serde_json::json!({
        "local": { "isa_qualifier": "01", "isa_id": "999999999", "gs_id": "999999999" },
        "partners": [{ "id": "abc", "isa_qualifier": "12", "isa_id": "4405197800", "gs_id": "4405197800" }]
    }))
    .expect("config");
    let partner = identify_partner(&input, &config, None).expect("the sender is the partner");
    let plan = plan_inbound(&input, partner, chrono::Utc::now());
    assert_eq!(rules(&plan), [Rule::InterchangeControlNotUnique]);
    let keys: Vec<&str> = plan.commands.iter().map(|c| c.idempotency_key.as_str()).collect();
    assert_eq!(keys, ["edi:abc:000003438:1421:000000010"]);
    assert_eq!(plan.set_counts(), (2, 1));
    let ack = plan.acknowledgement(&mut ControlNumbers::after(0, 0), chrono::Utc::now()).expect("a 997");
    assert!(String::from_utf8_lossy(&ack).contains("TA1*000003438*101127*1719*R*025~"));

    // From a lenient partner the copy is warned about and replays the first's keys.
    let mut lenient = partner.clone();
    lenient.lenient = true;
    let plan = plan_inbound(&input, &lenient, chrono::Utc::now());
    let keys: Vec<&str> = plan.commands.iter().map(|c| c.idempotency_key.as_str()).collect();
    assert_eq!(keys, ["edi:abc:000003438:1421:000000010", "edi:abc:000003438:1421:000000010"]);
    assert_eq!(plan.set_counts(), (2, 2));
}
