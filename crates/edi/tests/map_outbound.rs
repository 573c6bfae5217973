//! Canonical → X12: 855, 856, 810, 940 and 846 built from canonical records, enveloped for a
//! partner, validated strictly against the schemas (write_interchange refuses anything else),
//! and parse → write → parse identical, in 004010 and 005010 and with several delimiter sets.

use chrono::{NaiveDate, TimeZone, Utc};
use crossdock_edi::map::inventory_counts;
use crossdock_edi::outbound::{
    AsnInput, Charge, InvoiceInput, LineAck, LineStatus, OrderView, Pack, ShippingOrderInput, Sscc, Tax,
    availability_846, invoice_810, po_ack_855, ship_notice_856, shipping_order_940,
};
use crossdock_edi::schema::Version;
use crossdock_edi::{
    ControlNumbers, Delimiters, Envelope, InboundOptions, OutboundOptions, OutboundSet, TreeNode, parse, read_segments,
    write_interchange, write_to_vec,
};
use crossdock_model::{
    Address, ChannelId, Command, Country, Currency, ExternalId, InventoryPosition, LineId, LineQuantity, LocationId,
    Money, NewOrderLine, OrderId, PlaceOrder, Quantity, Shipment, ShipmentId, Sku,
};

fn order() -> OrderView {
    let usd = Currency::USD;
    let line = |id: &str, sku: &str, q: u32, price: i64| NewOrderLine {
        id: LineId::new(id).expect("id"),
        sku: Sku::new(sku).expect("sku"),
        quantity: Quantity::new(q).expect("q"),
        unit_price: Money::new(price, usd),
    };
    let place = PlaceOrder {
        id: OrderId::new("edi-acme-PO-1001").expect("id"),
        channel: ChannelId::new("edi:acme").expect("channel"),
        external_id: ExternalId::new("PO-1001").expect("po"),
        customer: None,
        ship_to: Address {
            name: "ACME DC 7".into(),
            line1: "4100 Industrial Pkwy".into(),
            line2: Some("Dock 3".into()),
            city: "Columbus".into(),
            region: Some("OH".into()),
            postal_code: "43215".into(),
            country: Country::US,
        },
        bill_to: None,
        currency: usd,
        shipping: Some(Money::new(1250, usd)),
        tax_exempt_certificate: None,
        lines: vec![line("1", "WIDGET-BLUE", 10, 925), line("2", "WIDGET-RED", 4, 1379)],
        placed_at: Utc.with_ymd_and_hms(2026, 7, 9, 0, 0, 0).single().expect("date"),
        sourcing: Default::default(),
    };
    OrderView::from(&place)
}

fn lq(id: &str, q: u32) -> LineQuantity {
    LineQuantity { line_id: LineId::new(id).expect("id"), quantity: Quantity::new(q).expect("q") }
}

fn envelope(version: Version, delimiters: Delimiters) -> Envelope {
    Envelope {
        sender_qualifier: "ZZ".into(),
        sender_id: "CROSSDOCK".into(),
        sender_gs: "CROSSDOCK".into(),
        receiver_qualifier: "01".into(),
        receiver_id: "123456789".into(),
        receiver_gs: "ACMEBUYER".into(),
        version,
        usage: 'T',
        delimiters,
        ack_requested: false,
    }
}

const DELIMITERS: [Delimiters; 3] = [
    Delimiters::DEFAULT,
    Delimiters::new(b'|', b'>', Some(b'^'), b'\n'),
    Delimiters::new(0x1d, 0x1f, Some(0x1e), 0x1c),
];

/// Envelopes `set` in each version and delimiter set, checking strict validity (done by
/// write_interchange) and the round trip; returns the 004010 `*`/`~` text.
fn emit(set: &OutboundSet) -> String {
    let at = Utc.with_ymd_and_hms(2026, 7, 10, 14, 30, 0).single().expect("time");
    let mut first = None;
    for version in [Version::V4010, Version::V5010] {
        for d in DELIMITERS {
            let mut numbers = ControlNumbers::after(41, 7);
            let bytes = write_interchange(&envelope(version, d), std::slice::from_ref(set), &mut numbers, at)
                .unwrap_or_else(|e| panic!("{} {version:?}: {e}", set.id));
            let segments = read_segments(&bytes).expect("reads back");
            let again = write_to_vec(&segments, d).expect("writes again");
            assert_eq!(again, bytes, "{} {version:?} {d:?}: parse → write is byte-identical", set.id);
            assert_eq!(read_segments(&again).ok(), Some(segments), "parse → write → parse");
            first.get_or_insert_with(|| String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    first.unwrap_or_default()
}

fn body_lines(text: &str) -> Vec<String> {
    text.split('~')
        .filter(|l| {
            !["ISA", "GS*", "ST*", "SE*", "GE*", "IEA", ""]
                .iter()
                .any(|p| l.starts_with(p) && !p.is_empty() || l.is_empty())
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn po_ack_855_line_statuses() {
    let acks = [
        LineAck { line_id: LineId::new("1").expect("id"), status: LineStatus::Accepted, quantity: 6 },
        LineAck { line_id: LineId::new("1").expect("id"), status: LineStatus::Backordered, quantity: 4 },
        LineAck { line_id: LineId::new("2").expect("id"), status: LineStatus::Rejected, quantity: 4 },
    ];
    let day = NaiveDate::from_ymd_opt(2026, 7, 10).expect("date");
    let set = po_ack_855(&order(), &acks, day, &OutboundOptions::default()).expect("builds");
    let text = emit(&set);
    assert_eq!(
        body_lines(&text),
        [
            "BAK*00*AC*PO-1001*20260709*****20260710",
            "N1*ST*ACME DC 7",
            "N3*4100 Industrial Pkwy*Dock 3",
            "N4*Columbus*OH*43215*US",
            "PO1*1*10*EA*9.25**VN*WIDGET-BLUE",
            "ACK*IA*6*EA",
            "ACK*IB*4*EA",
            "PO1*2*4*EA*13.79**VN*WIDGET-RED",
            "ACK*IR*4*EA",
            "CTT*2",
        ]
    );
    let all_in = po_ack_855(&order(), &[], day, &OutboundOptions::default()).expect("builds");
    assert!(emit(&all_in).contains("BAK*00*AD*"));
    let unknown = [LineAck { line_id: LineId::new("9").expect("id"), status: LineStatus::Accepted, quantity: 1 }];
    assert_eq!(
        po_ack_855(&order(), &unknown, day, &OutboundOptions::default()).map(|_| ()).map_err(|e| e.to_string()),
        Err("855: line 9 is not on order edi-acme-PO-1001".to_string())
    );
}

fn shipment() -> Shipment {
    Shipment {
        id: ShipmentId::new("SHP-77").expect("id"),
        location: LocationId::new("DC1").expect("loc"),
        carrier: "UPSN".into(),
        service: Some("GROUND".into()),
        tracking_number: Some("1Z999AA10123456784".into()),
        lines: vec![lq("1", 10), lq("2", 4)],
        shipped_at: Utc.with_ymd_and_hms(2026, 7, 11, 16, 5, 0).single().expect("time"),
        delivered_at: None,
    }
}

fn shape(nodes: &[TreeNode]) -> String {
    nodes
        .iter()
        .map(|n| match n {
            TreeNode::Segment(s) if s.is("HL") => format!("HL{}", s.text(3)),
            TreeNode::Segment(s) => s.name(),
            TreeNode::Loop(l) => format!("[{}]", shape(&l.children)),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn ship_notice_856_hierarchy_and_ssccs() {
    let packs = vec![
        Pack { sscc: Sscc::new(0, "0614141", 1).expect("sscc"), lines: vec![lq("1", 6)] },
        Pack { sscc: Sscc::new(0, "0614141", 2).expect("sscc"), lines: vec![lq("1", 4), lq("2", 4)] },
    ];
    let input =
        AsnInput { order: order(), shipment: shipment(), ship_from: None, bill_of_lading: Some("BOL-5".into()), packs };
    let set = ship_notice_856(&input, &OutboundOptions::default()).expect("builds");
    let text = emit(&set);
    assert!(text.contains("MAN*GM*006141410000000012~"), "{text}");
    assert!(text.contains("MAN*GM*006141410000000029~"), "{text}");
    for man in text.split('~').filter(|l| l.starts_with("MAN*GM*")) {
        assert!(Sscc::parse(&man[7..]).is_ok(), "{man} carries a valid check digit");
    }
    let doc = parse(text.as_bytes()).expect("parses");
    let (_, set) = doc.sets().next().expect("set");
    assert_eq!(
        shape(&set.body),
        "BSN [HLS TD1 TD5 REF REF DTM [N1 N3 N4] [N1] [HLO PRF [HLP MAN [HLI LIN SN1]] [HLP MAN [HLI LIN SN1] [HLI LIN SN1]]]] CTT"
    );
    assert!(text.contains("CTT*7~"));
    let mut short = input.clone();
    short.packs[1].lines.pop();
    assert_eq!(
        ship_notice_856(&short, &OutboundOptions::default()).map(|_| ()).map_err(|e| e.to_string()),
        Err("856: packs hold 0 units of line 2, the shipment ships 4".to_string())
    );
    let flat = AsnInput { packs: Vec::new(), ..input };
    let text = emit(&ship_notice_856(&flat, &OutboundOptions::default()).expect("builds"));
    assert!(text.contains("BSN*00*SHP-77*20260711*1605*0004~"));
}

#[test]
fn invoice_810_totals_and_tax() {
    let tax = Tax { kind: "ST".into(), amount: Money::new(1002, Currency::USD), percent: Some("8.25".into()) };
    let input = InvoiceInput {
        invoice_number: "INV-42".into(),
        invoice_date: NaiveDate::from_ymd_opt(2026, 7, 12).expect("date"),
        order: order(),
        lines: Vec::new(),
        taxes: vec![tax],
        charges: vec![Charge { code: "C310".into(), amount: Money::new(-500, Currency::USD) }],
    };
    let text = emit(&invoice_810(&input, &OutboundOptions::default()).expect("builds"));
    // 10 × 9.25 + 4 × 13.79 = 147.66; + 12.50 freight − 5.00 allowance + 10.02 tax = 165.18.
    assert_eq!(
        body_lines(&text)[4..],
        [
            "IT1*1*10*EA*9.25**VN*WIDGET-BLUE",
            "IT1*2*4*EA*13.79**VN*WIDGET-RED",
            "TDS*16518",
            "TXI*ST*10.02*8.25",
            "SAC*C*D240***1250",
            "SAC*A*C310***500",
            "CTT*2",
        ]
    );
    let partial = InvoiceInput { lines: vec![lq("2", 1)], taxes: Vec::new(), charges: Vec::new(), ..input };
    assert!(emit(&invoice_810(&partial, &OutboundOptions::default()).expect("builds")).contains("TDS*2629~"));
}

#[test]
fn shipping_order_940_carries_line_ids() {
    let input = ShippingOrderInput {
        order: order(),
        warehouse: LocationId::new("3PL-EAST").expect("loc"),
        lines: vec![lq("2", 3)],
        carrier: Some("UPSN".into()),
        ship_by: NaiveDate::from_ymd_opt(2026, 7, 13),
    };
    let text = emit(&shipping_order_940(&input, &OutboundOptions::default()).expect("builds"));
    let lines = body_lines(&text);
    assert_eq!(lines[0], "W05*N*edi-acme-PO-1001*PO-1001");
    assert!(lines.contains(&"N1*WH*3PL-EAST*92*3PL-EAST".to_string()));
    assert!(lines.contains(&"W66*PP*M********UPSN".to_string()));
    assert_eq!(lines[lines.len() - 4..], ["LX*1", "W01*3*EA**VN*WIDGET-RED", "N9*LI*2", "W76*3"]);
}

#[test]
fn availability_846_round_trips_to_counts() {
    let now = Utc.with_ymd_and_hms(2026, 7, 9, 0, 0, 0).single().expect("time");
    let mut a =
        InventoryPosition::empty(Sku::new("WIDGET-BLUE").expect("sku"), LocationId::new("DC1").expect("loc"), now);
    a.on_hand = 40;
    a.reserved = 15;
    a.safety_stock = 5;
    let mut b =
        InventoryPosition::empty(Sku::new("WIDGET-RED").expect("sku"), LocationId::new("DC2").expect("loc"), now);
    b.on_hand = 3;
    let set = availability_846(&[a, b], "AV-1", now.date_naive(), &OutboundOptions::default()).expect("builds");
    let text = emit(&set);
    assert!(text.contains("LIN**VN*WIDGET-BLUE~QTY*33*20*EA~QTY*17*40*EA~N1*WH*DC1*92*DC1~"), "{text}");
    let doc = parse(text.as_bytes()).expect("parses");
    let (_, set) = doc.sets().next().expect("set");
    let counts = inventory_counts(set, &InboundOptions::new("acme")).expect("maps back");
    assert_eq!(
        counts,
        [
            Command::CountInventory {
                sku: Sku::new("WIDGET-BLUE").expect("sku"),
                location: LocationId::new("DC1").expect("loc"),
                counted: 40
            },
            Command::CountInventory {
                sku: Sku::new("WIDGET-RED").expect("sku"),
                location: LocationId::new("DC2").expect("loc"),
                counted: 3
            },
        ]
    );
}

#[test]
fn invalid_output_is_refused() {
    // Identifiers and codes are never rewritten: one too long, or holding a delimiter, is refused.
    let mut long = order();
    long.lines[0].sku = Sku::new("x".repeat(49)).expect("sku");
    let set = po_ack_855(&long, &[], NaiveDate::from_ymd_opt(2026, 7, 10).expect("date"), &OutboundOptions::default())
        .expect("builds");
    let at = Utc.with_ymd_and_hms(2026, 7, 10, 14, 30, 0).single().expect("time");
    let err =
        write_interchange(&envelope(Version::V4010, Delimiters::DEFAULT), &[set], &mut ControlNumbers::after(0, 0), at)
            .expect_err("PO107 is at most 48 characters");
    assert!(err.to_string().contains("element-too-long"), "{err}");
    let mut star = order();
    star.external_id = ExternalId::new("PO*1").expect("po");
    let set = po_ack_855(&star, &[], NaiveDate::from_ymd_opt(2026, 7, 10).expect("date"), &OutboundOptions::default())
        .expect("builds");
    let err =
        write_interchange(&envelope(Version::V4010, Delimiters::DEFAULT), &[set], &mut ControlNumbers::after(0, 0), at)
            .expect_err("a delimiter in data");
    assert!(err.to_string().contains("contains delimiter"), "{err}");
}

/// Names and addresses the hub accepted are fitted to their X12 elements instead of stopping the
/// document: delimiters become spaces, lengths are cut on character boundaries (counted in bytes,
/// as the schemas count them), a spelled-out region is left out of N402, and a long street
/// continues in N302 and a second N3.
#[test]
fn addresses_are_fitted_to_their_elements() {
    let mut o = order();
    let name = format!("Attn: Dock {}", "é".repeat(30)); // 71 bytes, 41 characters
    o.ship_to.name = name.clone();
    o.ship_to.line1 = "Unit 4: 1200 Very Long Industrial Parkway Northwest Extension Building C".into();
    o.ship_to.line2 = Some("Receiving Door 12, Attn: Receiving".into());
    o.ship_to.city = "Ottawa".into();
    o.ship_to.region = Some("Ontario".into());
    o.ship_to.postal_code = "K1A 0B1".into();
    o.ship_to.country = Country::new("CA").expect("country");
    let day = NaiveDate::from_ymd_opt(2026, 7, 10).expect("date");
    let set = po_ack_855(&o, &[], day, &OutboundOptions::default()).expect("builds");
    let at = Utc.with_ymd_and_hms(2026, 7, 10, 14, 30, 0).single().expect("time");
    for d in [Delimiters::DEFAULT, Delimiters::new(b'*', b'>', Some(b'^'), b'~')] {
        let bytes = write_interchange(
            &envelope(Version::V5010, d),
            std::slice::from_ref(&set),
            &mut ControlNumbers::after(0, 0),
            at,
        )
        .unwrap_or_else(|e| panic!("{d:?}: {e}"));
        let text = String::from_utf8(bytes).expect("utf-8");
        let lines = body_lines(&text);
        let party: Vec<&str> = lines.iter().map(String::as_str).filter(|l| l.starts_with('N')).collect();
        // 60 bytes: "Attn  Dock " (11) and 24 "é" (48) is 59; the 25th would split at byte 60.
        let fitted_name = format!("Attn{}Dock {}", if d.component == Some(b':') { "  " } else { ": " }, "é".repeat(24));
        let street = if d.component == Some(b':') { "Unit 4  1200" } else { "Unit 4: 1200" };
        let attn = if d.component == Some(b':') { "Attn  Receiving" } else { "Attn: Receiving" };
        assert_eq!(
            party,
            [
                format!("N1*ST*{fitted_name}"),
                format!("N3*{street} Very Long Industrial Parkway Northwest*Extension Building C"),
                format!("N3*Receiving Door 12, {attn}"),
                "N4*Ottawa**K1A 0B1*CA".to_string(),
            ],
            "{d:?}"
        );
    }
    assert!(name.len() > 60);
}
/// A 3PL's 945 for a 940 it received: every W01 shipped in full, echoing the N9*LI line ids.
fn warehouse_answers(order_940: &str) -> String {
    let doc = parse(order_940.as_bytes()).expect("parses");
    let (_, set) = doc.sets().next().expect("940");
    let segs = set.all_segments();
    let w05 = segs.iter().find(|s| s.is("W05")).expect("W05");
    let mut body = vec![
        format!("W06*F*{}*20260712*SHP-3PL-1**{}", w05.text(2), w05.text(3)),
        "N1*SF*3PL East*92*3PL-EAST".to_string(),
        "W27*M*FDEG*FEDEX GROUND".to_string(),
    ];
    for (n, w01) in segs.iter().filter(|s| s.is("W01")).enumerate() {
        let line =
            segs.iter().skip_while(|s| s.index != w01.index).find(|s| s.is("N9") && s.text(1) == "LI").expect("N9*LI");
        body.push(format!("LX*{}", n + 1));
        body.push(format!("W12*CC*{q}*{q}*0*EA**VN*{}", w01.text(5), q = w01.text(1)));
        body.push(format!("N9*LI*{}", line.text(2)));
    }
    body.push("W03*1".to_string());
    let isa =
        "ISA*00*          *00*          *01*123456789      *ZZ*CROSSDOCK      *260712*0900*U*00401*000000077*0*P*>~";
    format!(
        "{isa}GS*SW*3PL*CROSSDOCK*20260712*0900*77*X*004010~ST*945*0001~{}~SE*{}*0001~GE*1*77~IEA*1*000000077~",
        body.join("~"),
        body.len() + 2
    )
}

#[test]
fn shipping_order_940_to_warehouse_advice_945_round_trip() {
    let input = ShippingOrderInput {
        order: order(),
        warehouse: LocationId::new("3PL-EAST").expect("loc"),
        lines: Vec::new(),
        carrier: None,
        ship_by: None,
    };
    let sent = emit(&shipping_order_940(&input, &OutboundOptions::default()).expect("builds"));
    let answer = warehouse_answers(&sent);
    assert!(crossdock_edi::validate_with_schemas(answer.as_bytes(), crossdock_edi::Mode::Strict).is_valid());
    let mapped = crossdock_edi::to_canonical(answer.as_bytes(), &InboundOptions::new("3pl")).expect("parses");
    let Some(crossdock_edi::Canonical::Shipment { confirmation, .. }) = &mapped[0].canonical else {
        panic!("{:?}", mapped[0].errors)
    };
    let lines: Vec<(LineId, Sku)> = input.order.lines.iter().map(|l| (l.id.clone(), l.sku.clone())).collect();
    let Ok(Command::ConfirmShipment { order_id, lines, location, carrier, .. }) = confirmation.to_command(&lines)
    else {
        panic!("resolves")
    };
    assert_eq!((order_id.as_str(), location.as_str(), carrier.as_str()), ("edi-acme-PO-1001", "3PL-EAST", "FDEG"));
    let shipped: Vec<(&str, u32)> = lines.iter().map(|l| (l.line_id.as_str(), l.quantity.get())).collect();
    assert_eq!(shipped, [("1", 10), ("2", 4)]);
}

#[test]
fn a_940_for_an_order_id_over_22_characters_sends_its_short_reference() {
    let mut long = order();
    long.id = OrderId::new("0193a5b2-7c4e-7f00-8a1b-2c3d4e5f6a7b").expect("a UUID order id");
    long.external_id = ExternalId::new("112-1234567-1234567-GIFT").expect("a 24-character PO");
    let input = ShippingOrderInput {
        order: long,
        warehouse: LocationId::new("3PL-EAST").expect("loc"),
        lines: Vec::new(),
        carrier: None,
        ship_by: None,
    };
    // `emit` writes it through write_interchange, which refuses anything that does not validate strictly.
    let sent = emit(&shipping_order_940(&input, &OutboundOptions::default()).expect("builds"));
    let reference = crossdock_edi::outbound::fit_reference(input.order.id.as_str(), 22);
    let po = crossdock_edi::outbound::fit_reference(input.order.external_id.as_str(), 22);
    assert_eq!(body_lines(&sent)[0], format!("W05*N*{reference}*{po}"));
    // The 945 echoes the reference, and it leads back to the order's id.
    let answer = warehouse_answers(&sent);
    let mapped = crossdock_edi::to_canonical(answer.as_bytes(), &InboundOptions::new("3pl")).expect("parses");
    let Some(crossdock_edi::Canonical::Shipment { confirmation, .. }) = &mapped[0].canonical else {
        panic!("{:?}", mapped[0].errors)
    };
    assert_eq!(confirmation.order_id.as_str(), reference);
    let prefix = crossdock_edi::outbound::shortened_prefix(confirmation.order_id.as_str(), 22).expect("shortened");
    assert!(input.order.id.as_str().starts_with(prefix));
}
