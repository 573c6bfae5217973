//! PII in API answers: plaintext only for keys with the `pii:read` scope (or `admin`); every other key
//! sees customer names, e-mail addresses, phone numbers and address lines masked (`J*** D**`,
//! `j***@example.com`). Values already erased (`[erased]`) are shown as they are.

use crate::AppState;
use crate::auth::{Actor, grants};
use crate::problem::ApiError;
use crossdock_model::{Address, Customer, Email, Event, Order, RecordedEvent};
use crossdock_store::pii::{ERASED, SEALED};

/// The scope that reads PII in plaintext.
pub const PII_READ: &str = "pii:read";
/// The scope that erases a customer's PII (as does `admin`).
pub const PII_ERASE: &str = "pii:erase";
/// Shown instead of a stored document that may hold PII in free form (a dead letter's request and
/// response, an EDI interchange's raw X12): it cannot be masked field by field, so it is withheld whole.
pub const PII_WITHHELD: &str = "[requires pii:read]";

/// Whether the calling key may read PII in plaintext.
pub async fn reads_pii(state: &AppState, actor: &Actor) -> Result<bool, ApiError> {
    let record = state.keys.get(state.store.as_ref(), &actor.key_id, state.key_cache_ttl).await?;
    Ok(record.is_some_and(|r| grants(&r.scopes, PII_READ)))
}

/// `John Doe` → `J*** D**`: the first character of each word, the rest starred.
pub fn mask_words(text: &str) -> String {
    if text == ERASED || text == SEALED {
        return text.to_string();
    }
    text.split(' ')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `john@example.com` → `j***@example.com`.
pub fn mask_email(email: &str) -> String {
    match email.rsplit_once('@') {
        Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
        None => mask_words(email),
    }
}

/// `+1-555-867-5309` → `+*-***-***-**09`: every digit but the last two starred.
pub fn mask_phone(phone: &str) -> String {
    if phone == ERASED || phone == SEALED {
        return phone.to_string();
    }
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let mut seen = 0;
    phone
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                seen += 1;
                if seen + 2 > digits { c } else { '*' }
            } else {
                c
            }
        })
        .collect()
}

fn mask_address(address: &mut Address) {
    for field in [&mut address.name, &mut address.line1, &mut address.city, &mut address.postal_code] {
        *field = mask_words(field);
    }
    if let Some(line2) = &mut address.line2 {
        *line2 = mask_words(line2);
    }
}

fn mask_customer(customer: &mut Customer) {
    if let Some(email) = &customer.email {
        // The masked form is still an e-mail address (`j***@example.com`); one that is not is dropped.
        customer.email = Email::new(mask_email(email.as_str())).ok();
    }
    if let Some(name) = &mut customer.name {
        *name = mask_words(name);
    }
    if let Some(phone) = &mut customer.phone {
        *phone = mask_phone(phone);
    }
}

/// Masks an order's PII in place.
pub fn mask_order(order: &mut Order) {
    if let Some(customer) = &mut order.customer {
        mask_customer(customer);
    }
    mask_address(&mut order.ship_to);
    if let Some(bill_to) = &mut order.bill_to {
        mask_address(bill_to);
    }
}

/// Masks the PII an event carries (the order of `order.placed`).
pub fn mask_event(event: &mut RecordedEvent) {
    if let Event::OrderPlaced { order } = &mut event.payload {
        mask_order(order);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_the_shape_and_hide_the_rest() {
        assert_eq!(mask_words("John Doe"), "J*** D**");
        assert_eq!(mask_words("742 Evergreen Terrace"), "7** E******** T******");
        assert_eq!(mask_words(ERASED), ERASED);
        assert_eq!(mask_email("john@example.com"), "j***@example.com");
        assert_eq!(mask_phone("+1-555-867-5309"), "+*-***-***-**09");
        assert!(Email::new(mask_email("john.doe+x@example.com")).is_ok());
    }
}
