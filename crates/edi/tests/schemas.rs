//! Schema faults as a partner sees them: each case is a set body, and the expected AK3/AK4/AK5 (or
//! IK3/IK4/IK5) segments of the acknowledgement generated for it.

use crossdock_edi::{
    AckKind, AckOptions, ControlNumbers, Delimiters, Mode, OwnedSegment, acknowledge, read_segments, reply_segments,
    validate_with_schemas, write_to_vec,
};

const ISA: &str =
    "ISA*00*          *00*          *ZZ*BUYER          *ZZ*SELLER         *260709*1200*^*00501*000000007*0*P*:~";

/// The acknowledgement lines (AK3 onwards to AK5, or IK3 to IK5) for one set of `st01` with `body`.
fn ack_lines(kind: AckKind, gs: (&str, &str), st01: &str, body: &[&str]) -> Vec<String> {
    let count = body.len() + 2;
    let input = format!(
        "{ISA}GS*{}*BUYER*SELLER*20260709*1200*7*X*{}~ST*{st01}*0001~{}~SE*{count}*0001~GE*1*7~IEA*1*000000007~",
        gs.0,
        gs.1,
        body.join("~")
    );
    let report = validate_with_schemas(input.as_bytes(), Mode::Strict);
    let opts = AckOptions { kind, ..AckOptions::default() };
    let segs: Vec<OwnedSegment> =
        report.interchanges.iter().flat_map(|i| reply_segments(i, &opts, &mut ControlNumbers::after(0, 0))).collect();
    let text = write_to_vec(&segs, Delimiters::DEFAULT).unwrap_or_default();
    let lines: Vec<String> = String::from_utf8_lossy(&text).split('~').map(str::to_string).collect();
    lines.into_iter().filter(|l| ["AK3", "AK4", "AK5", "IK3", "IK4", "IK5"].iter().any(|p| l.starts_with(p))).collect()
}

fn check(st01: &str, body: &[&str], expected: &[&str]) {
    assert_eq!(ack_lines(AckKind::Fa997, ("PO", "004010"), st01, body), expected, "{st01} {body:?}");
}

#[test]
fn structure_faults_carry_ak3_codes() {
    let po = "PO1*1*2*EA*9.25**UP*012345678905";
    // A valid order.
    check("850", &["BEG*00*SA*PO-1**20260709", po, "CTT*1"], &["AK5*A"]);
    // Missing BEG (3), reported where its absence showed.
    check("850", &[po, "CTT*1"], &["AK3*BEG*2**3", "AK5*R*5"]);
    // A segment the 850 does not define (6), and an unexpected one defined elsewhere (2).
    check("850", &["BEG*00*SA*PO-1**20260709", "W05*N*1", po], &["AK3*W05*3**6", "AK5*R*5"]);
    check("850", &["BEG*00*SA*PO-1**20260709", "ACK*IA", po], &["AK3*ACK*3**2", "AK5*R*5"]);
    // Out of order (7): a header REF after the line loop closed.
    check("850", &["BEG*00*SA*PO-1**20260709", po, "CTT*1", "CUR*BY*USD"], &["AK3*CUR*5**7", "AK5*R*5"]);
    // Too many uses (5) and a loop over its maximum (4).
    check("850", &["BEG*00*SA*PO-1**20260709", "BEG*00*SA*PO-2**20260709", po], &["AK3*BEG*3**5", "AK5*R*5"]);
    check("850", &["BEG*00*SA*PO-1**20260709", po, "CTT*1", "CTT*1"], &["AK3*CTT*5**4", "AK5*R*5"]);
    // A mandatory loop never opened: no PO1.
    check("850", &["BEG*00*SA*PO-1**20260709"], &["AK3*PO1*3**3", "AK5*R*5"]);
}

#[test]
fn element_faults_carry_ak4_codes_and_references() {
    check(
        "850",
        &["BEG*00*SA*PO-1**20261340", "PO1*1*2*EA*9.25*XX*UP", "CTT*1"],
        &["AK3*BEG*2**8", "AK4*5*373*8", "AK3*PO1*3**8", "AK4*7**2", "AK5*R*5"],
    );
    check(
        "855",
        &["BAK*00*ZZ*PO-1*20260709", "PO1*1*2*EA", "ACK*XX*2*EA"],
        &["AK3*ACK*4**8", "AK4*1*668*7", "AK5*R*5"],
    );
}

#[test]
fn implementation_acknowledgement_uses_ik_segments() {
    let lines = ack_lines(AckKind::Fa999, ("PO", "005010"), "850", &["PO1*1*2*EA*9.25**UP*1"]);
    assert_eq!(lines, ["IK3*BEG*2**3", "IK5*R*5"]);
}

#[test]
fn hierarchy_and_every_schema_version() {
    let body = ["BSN*00*SHIP-1*20260709*1200", "HL*1**S", "HL*2*7*O", "CTT*2"];
    check("856", &body, &["AK3*HL*4**8", "AK4*2**7", "AK5*R*5"]);
    for (st01, gs) in [("850", "004010"), ("850", "005010"), ("940", "004010"), ("997", "005010X230")] {
        let report = validate_with_schemas(
            format!("{ISA}GS*PO*B*S*20260709*1200*7*X*{gs}~ST*{st01}*0001~SE*2*0001~GE*1*7~IEA*1*000000007~")
                .as_bytes(),
            Mode::Strict,
        );
        assert!(
            report.errors().any(|i| i.rule == crossdock_edi::Rule::MandatorySegmentMissing),
            "{st01} {gs}: an empty set lacks its mandatory segments"
        );
    }
    let parsed = read_segments(ISA.as_bytes()).unwrap_or_default();
    assert_eq!(parsed.len(), 1);
}

/// An element past a segment's definition is an element fault: AK4 at the first position past the
/// defined ones, with AK403 3 (too many data elements), under an AK3 with code 8.
#[test]
fn too_many_elements_is_an_ak4_at_the_first_position_past_the_definition() {
    let body =
        ["BEG*00*SA*PO-1**20260709", "N1*ST*Dock*92*0001", "N3*1 Main St*Unit 9*Dock door", "PO1*1*2*EA*9.25**UP*1"];
    check("850", &body, &["AK3*N3*4**8", "AK4*3**3", "AK5*R*5"]);
    let lines = ack_lines(AckKind::Fa999, ("PO", "005010"), "850", &body);
    assert_eq!(lines, ["IK3*N3*4**8", "IK4*3**3", "IK5*R*5"]);
}

/// Too many components is IK403 13 in a 999; the 997 (written as 004010, whose code list ends at
/// 10) reports it as 6, invalid character.
#[test]
fn too_many_components_is_13_in_a_999_and_6_in_a_997() {
    // A component separator in a simple element (PO107), and a seventh component in C040 (REF04).
    let body = ["BEG*00*SA*PO-1**20260709", "REF*DP*038**ZZ:1:ZZ:2:ZZ:3:X", "PO1*1*2*EA*9.25**UP*1:2"];
    check("850", &body, &["AK3*REF*3**8", "AK4*4**6", "AK3*PO1*4**8", "AK4*7*234*6", "AK5*R*5"]);
    let lines = ack_lines(AckKind::Fa999, ("PO", "005010"), "850", &body);
    assert_eq!(lines, ["IK3*REF*3**8", "IK4*4**13", "IK3*PO1*4**8", "IK4*7*234*13", "IK5*R*5"]);
}

/// A fault inside a composite is positioned as C030 (element, component), joined with the reply's
/// component separator, whichever it is: `:` must not make the reply unwritable.
#[test]
fn composite_positions_are_written_with_the_component_separator() {
    for (sep, kind, id) in [(':', AckKind::Fa997, "AK4"), ('>', AckKind::Fa997, "AK4"), (':', AckKind::Fa999, "IK4")] {
        let isa = ISA.replace("*P*:~", &format!("*P*{sep}~"));
        let input = format!(
            "{isa}GS*PO*BUYER*SELLER*20260709*1200*7*X*005010~ST*850*0001~BEG*00*SA*PO-1**20260709~REF*DP*038**Z~\
             PO1*1*2*EA*9.25**UP*1~SE*5*0001~GE*1*7~IEA*1*000000007~"
        );
        let report = validate_with_schemas(input.as_bytes(), Mode::Strict);
        let opts = AckOptions { kind, ..AckOptions::default() };
        let ack = acknowledge(&report, &opts, &mut ControlNumbers::after(0, 0)).expect("the reply is written");
        let text = String::from_utf8(ack.clone()).expect("utf-8");
        assert!(text.contains(&format!("~{id}*4{sep}1*128*4~{id}*4{sep}2*127*1~")), "{text}");
        let check = validate_with_schemas(&ack, Mode::Strict);
        assert!(check.is_valid(), "the reply is valid: {text}\n{:?}", check.issues);
    }
}
