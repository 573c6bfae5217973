//! End to end over a SQLite store and temporary folders: an 850 received, submitted once however often it
//! arrives, acknowledged with a 997 and recorded; a bad file rejected and moved to `failed`; 855 and 856
//! generated from the event log with persisted control numbers; the partner's 997 reconciled; overdue acks;
//! a 940's short reference recorded and a 945 echoing it resolved; an unwritable outbox recording once.

use chrono::{Duration, TimeZone, Utc};
use crossdock_connect::edi::*;
use crossdock_edi::pipeline::InboundIssue;
use crossdock_model::{Command, LineId, LineQuantity, Location, LocationId, OrderId, Quantity, ShipmentId, Sku};
use crossdock_store::{AckState, EdiDirection, InterchangeStatus};
use crossdock_store::{CommandRequest, InterchangeFilter, Store};
use std::path::Path;
use std::sync::Arc;

fn config() -> EdiConfig {
    let toml = r#"{
        "local": { "isa_qualifier": "ZZ", "isa_id": "CROSSDOCK", "gs_id": "CROSSDOCK" },
        "partners": [{
            "id": "acme", "isa_qualifier": "ZZ", "isa_id": "BUYER", "gs_id": "BUYER",
            "documents": ["855", "856"],
            "acks": { "expect": ["997"], "within_minutes": 60, "send": "997" }
        }]
    }"#;
    let config: EdiConfig = serde_json::from_str(toml).expect("config parses");
    config.validate().expect("config is valid");
    config
}

/// An 850 interchange from acme with one PO per number, 2 units of SKU-1 each.
fn po_850(isa: u32, pos: &[u64]) -> Vec<u8> {
    let mut out = format!(
        "ISA*00*          *00*          *ZZ*BUYER          *ZZ*CROSSDOCK      *260709*1200*U*00401*{isa:09}*0*P*>~\n\
         GS*PO*BUYER*CROSSDOCK*20260709*1200*{isa}*X*004010~\n"
    );
    for (n, po) in pos.iter().enumerate() {
        let st = format!("{:04}", n + 1);
        out.push_str(&format!(
            "ST*850*{st}~\nBEG*00*SA*PO{po}**20260709~\nN1*ST*ACME DC 7*92*0007~\nN3*4100 INDUSTRIAL PKWY~\n\
             N4*COLUMBUS*OH*43215*US~\nPO1*1*2*EA*9.25**VN*SKU-1~\nCTT*1~\nSE*8*{st}~\n"
        ));
    }
    out.push_str(&format!("GE*{}*{isa}~\nIEA*1*{isa:09}~\n", pos.len()));
    out.into_bytes()
}

async fn store(dir: &Path) -> Arc<dyn Store> {
    crossdock_store::open(&format!("sqlite://{}", dir.join("store.db").display())).await.expect("store opens")
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 9, 12, 0, 0).single().expect("time")
}

#[tokio::test]
async fn an_850_is_submitted_once_acknowledged_and_recorded() {
    let dir = tempfile::tempdir().expect("dir");
    let store = store(dir.path()).await;
    let config = config();
    let outbox = Outbox(dir.path().join("outbox"));
    let input = po_850(42, &[1001, 1002]);
    let source = || Source { partner: Some("acme"), file: Some("http".into()) };

    let first = receive(store.as_ref(), &config, &input, source(), Some(&outbox), now()).await.expect("received");
    assert_eq!((first.status, first.sets, first.accepted_sets), (InterchangeStatus::Accepted, 2, 2), "{first:?}");
    assert_eq!((first.commands, first.replayed), (2, 0));
    let ack = String::from_utf8(first.ack.clone().expect("a 997")).expect("text");
    assert!(ack.contains("AK1*PO*42") && ack.contains("AK9*A*2*2*2"), "{ack}");
    assert!(ack.contains("*ZZ*CROSSDOCK      *ZZ*BUYER          *"), "addressed back to the sender: {ack}");
    assert!(Path::new(first.ack_file.as_deref().expect("written")).exists());
    assert!(store.order(&OrderId::new("edi-acme-PO1001").unwrap()).await.unwrap().is_some());

    // The same file again changes nothing but is recorded and acknowledged again, with a new ISA13.
    let again = receive(store.as_ref(), &config, &input, source(), Some(&outbox), now()).await.expect("received");
    assert_eq!((again.status, again.replayed), (InterchangeStatus::Accepted, 2));
    assert_ne!(isa_control(&first.ack.unwrap()), isa_control(&again.ack.unwrap()), "control numbers are not reused");

    let inbound = InterchangeFilter { direction: Some(EdiDirection::Inbound), ..Default::default() };
    let records = store.list_interchanges(&inbound).await.unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].isa_control, "000000042");
    assert_eq!(records[1].set_ids(), ["850", "850"]);
    assert_eq!(records[1].ack_control.as_deref(), Some("000000001"));
    let sent = store.interchange(first.ack_id.unwrap()).await.unwrap().unwrap();
    assert_eq!(
        (sent.direction, sent.ack_state, sent.set_ids()),
        (EdiDirection::Outbound, AckState::NotExpected, vec!["997".to_string()])
    );

    // Wrong SE01: the set is rejected (AK5*R), nothing is submitted, the record says why.
    let bad = String::from_utf8(po_850(43, &[2001])).unwrap().replace("SE*8*0001", "SE*9*0001");
    let out = receive(store.as_ref(), &config, bad.as_bytes(), source(), None, now()).await.expect("received");
    assert_eq!((out.status, out.commands), (InterchangeStatus::Rejected, 0));
    assert!(String::from_utf8(out.ack.unwrap()).unwrap().contains("AK5*R*4"));
    assert!(store.order(&OrderId::new("edi-acme-PO2001").unwrap()).await.unwrap().is_none());
    let record = store.interchange(out.interchange_id).await.unwrap().unwrap();
    assert_eq!(record.errors[0]["stage"], "validation");
    assert_eq!(record.errors[0]["x12_code"], serde_json::json!({"level": "set", "code": "4"}));

    // Sent by someone else than the partner named: refused, nothing recorded.
    let other = String::from_utf8(input.clone()).unwrap().replace("ZZ*BUYER          ", "ZZ*STRANGER       ");
    let refused = receive(store.as_ref(), &config, other.as_bytes(), source(), None, now()).await;
    assert!(matches!(refused, Err(EdiError::Refused(_))), "{refused:?}");
}

#[tokio::test]
async fn inbox_files_move_to_processed_or_failed() {
    let dir = tempfile::tempdir().expect("dir");
    let store = store(dir.path()).await;
    let root = dir.path().join("edi");
    let folders = PartnerFolders::new(&root, "acme");
    folders.create().unwrap();
    std::fs::write(folders.inbox.join("a-good.x12"), po_850(7, &[3001])).unwrap();
    std::fs::write(folders.inbox.join("b-garbage.x12"), b"not x12 at all").unwrap();
    std::fs::write(folders.inbox.join(".c-partial.x12"), b"ISA*00").unwrap();
    std::fs::write(folders.inbox.join("d-upload.x12.part"), b"ISA*00").unwrap();
    std::fs::write(folders.inbox.join("e-upload.tmp"), b"ISA*00").unwrap();
    // Over the file inbox's cap (sparse: no disk used): moved to failed unread.
    let huge = std::fs::File::create(folders.inbox.join("f-huge.x12")).unwrap();
    huge.set_len(crossdock_connect::inbound::file::MAX_FILE_BYTES + 1).unwrap();
    drop(huge);

    let outcomes = poll_inboxes(store.as_ref(), &config(), &root, now()).await;
    assert_eq!(outcomes.len(), 3, "files still being written (the file inbox's names) are left alone");
    assert!(outcomes[0].result.is_ok() && outcomes[1].result.is_err());
    assert!(matches!(outcomes[2].result, Err(EdiError::TooLarge { .. })), "{:?}", outcomes[2].result);
    assert!(folders.processed.join("a-good.x12").exists());
    assert!(folders.failed.join("b-garbage.x12").exists());
    assert!(folders.failed.join("b-garbage.x12.error").exists());
    assert!(folders.failed.join("f-huge.x12").exists());
    let note = std::fs::read_to_string(folders.failed.join("f-huge.x12.error")).unwrap();
    assert!(note.contains("the file is larger than 268435456 bytes"), "{note}");
    for name in [".c-partial.x12", "d-upload.x12.part", "e-upload.tmp"] {
        assert!(folders.inbox.join(name).exists(), "{name}");
    }
    let acks: Vec<_> = std::fs::read_dir(&folders.outbox.0).unwrap().flatten().collect();
    assert_eq!(acks.len(), 1);
    assert!(!acks[0].file_name().to_string_lossy().starts_with('.'), "no temporary file is left behind");
}

fn location() -> Location {
    serde_json::from_value(serde_json::json!({
        "id": "DC1", "name": "DC 1", "kind": "warehouse", "coordinates": { "lat": 39.96, "lon": -83.0 }
    }))
    .expect("a location")
}

/// ISA13 of an interchange.
fn isa_control(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).split('*').nth(13).unwrap_or_default().to_string()
}

/// Location DC1 with 10 units of SKU-1.
async fn stock_dc1(store: &dyn Store) -> LocationId {
    submit(store, "loc", Command::UpsertLocation { location: location() }).await;
    let (sku, dc1) = (Sku::new("SKU-1").unwrap(), LocationId::new("DC1").unwrap());
    let stock = Command::AdjustInventory { sku, location: dc1.clone(), delta: 10, reason: "receipt".into() };
    submit(store, "stock", stock).await;
    dc1
}

/// Allocates line 1 of `order_id` (2 units) at `location` unless sourcing already did, and releases it.
async fn allocate_and_release(store: &dyn Store, order_id: &OrderId, location: &LocationId) {
    let order = store.order(order_id).await.unwrap().expect("placed");
    if order.lines[0].quantities.allocated == 0 {
        let allocation = crossdock_model::Allocation {
            line_id: LineId::new("1").unwrap(),
            location: location.clone(),
            quantity: Quantity::new(2).unwrap(),
        };
        let allocate = Command::AllocateLines { order_id: order_id.clone(), allocations: vec![allocation] };
        submit(store, "alloc", allocate).await;
    }
    submit(store, "release", Command::ReleaseToWarehouse { order_id: order_id.clone(), location: None }).await;
}

async fn submit(store: &dyn Store, key: &str, command: Command) {
    let request = CommandRequest {
        idempotency_key: key.into(),
        command,
        actor: "test".into(),
        expected_version: None,
        origin: Default::default(),
    };
    store.submit(request).await.unwrap_or_else(|e| panic!("{key}: {e}"));
}

#[tokio::test]
async fn acceptance_and_shipment_go_out_as_855_and_856_and_the_997_reconciles() {
    let dir = tempfile::tempdir().expect("dir");
    let store = store(dir.path()).await;
    let config = config();
    let root = dir.path().join("edi");
    let dc1 = stock_dc1(store.as_ref()).await;
    // Start the outbound cursor at the head: what happened before is not sent.
    let first = send_from_events(store.as_ref(), &config, &root, 100, now()).await.unwrap();
    assert!(first.sent.is_empty());

    receive(store.as_ref(), &config, &po_850(50, &[4001]), Source::default(), None, now()).await.unwrap();
    let order_id = OrderId::new("edi-acme-PO4001").unwrap();
    allocate_and_release(store.as_ref(), &order_id, &dc1).await;
    let ship = Command::ConfirmShipment {
        order_id: order_id.clone(),
        shipment_id: ShipmentId::new("SHIP-1").unwrap(),
        location: dc1,
        carrier: "UPSN".into(),
        service: None,
        tracking_number: Some("1Z999".into()),
        lines: vec![LineQuantity { line_id: LineId::new("1").unwrap(), quantity: Quantity::new(2).unwrap() }],
        shipped_at: now(),
    };
    submit(store.as_ref(), "ship", ship).await;

    let report = send_from_events(store.as_ref(), &config, &root, 100, now()).await.unwrap();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.sent.len(), 2, "an 855 and an 856: {report:?}");
    let ack855 = store.interchange(report.sent[0]).await.unwrap().unwrap();
    let asn = store.interchange(report.sent[1]).await.unwrap().unwrap();
    assert_eq!((ack855.set_ids(), asn.set_ids()), (vec!["855".to_string()], vec!["856".to_string()]));
    assert_eq!((ack855.isa_control.as_str(), asn.isa_control.as_str()), ("000000002", "000000003"), "after the 997's");
    assert_eq!((asn.ack_state, asn.ack_due_at), (AckState::Expected, Some(now() + Duration::minutes(60))));
    assert!(Path::new(asn.file.as_deref().unwrap()).exists());
    let again = send_from_events(store.as_ref(), &config, &root, 100, now()).await.unwrap();
    assert!(again.sent.is_empty() && again.events == 0, "the cursor moved past them");

    // The partner accepts the 855 and rejects the 856; both records learn it from one 997.
    let gs = |r: &crossdock_store::InterchangeRecord| r.groups[0].control.clone();
    let ack = format!(
        "ISA*00*          *00*          *ZZ*BUYER          *ZZ*CROSSDOCK      *260709*1300*U*00401*000000900*0*P*>~\
         GS*FA*BUYER*CROSSDOCK*20260709*1300*900*X*004010~\
         ST*997*0001~AK1*PR*{}~AK2*855*0001~AK5*A~AK9*A*1*1*1~SE*6*0001~\
         ST*997*0002~AK1*SH*{}~AK2*856*0001~AK5*R*5~AK9*R*1*1*0~SE*6*0002~\
         GE*2*900~IEA*1*000000900~",
        gs(&ack855),
        gs(&asn)
    );
    let later = now() + Duration::minutes(5);
    let out = receive(store.as_ref(), &config, ack.as_bytes(), Source::default(), None, later).await.unwrap();
    assert_eq!(out.acknowledged, vec![ack855.id, asn.id]);
    assert!(out.ack.is_none(), "acknowledgements are not acknowledged");
    let ack855 = store.interchange(ack855.id).await.unwrap().unwrap();
    let asn = store.interchange(asn.id).await.unwrap().unwrap();
    assert_eq!((ack855.status, ack855.ack_state), (InterchangeStatus::Accepted, AckState::Received));
    assert_eq!((asn.status, asn.ack_state), (InterchangeStatus::Rejected, AckState::Received));
    assert_eq!(asn.ack_control.as_deref(), Some("000000900"));

    // Nothing is left waiting, so nothing turns overdue; a fresh 855 does after its hour.
    assert!(mark_overdue(store.as_ref(), later + Duration::hours(2)).await.unwrap().is_empty());
}

/// The commands of a received interchange are audited as the partner (`system:edi:<partner>`, source the
/// file), and the stored copy of the interchange is sealed (its addresses are not in the database file).
#[tokio::test]
async fn received_commands_are_audited_as_the_partner_and_the_stored_copy_is_sealed() {
    let db = crossdock_store::testing::sqlite().expect("temporary folder");
    let store = db.open_store().await;
    let input = po_850(77, &[3001]);
    let source = Source { partner: Some("acme"), file: Some("inbox/acme/po-77.x12".into()) };
    let out = receive(store.as_ref(), &config(), &input, source, None, now()).await.expect("received");
    assert_eq!(out.commands, 1);

    let filter = crossdock_store::AuditFilter { actor: Some("system:edi:acme".into()), ..Default::default() };
    let entries = store.audit_entries(&filter).await.unwrap();
    let summary: Vec<_> = entries
        .iter()
        .map(|e| (e.fields.command.as_str(), e.fields.aggregate.as_str(), e.fields.source.as_deref()))
        .collect();
    assert_eq!(summary, [("place_order", "order:edi-acme-PO3001", Some("inbox/acme/po-77.x12"))]);

    assert_eq!(store.interchange(out.interchange_id).await.unwrap().unwrap().raw, input, "read back whole");
    let mut raw = Vec::new();
    for entry in std::fs::read_dir(db.sqlite_dir().unwrap()).unwrap() {
        raw.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    let find = |needle: &str| raw.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(find("000000077"), "the record is in the file");
    assert!(!find("4100 INDUSTRIAL PKWY") && !find("ACME DC 7"), "the ship-to is stored in plaintext");
}

/// An outbox that cannot be written stops the pass before the event: the cursor stays, and the document
/// goes out on the first pass after the outbox is fixed.
#[tokio::test]
async fn a_blocked_outbox_holds_the_cursor_until_it_can_be_written() {
    let dir = tempfile::tempdir().expect("dir");
    let store = store(dir.path()).await;
    let config = config();
    let root = dir.path().join("edi");
    let start = send_from_events(store.as_ref(), &config, &root, 100, now()).await.unwrap();
    receive(store.as_ref(), &config, &po_850(60, &[5001]), Source::default(), None, now()).await.unwrap();

    // A plain file where the outbox folder should be: creating the folder fails.
    let outbox = PartnerFolders::new(&root, "acme").outbox.0;
    std::fs::create_dir_all(outbox.parent().unwrap()).unwrap();
    std::fs::write(&outbox, b"in the way").unwrap();
    let blocked = send_from_events(store.as_ref(), &config, &root, 100, now()).await.unwrap();
    assert!(blocked.sent.is_empty(), "{blocked:?}");
    assert!(blocked.blocked.as_deref().is_some_and(|b| b.starts_with("acme: 855 for order")), "{blocked:?}");
    assert_eq!((blocked.events, blocked.cursor), (0, start.cursor), "the cursor stays before the event");

    std::fs::remove_file(&outbox).unwrap();
    let sent = send_from_events(store.as_ref(), &config, &root, 100, now()).await.unwrap();
    assert_eq!(sent.sent.len(), 1, "the 855 goes out once the outbox can be written: {sent:?}");
    assert!(sent.blocked.is_none() && sent.failed.is_empty() && sent.cursor > start.cursor, "{sent:?}");
}

/// Recording a received interchange fails: no 997 has gone out, so receiving it again (the input stays in
/// the inbox) leaves exactly one 997 in the outbox.
#[tokio::test]
async fn a_recording_failure_leaves_no_acknowledgement_behind() {
    let dir = tempfile::tempdir().expect("dir");
    let store = store(dir.path()).await;
    let config = config();
    let outbox = Outbox(dir.path().join("outbox"));
    // A second connection to the store's database makes recording interchanges fail until dropped.
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", dir.path().join("store.db").display())).await.unwrap();
    sqlx::query(
        "CREATE TRIGGER fail_once BEFORE INSERT ON edi_interchanges BEGIN SELECT RAISE(ABORT, 'injected'); END",
    )
    .execute(&db)
    .await
    .unwrap();
    let input = po_850(88, &[6001]);
    let source = || Source { partner: Some("acme"), file: Some("inbox/acme/po-88.x12".into()) };
    let failed = receive(store.as_ref(), &config, &input, source(), Some(&outbox), now()).await;
    assert!(matches!(failed, Err(EdiError::Store(_))), "{failed:?}");
    let written = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir(&outbox.0).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default()
    };
    assert!(written().is_empty(), "no 997 before the input is recorded");

    sqlx::query("DROP TRIGGER fail_once").execute(&db).await.unwrap();
    let received = receive(store.as_ref(), &config, &input, source(), Some(&outbox), now()).await.expect("received");
    assert_eq!(written(), [std::path::PathBuf::from(received.ack_file.clone().expect("a 997"))]);
    let recorded = store.interchange(received.ack_id.unwrap()).await.unwrap().unwrap();
    assert_eq!(recorded.file, received.ack_file, "the record names the file written");
    assert_eq!(std::fs::read(&written()[0]).unwrap(), received.ack.unwrap());
}

/// A store with a 3PL partner (`tpl`, warehouse DC1) beside acme, and acme's order `edi-acme-PO2026000123456`
/// (over W0502's 22 characters) released to DC1: the 940 sent, and the short reference its W0502 carried.
async fn long_order_sent_to_the_3pl(dir: &Path) -> (Arc<dyn Store>, EdiConfig, OrderId, String) {
    let store = store(dir).await;
    let mut config = config();
    let tpl = r#"{"id": "tpl", "isa_qualifier": "ZZ", "isa_id": "THREEPL", "gs_id": "THREEPL",
                  "documents": ["940"], "warehouses": ["DC1"]}"#;
    config.partners.push(serde_json::from_str(tpl).expect("partner parses"));
    config.validate().expect("config is valid");
    let root = dir.join("edi");
    let dc1 = stock_dc1(store.as_ref()).await;
    send_from_events(store.as_ref(), &config, &root, 100, now()).await.unwrap();

    receive(store.as_ref(), &config, &po_850(51, &[2026000123456]), Source::default(), None, now()).await.unwrap();
    let order_id = OrderId::new("edi-acme-PO2026000123456").unwrap();
    assert!(order_id.as_str().len() > 22);
    allocate_and_release(store.as_ref(), &order_id, &dc1).await;
    let report = send_from_events(store.as_ref(), &config, &root, 100, now()).await.unwrap();
    assert!(report.failed.is_empty() && report.blocked.is_none(), "{report:?}");
    let mut sent_940 = None;
    for id in &report.sent {
        let record = store.interchange(*id).await.unwrap().unwrap();
        if record.set_ids() == ["940"] {
            sent_940 = Some(std::fs::read_to_string(record.file.expect("written")).unwrap());
        }
    }
    let sent_940 = sent_940.expect("a 940 went to the 3PL");
    let w05 = sent_940.split('~').map(str::trim).find(|s| s.starts_with("W05*")).expect("W05");
    let reference = w05.split('*').nth(2).unwrap().to_string();
    assert_eq!(reference, crossdock_edi::outbound::fit_reference(order_id.as_str(), 22), "{w05}");
    (store, config, order_id, reference)
}

/// The 3PL's 945 for the 940 sent with `reference`: 2 units of line 1 shipped from DC1.
fn advice_945(reference: &str) -> String {
    let body = [
        format!("W06*F*{reference}*20260709*SHP-3PL-1"),
        "N1*SF*3PL East*92*DC1".to_string(),
        "W27*M*FDEG".to_string(),
        "LX*1".to_string(),
        "W12*CC*2*2*0*EA**VN*SKU-1".to_string(),
        "N9*LI*1".to_string(),
        "W03*2".to_string(),
    ];
    format!(
        "ISA*00*          *00*          *ZZ*THREEPL        *ZZ*CROSSDOCK      *260709*1300*U*00401*000000071*0*P*>~\
         GS*SW*THREEPL*CROSSDOCK*20260709*1300*71*X*004010~ST*945*0001~{}~SE*{}*0001~GE*1*71~IEA*1*000000071~",
        body.join("~"),
        body.len() + 2
    )
}

/// An order id over W0502's 22 characters (`edi-acme-PO2026000123456`) goes to a 3PL as its short
/// reference; the 945 that echoes the reference in W0602 confirms the shipment of that order.
#[tokio::test]
async fn a_945_echoing_the_short_reference_of_a_long_order_id_ships_that_order() {
    let dir = tempfile::tempdir().expect("dir");
    let (store, config, order_id, reference) = long_order_sent_to_the_3pl(dir.path()).await;
    let advice = advice_945(&reference);
    let received = receive(store.as_ref(), &config, advice.as_bytes(), Source::default(), None, now()).await.unwrap();
    assert!(received.issues.is_empty(), "{:?}", received.issues);
    let shipped = store.order(&order_id).await.unwrap().expect("the order");
    assert_eq!(shipped.shipments.len(), 1, "the 945 confirmed the long-id order's shipment");
    assert_eq!(shipped.lines[0].quantities.shipped, 2);
}

/// The short reference is recorded when the 940 is sent, so the 945 finds its order by lookup however many
/// orders share its prefix: here 100 001 ids of acme orders sort before it, more than the scan of the
/// orders sharing the prefix (kept for 940s sent before references were recorded) would hash.
#[tokio::test]
async fn a_945_resolves_the_recorded_reference_past_any_number_of_orders_sharing_its_prefix() {
    let dir = tempfile::tempdir().expect("dir");
    let (store, config, order_id, reference) = long_order_sent_to_the_3pl(dir.path()).await;
    assert_eq!(store.referenced_order("tpl", &reference).await.unwrap(), Some(order_id.clone()));
    assert!(store.referenced_order("acme", &reference).await.unwrap().is_none(), "recorded for the 3PL only");
    // Only the ids matter to the scan: rows written straight into the projection stand for the orders.
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", dir.path().join("store.db").display())).await.unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100001) \
         INSERT INTO orders (id, channel, external_id, status, updated_at, last_seq, version, state) \
         SELECT printf('edi-acme-A%07d', i), 'edi:acme', printf('A%07d', i), 'created', '', 0, 0, '{}' FROM n",
    )
    .execute(&db)
    .await
    .unwrap();
    let before = store.order_ids_with_prefix("edi-acme-", 100_000).await.unwrap();
    assert!(!before.contains(&order_id), "the order is past the scan's reach");

    let advice = advice_945(&reference);
    let received = receive(store.as_ref(), &config, advice.as_bytes(), Source::default(), None, now()).await.unwrap();
    assert!(received.issues.is_empty(), "{:?}", received.issues);
    let shipped = store.order(&order_id).await.unwrap().expect("the order");
    assert_eq!(shipped.lines[0].quantities.shipped, 2, "the 945 confirmed the long-id order's shipment");
}

/// An outbox that cannot be written when an 850 arrives: the 850 and its 997 are recorded once, and
/// receiving the same input again once the outbox is fixed writes that 997 (its control number, its path)
/// instead of recording the input and a new 997 on every try.
#[tokio::test]
async fn an_unwritable_outbox_records_the_input_and_its_997_once() {
    let dir = tempfile::tempdir().expect("dir");
    let store = store(dir.path()).await;
    let config = config();
    let outbox = Outbox(dir.path().join("outbox"));
    // A plain file where the outbox folder should be: writing into it fails.
    std::fs::write(&outbox.0, b"in the way").unwrap();
    let input = po_850(89, &[6101]);
    let source = || Source { partner: Some("acme"), file: Some("inbox/acme/po-89.x12".into()) };
    for _ in 0..2 {
        let failed = receive(store.as_ref(), &config, &input, source(), Some(&outbox), now()).await;
        assert!(matches!(failed, Err(EdiError::Io { .. })), "{failed:?}");
    }
    let records = |direction| {
        let store = store.clone();
        async move {
            let filter = InterchangeFilter { direction: Some(direction), ..Default::default() };
            store.list_interchanges(&filter).await.unwrap()
        }
    };
    let (inbound, acks) = (records(EdiDirection::Inbound).await, records(EdiDirection::Outbound).await);
    assert_eq!((inbound.len(), acks.len()), (1, 1), "recorded once: {inbound:?} {acks:?}");
    assert_eq!((inbound[0].ack_control.as_deref(), acks[0].isa_control.as_str()), (Some("000000001"), "000000001"));

    std::fs::remove_file(&outbox.0).unwrap();
    let received = receive(store.as_ref(), &config, &input, source(), Some(&outbox), now()).await.expect("received");
    assert_eq!((received.interchange_id, received.ack_id), (inbound[0].id, Some(acks[0].id)));
    assert_eq!((received.status, received.replayed), (InterchangeStatus::Accepted, 1));
    assert_eq!(received.ack_file, acks[0].file, "written where it was recorded to go");
    let written: Vec<_> = std::fs::read_dir(&outbox.0).unwrap().flatten().map(|e| e.path()).collect();
    assert_eq!(written, [std::path::PathBuf::from(acks[0].file.clone().expect("a path"))]);
    let bytes = std::fs::read(&written[0]).unwrap();
    assert_eq!(isa_control(&bytes), "000000001", "the control number first recorded");
    assert!(String::from_utf8_lossy(&bytes).contains("AK1*PO*89"));
    assert_eq!((records(EdiDirection::Inbound).await.len(), records(EdiDirection::Outbound).await.len()), (1, 1));

    // Once written, the same input is a resent file: recorded and acknowledged again, with a new ISA13.
    let again = receive(store.as_ref(), &config, &input, source(), Some(&outbox), now()).await.expect("received");
    assert_ne!(again.interchange_id, inbound[0].id);
    assert_eq!(isa_control(&again.ack.expect("a 997")), "000000002");
    assert_eq!((records(EdiDirection::Inbound).await.len(), records(EdiDirection::Outbound).await.len()), (2, 2));
}

/// The EDI root moved while a 997 was unwritten: it is written under its recorded file name into the outbox
/// as configured now, not to the path recorded under the old root.
#[tokio::test]
async fn an_unwritten_997_goes_to_the_outbox_configured_now() {
    let dir = tempfile::tempdir().expect("dir");
    let store = store(dir.path()).await;
    let config = config();
    let old = Outbox(dir.path().join("old-root").join("outbox"));
    std::fs::create_dir_all(dir.path().join("old-root")).unwrap();
    std::fs::write(&old.0, b"in the way").unwrap();
    let input = po_850(90, &[6102]);
    let source = || Source { partner: Some("acme"), file: Some("inbox/acme/po-90.x12".into()) };
    let failed = receive(store.as_ref(), &config, &input, source(), Some(&old), now()).await;
    assert!(matches!(failed, Err(EdiError::Io { .. })), "{failed:?}");
    std::fs::remove_file(&old.0).unwrap();

    let new = Outbox(dir.path().join("new-root").join("outbox"));
    let received = receive(store.as_ref(), &config, &input, source(), Some(&new), now()).await.expect("received");
    let written: Vec<_> = std::fs::read_dir(&new.0).unwrap().flatten().map(|e| e.path()).collect();
    assert_eq!(written.len(), 1, "{written:?}");
    assert_eq!(received.ack_file, Some(written[0].display().to_string()), "the path written is reported");
    assert_eq!(isa_control(&std::fs::read(&written[0]).unwrap()), "000000001", "the 997 first recorded");
    assert!(!old.0.exists(), "nothing under the old root");
}

/// A lenient partner's file holding its 850 interchange twice (as node-x12's 850_fat.edi does): the copy
/// replays the first's command, so the file is accepted with one order placed, not refused as a repeat of
/// an order it placed itself.
#[tokio::test]
async fn a_lenient_partners_file_repeating_its_interchange_is_accepted_with_one_order() {
    let dir = tempfile::tempdir().expect("dir");
    let store = store(dir.path()).await;
    let mut config = config();
    config.partners[0].lenient = true;
    let input = [po_850(42, &[1001]), po_850(42, &[1001])].concat();
    let source = Source { partner: Some("acme"), file: None };
    let out = receive(store.as_ref(), &config, &input, source, None, now()).await.expect("received");
    assert_eq!((out.status, out.sets, out.accepted_sets), (InterchangeStatus::Accepted, 2, 2), "{out:?}");
    assert_eq!((out.commands, out.replayed), (2, 1));
    assert!(!out.issues.iter().any(|i| matches!(i, InboundIssue::Submission { .. })), "{:?}", out.issues);
    let ack = String::from_utf8(out.ack.expect("a 997")).expect("text");
    assert!(!ack.contains("AK5*R"), "{ack}");
    assert!(store.order(&OrderId::new("edi-acme-PO1001").unwrap()).await.unwrap().is_some());
}

/// A refused command rejects its own set only: two interchanges whose sets share ST01/ST02 (0001), the
/// second ordering a PO the first placed, leave the first's set accepted.
#[tokio::test]
async fn a_refused_command_rejects_only_the_set_it_came_from() {
    let dir = tempfile::tempdir().expect("dir");
    let store = store(dir.path()).await;
    let input = [po_850(42, &[1001]), po_850(43, &[1001])].concat();
    let source = Source { partner: Some("acme"), file: None };
    let out = receive(store.as_ref(), &config(), &input, source, None, now()).await.expect("received");
    assert_eq!((out.status, out.sets, out.accepted_sets), (InterchangeStatus::PartiallyAccepted, 2, 1), "{out:?}");
    let refused: Vec<&str> = out
        .issues
        .iter()
        .filter_map(|i| if let InboundIssue::Submission { key, .. } = i { Some(key.as_str()) } else { None })
        .collect();
    assert_eq!(refused, ["edi:acme:000000043:43:0001"]);
    assert!(store.order(&OrderId::new("edi-acme-PO1001").unwrap()).await.unwrap().is_some());
}
