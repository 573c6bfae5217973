//! A batch's or a read's set of resolved data keys, and the sealing and opening of the PII fields of orders
//! and events with them (synchronous: the keys were fetched beforehand by the [`super::Pii`] handle).

use super::cipher::{DataKey, parse_sealed};
use crate::StoreError;
use crate::codec::{from_json, to_json};
use crossdock_model::{Customer, Email, Event, Order, OrderId};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// What a PII field reads as once its customer's data key has been destroyed.
pub const ERASED: &str = "[erased]";
/// What a PII field reads as in a store opened without a master key.
pub const SEALED: &str = "[encrypted]";

/// The subject whose data key protects an order's PII: its customer id, or the order itself when the
/// order names no customer.
pub fn subject_of(order: &Order) -> String {
    subject_for(order.customer.as_ref(), &order.id)
}

/// The subject of an order with this customer and id (see [`subject_of`]).
pub fn subject_for(customer: Option<&Customer>, order: &OrderId) -> String {
    match customer.and_then(|c| c.id.as_ref()) {
        Some(id) => customer_subject(id.as_str()),
        None => own_order_subject(order.as_str()),
    }
}

/// The prefix of an order's own subject, used when the order names no customer.
const OWN_ORDER: &str = "order:";

fn own_order_subject(order_id: &str) -> String {
    format!("{OWN_ORDER}{order_id}")
}

/// True for an order's own subject (the order names no customer), as opposed to a customer's or partner's.
pub(crate) fn is_own_order_subject(subject: &str) -> bool {
    subject.starts_with(OWN_ORDER)
}

/// The data-key subject of a customer id.
pub fn customer_subject(customer_id: &str) -> String {
    format!("customer:{customer_id}")
}

/// The data-key subject of a trading partner: it seals the stored interchanges that name no customer.
pub fn partner_subject(partner: &str) -> String {
    format!("partner:{partner}")
}

/// The subject of the order `order_id` whose projection names `customer_id` (see [`subject_of`]).
pub fn order_subject(order_id: &str, customer_id: Option<&str>) -> String {
    match customer_id {
        Some(id) => customer_subject(id),
        None => own_order_subject(order_id),
    }
}

/// Data keys at hand: by subject for sealing, by id for opening (`None`: destroyed or unknown).
#[derive(Default)]
pub(crate) struct KeyRing {
    /// False when the store has no master key: values are written as they are.
    pub enabled: bool,
    pub by_subject: HashMap<String, Arc<DataKey>>,
    pub by_id: HashMap<String, Option<Arc<DataKey>>>,
    /// Erased subjects: they get no key again, and their values are written as [`ERASED`] (what they would
    /// read as anyway), whatever plaintext the writer still holds.
    pub erased: HashSet<String>,
}

impl KeyRing {
    /// The order's JSON with its PII fields sealed under its subject's key (which must be in the ring).
    pub fn seal_order(&self, order: &Order) -> Result<String, StoreError> {
        if !self.enabled {
            return to_json(order);
        }
        to_json(&self.sealed_copy(order)?)
    }

    /// The event's JSON; an `order.placed` event has its order's PII fields sealed.
    pub fn seal_event(&self, event: &Event) -> Result<String, StoreError> {
        match event {
            Event::OrderPlaced { order } if self.enabled => {
                to_json(&Event::OrderPlaced { order: Box::new(self.sealed_copy(order)?) })
            }
            _ => to_json(event),
        }
    }

    /// A copy of the order, only for writing, whose PII fields (customer e-mail, name and phone; name, lines,
    /// city and postal code of each address) hold their sealed text. Values already sealed stay as they are.
    /// Region and country stay readable (tax reports are per state), as does the customer id (it names the key).
    fn sealed_copy(&self, order: &Order) -> Result<Order, StoreError> {
        let subject = subject_of(order);
        if self.erased.contains(&subject) {
            return Ok(erased_copy(order));
        }
        let key = self
            .by_subject
            .get(&subject)
            .ok_or_else(|| StoreError::Corrupt(format!("no data key loaded for {subject}")))?;
        let seal = |text: &mut String| -> Result<(), StoreError> {
            if parse_sealed(text).is_none() {
                *text = key.seal(text).ok_or_else(|| StoreError::Corrupt("PII encryption failed".into()))?;
            }
            Ok(())
        };
        let mut copy = order.clone();
        if let Some(customer) = copy.customer.as_mut()
            && let Some(email) = customer.email.take()
        {
            let mut text = String::from(email);
            seal(&mut text)?;
            customer.email = Some(Email::sealed(text));
        }
        for_each_pii_text(&mut copy, seal)?;
        Ok(copy)
    }

    /// True when `subject` was erased: its values are written as [`ERASED`].
    pub fn is_erased(&self, subject: &str) -> bool {
        self.erased.contains(subject)
    }

    pub fn open_order(&self, what: &str, text: &str) -> Result<Order, StoreError> {
        from_json(what, &self.open_text(text))
    }

    pub fn open_event(&self, what: &str, text: &str) -> Result<Event, StoreError> {
        from_json(what, &self.open_text(text))
    }

    /// The JSON text with every sealed value replaced by its plaintext, or by [`ERASED`] (an e-mail
    /// address: removed) when its key is gone. Text without sealed values is returned as it is.
    fn open_text<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        if !text.contains(super::cipher::SEALED_PREFIX) {
            return text.into();
        }
        let Ok(mut value) = serde_json::from_str::<Value>(text) else { return text.into() };
        self.open_value(&mut value);
        serde_json::to_string(&value).map(Into::into).unwrap_or_else(|_| text.into())
    }

    fn open_value(&self, value: &mut Value) {
        match value {
            Value::Object(map) => {
                let mut unreadable_email = false;
                for (field, item) in map.iter_mut() {
                    if let Value::String(text) = item
                        && let Some((key_id, _)) = parse_sealed(text)
                    {
                        let plain = self.by_id.get(key_id).and_then(|k| k.as_ref()).and_then(|k| k.open(text));
                        match plain {
                            Some(plain) => *text = plain,
                            None if field == "email" => unreadable_email = true,
                            None => *text = if self.enabled { ERASED } else { SEALED }.to_string(),
                        }
                    } else {
                        self.open_value(item);
                    }
                }
                if unreadable_email {
                    map.remove("email");
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.open_value(item)),
            _ => {}
        }
    }
}

/// A copy of the order with its PII fields (those [`KeyRing::seal_order`] seals) as they read once erased:
/// [`ERASED`], and no e-mail address.
fn erased_copy(order: &Order) -> Order {
    let mut copy = order.clone();
    if let Some(customer) = copy.customer.as_mut() {
        customer.email = None;
    }
    let erase = |text: &mut String| -> Result<(), StoreError> {
        *text = ERASED.to_string();
        Ok(())
    };
    // `erase` never fails.
    let _ = for_each_pii_text(&mut copy, erase);
    copy
}

/// Applies `field` to each PII text field of the order but the e-mail (whose type differs): the customer's
/// name and phone, and the name, lines, city and postal code of each address. The one list of them, for
/// sealing and for erasing alike.
fn for_each_pii_text(
    order: &mut Order,
    mut field: impl FnMut(&mut String) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    if let Some(customer) = order.customer.as_mut() {
        customer.name.as_mut().map(&mut field).transpose()?;
        customer.phone.as_mut().map(&mut field).transpose()?;
    }
    for address in std::iter::once(&mut order.ship_to).chain(order.bill_to.as_mut()) {
        field(&mut address.name)?;
        field(&mut address.line1)?;
        address.line2.as_mut().map(&mut field).transpose()?;
        field(&mut address.city)?;
        field(&mut address.postal_code)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossdock_model::{Command, CustomerId, NewOrderLine, OrderStatus};

    /// An order of customer `c1`, as a batch would hold it (plaintext), built by the engine.
    fn order() -> Order {
        let place = crossdock_model::PlaceOrder {
            id: OrderId::new("o-1").unwrap(),
            channel: crossdock_model::ChannelId::new("web").unwrap(),
            external_id: crossdock_model::ExternalId::new("x-1").unwrap(),
            customer: Some(Customer {
                id: Some(CustomerId::new("c1").unwrap()),
                email: Some(Email::new("zeb@example.com").unwrap()),
                name: Some("Zeb Ramirez".into()),
                phone: None,
            }),
            ship_to: crate::testing::sample_address(),
            bill_to: Some(crate::testing::sample_address()),
            currency: crossdock_model::Currency::USD,
            shipping: None,
            tax_exempt_certificate: None,
            lines: vec![NewOrderLine {
                id: crossdock_model::LineId::new("L1").unwrap(),
                sku: crossdock_model::Sku::new("S").unwrap(),
                quantity: crossdock_model::Quantity::new(1).unwrap(),
                unit_price: crossdock_model::Money::new(100, crossdock_model::Currency::USD),
            }],
            placed_at: chrono::Utc::now(),
            sourcing: Default::default(),
        };
        let events = crossdock_engine::decide(&Default::default(), &Command::PlaceOrder(place), chrono::Utc::now())
            .expect("placed");
        match events.into_iter().next() {
            Some(Event::OrderPlaced { order }) => *order,
            other => panic!("expected order.placed, got {other:?}"),
        }
    }

    #[test]
    fn an_erased_subjects_order_is_written_erased_without_a_key() {
        let ring = KeyRing { enabled: true, erased: ["customer:c1".to_string()].into(), ..KeyRing::default() };
        let order = order();
        for text in
            [ring.seal_order(&order).unwrap(), ring.seal_event(&Event::OrderPlaced { order: Box::new(order) }).unwrap()]
        {
            for plain in ["Zeb", "zeb@example.com", "Main St", "Springfield", "62701"] {
                assert!(!text.contains(plain), "{plain} in {text}");
            }
            assert!(text.contains(ERASED) && text.contains("\"IL\""), "{text}");
        }
        let written: Order = from_json("order", &ring.seal_order(&self::order()).unwrap()).unwrap();
        assert_eq!((written.status, written.customer.and_then(|c| c.email)), (OrderStatus::Created, None));
    }
}
