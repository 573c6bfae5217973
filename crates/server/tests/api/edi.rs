//! EDI routes: an X12 file posted by a partner is submitted, acknowledged and recorded; interchanges are
//! listed (filtered, paged) and read with their raw X12; refusals are problems naming what is wrong.

use crate::helpers::{call, make_key, request, test_state};
use axum::body::Body;
use axum::http::{Method, Request};
use crossdock_connect::edi::EdiConfig;
use std::sync::Arc;

fn config(folders: Option<&std::path::Path>) -> EdiConfig {
    let mut config: EdiConfig = serde_json::from_value(serde_json::json!({
        "local": { "isa_qualifier": "ZZ", "isa_id": "CROSSDOCK", "gs_id": "CROSSDOCK" },
        "partners": [{ "id": "acme", "isa_qualifier": "ZZ", "isa_id": "BUYER", "gs_id": "BUYER" }]
    }))
    .expect("config");
    config.folders = folders.map(|f| f.display().to_string());
    config
}

fn po_850(isa: u32, po: u32) -> String {
    format!(
        "ISA*00*          *00*          *ZZ*BUYER          *ZZ*CROSSDOCK      *260709*1200*U*00401*{isa:09}*0*P*>~\n\
         GS*PO*BUYER*CROSSDOCK*20260709*1200*{isa}*X*004010~\nST*850*0001~\nBEG*00*SA*PO{po}**20260709~\n\
         N1*ST*ACME DC 7*92*0007~\nN3*4100 INDUSTRIAL PKWY~\nN4*COLUMBUS*OH*43215*US~\nPO1*1*2*EA*9.25**VN*SKU-1~\n\
         CTT*1~\nSE*8*0001~\nGE*1*{isa}~\nIEA*1*{isa:09}~\n"
    )
}

fn post_x12(path: &str, key: Option<&str>, body: &str) -> Request<Body> {
    let mut builder = Request::builder().method(Method::POST).uri(path).header("content-type", "application/edi-x12");
    if let Some(key) = key {
        builder = builder.header("authorization", format!("Bearer {key}"));
    }
    builder.body(Body::from(body.to_string())).expect("request")
}

#[tokio::test]
async fn a_posted_850_is_received_acknowledged_and_listed() {
    let mut t = test_state().await;
    let dir = tempfile::tempdir().expect("dir");
    let reply = call(&t.state, post_x12("/v1/edi/acme", Some(&t.admin), &po_850(1, 1))).await;
    reply.problem(404, "edi_not_configured");
    t.state.edi = Some(Arc::new(config(Some(dir.path()))));

    let writer = make_key(t.state.store.as_ref(), &["edi:write"]).await;
    let reply = call(&t.state, post_x12("/v1/edi/acme", Some(&writer), &po_850(42, 1001))).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["status"], "accepted");
    assert_eq!((reply.body["sets"].as_u64(), reply.body["commands"].as_u64()), (Some(1), Some(1)));
    assert!(reply.body["ack"].as_str().unwrap().contains("AK9*A*1*1*1"), "{}", reply.body);
    let outbox: Vec<_> = std::fs::read_dir(dir.path().join("acme/outbox")).unwrap().flatten().collect();
    assert_eq!(outbox.len(), 1, "the 997 is dropped in the partner's outbox too");
    let inbound_id = reply.body["interchange_id"].as_i64().unwrap();

    // A rejected interchange is recorded and answered 200 with its status and issues.
    let bad = po_850(43, 1002).replace("SE*8*0001", "SE*7*0001");
    let reply = call(&t.state, post_x12("/v1/edi/acme", Some(&writer), &bad)).await;
    assert_eq!((reply.status.as_u16(), reply.body["status"].as_str()), (200, Some("rejected")));
    assert_eq!(reply.body["issues"][0]["position"]["segment_id"], "SE");
    assert_eq!(reply.body["issues"][0]["x12_code"]["code"], "4");

    let reader = make_key(t.state.store.as_ref(), &["edi:read"]).await;
    let list = call(&t.state, request(Method::GET, "/v1/edi/interchanges", Some(&reader), None)).await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 4, "two received, two 997s sent");
    let path = "/v1/edi/interchanges?direction=inbound&partner=acme&limit=1";
    let page = call(&t.state, request(Method::GET, path, Some(&reader), None)).await;
    assert_eq!(page.body["items"][0]["status"], "rejected", "newest first");
    let cursor = page.body["next_cursor"].as_str().expect("a next page").to_string();
    let next = format!("{path}&cursor={cursor}");
    let page = call(&t.state, request(Method::GET, &next, Some(&reader), None)).await;
    assert_eq!(page.body["items"][0]["id"], inbound_id);
    assert_eq!(page.body["items"][0]["set_ids"], serde_json::json!(["850"]));
    assert!(page.body["next_cursor"].is_null());
    let sent = "/v1/edi/interchanges?direction=outbound&ack_state=not_expected";
    let acks = call(&t.state, request(Method::GET, sent, Some(&reader), None)).await;
    assert_eq!(acks.body["items"].as_array().unwrap().len(), 2);
    let bad_filter =
        call(&t.state, request(Method::GET, "/v1/edi/interchanges?status=lost", Some(&reader), None)).await;
    assert_eq!(bad_filter.problem(400, "invalid_parameter")["parameter"], "status");

    let one =
        call(&t.state, request(Method::GET, &format!("/v1/edi/interchanges/{inbound_id}"), Some(&reader), None)).await;
    assert_eq!(one.status, 200);
    // The raw X12 names people and addresses (N1/N3/N4): withheld from a key without pii:read.
    assert_eq!(one.body["raw"], "[requires pii:read]", "{}", one.body);
    assert_eq!(one.body["ack_control"], "000000001");
    let pii_reader = make_key(t.state.store.as_ref(), &["edi:read", "pii:read"]).await;
    let path = format!("/v1/edi/interchanges/{inbound_id}");
    let plain = call(&t.state, request(Method::GET, &path, Some(&pii_reader), None)).await;
    let raw = plain.body["raw"].as_str().unwrap();
    assert!(raw.starts_with("ISA*00*") && raw.contains("N3*4100 INDUSTRIAL PKWY"), "{}", plain.body);
    let missing = call(&t.state, request(Method::GET, "/v1/edi/interchanges/999", Some(&reader), None)).await;
    missing.problem(404, "interchange_not_found");

    // Scopes: reading does not grant writing; no key is a 401.
    call(&t.state, post_x12("/v1/edi/acme", Some(&reader), &po_850(44, 1003))).await.problem(403, "insufficient_scope");
    call(&t.state, post_x12("/v1/edi/acme", None, &po_850(44, 1003))).await.problem(401, "missing_api_key");
    call(&t.state, request(Method::GET, "/v1/edi/interchanges", Some(&writer), None))
        .await
        .problem(403, "insufficient_scope");
}

#[tokio::test]
async fn unknown_partners_strangers_and_garbage_are_refused() {
    let mut t = test_state().await;
    t.state.edi = Some(Arc::new(config(None)));
    let admin = t.admin.clone();
    call(&t.state, post_x12("/v1/edi/nobody", Some(&admin), &po_850(1, 1))).await.problem(404, "partner_not_found");
    let stranger = po_850(1, 1).replace("ZZ*BUYER          ", "ZZ*STRANGER       ");
    let reply = call(&t.state, post_x12("/v1/edi/acme", Some(&admin), &stranger)).await;
    assert!(reply.problem(422, "wrong_sender")["detail"].as_str().unwrap().contains("STRANGER"));
    call(&t.state, post_x12("/v1/edi/acme", Some(&admin), "hello")).await.problem(422, "no_interchange");
    let list = call(&t.state, request(Method::GET, "/v1/edi/interchanges", Some(&admin), None)).await;
    assert_eq!(list.body["items"], serde_json::json!([]), "nothing refused is recorded");
}
