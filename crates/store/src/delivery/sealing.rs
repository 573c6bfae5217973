//! PII in delivery records, shared by both backends: a failed attempt's request (it carries the mapped body:
//! names, addresses) and response are sealed under the data key of the customer of the order the event
//! belongs to (erasing the customer shreds them with the rest), and opened when one delivery is shown.
//! Deliveries of other aggregates' events carry no customer data and are stored as they are.

use crate::StoreError;
use crate::delivery::{DeliveryOutcome, DeliveryRecord, DeliveryResult};
use crate::pii::{Pii, order_subject};
use std::collections::HashMap;

/// The ids of the results that keep a request or a response, when the store seals PII (else none).
pub(crate) fn ids_to_seal(pii: &Pii, results: &[DeliveryResult]) -> Vec<i64> {
    if !pii.enabled() {
        return Vec::new();
    }
    results
        .iter()
        .filter(|r| match &r.outcome {
            DeliveryOutcome::Retry { request, response, .. } | DeliveryOutcome::Dead { request, response, .. } => {
                request.is_some() || response.is_some()
            }
            _ => false,
        })
        .map(|r| r.id)
        .collect()
}

/// The data-key subject of a delivery of an event of `kind` on `aggregate_id` (an order naming
/// `customer_id`); `None` for events of aggregates without customer data.
pub(crate) fn delivery_subject(kind: &str, aggregate_id: &str, customer_id: Option<&str>) -> Option<String> {
    (kind == crossdock_model::AggregateKind::Order.as_str()).then(|| order_subject(aggregate_id, customer_id))
}

/// The results with each request and response sealed under its delivery's subject (`subjects`, by id).
pub(crate) async fn seal_results(
    pii: &Pii,
    results: &[DeliveryResult],
    subjects: &HashMap<i64, String>,
) -> Result<Vec<DeliveryResult>, StoreError> {
    let mut wanted: Vec<String> = subjects.values().cloned().collect();
    wanted.sort();
    wanted.dedup();
    let mut ring = pii.batch_ring();
    pii.ensure_subjects(&mut ring, &wanted).await?;
    let mut sealed = results.to_vec();
    for result in &mut sealed {
        let subject = subjects.get(&result.id).map(String::as_str);
        if let DeliveryOutcome::Retry { request, response, .. } | DeliveryOutcome::Dead { request, response, .. } =
            &mut result.outcome
        {
            for value in [request, response].into_iter().flatten() {
                *value = ring.seal_json(subject, value)?;
            }
        }
    }
    Ok(sealed)
}

/// The record with its request and response opened (read as erased once the customer's key is gone).
pub(crate) async fn open_record(pii: &Pii, mut record: DeliveryRecord) -> Result<DeliveryRecord, StoreError> {
    let texts: Vec<&str> =
        [&record.last_request, &record.last_response].into_iter().flatten().filter_map(|v| v.as_str()).collect();
    if texts.is_empty() {
        return Ok(record);
    }
    let ring = pii.ring_for(texts).await?;
    record.last_request = record.last_request.map(|v| ring.open_json(v));
    record.last_response = record.last_response.map(|v| ring.open_json(v));
    Ok(record)
}
