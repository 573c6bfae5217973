//! What the simulated EDI trading partners (the B2B buyer and the 3PL) share: where the hub's EDI
//! folders are and the hub's interchange id, a control-number counter, sending an interchange to
//! `POST /v1/edi/{partner}` and reading the hub's receipt (with its 997), and answering what they pick
//! up from their outbox with a 997 of their own.

use super::Context;
use crate::edi_folder::PartnerFolder;
use crate::hub::HubError;
use crate::x12::{self, Party, ReadInterchange, SetToWrite};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

/// Where the hub keeps its EDI folders and who it is in X12.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdiSetup {
    /// Root of the hub's EDI folders (`<folder>/<partner>/outbox` is where the hub writes).
    pub folder: PathBuf,
    /// The hub's ISA and GS id (qualifier ZZ).
    #[serde(default = "default_hub_id")]
    pub hub_id: String,
    /// Real milliseconds between pick-ups of the outbox.
    #[serde(default = "default_poll_ms")]
    pub poll_ms: u64,
}

fn default_hub_id() -> String {
    "CROSSDOCK".into()
}

fn default_poll_ms() -> u64 {
    100
}

impl EdiSetup {
    pub fn new(folder: impl Into<PathBuf>) -> Self {
        Self { folder: folder.into(), hub_id: default_hub_id(), poll_ms: default_poll_ms() }
    }

    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !valid_isa_id(&self.hub_id) {
            problems.push(format!("edi.hub_id {:?} must be 1 to 15 letters or digits", self.hub_id));
        }
        if !(10..=60_000).contains(&self.poll_ms) {
            problems.push("edi.poll_ms must be 10 to 60000".into());
        }
        problems
    }
}

/// Whether `id` can be an ISA id written by [`x12::interchange`].
pub fn valid_isa_id(id: &str) -> bool {
    (1..=15).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// What the hub answered to an interchange.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    /// `accepted`, `partially_accepted` or `rejected`.
    pub status: String,
    pub sets: u64,
    pub accepted_sets: u64,
    /// Whether the 997 the hub sent back accepts every group; `None` when it sent none.
    pub ack_accepts: Option<bool>,
    /// The issues the hub found, as it reported them.
    pub issues: Value,
}

impl Receipt {
    /// Every set accepted, and a 997 saying so.
    pub fn fully_accepted(&self) -> bool {
        self.status == "accepted" && self.accepted_sets == self.sets && self.ack_accepts == Some(true)
    }
}

/// One trading partner's link to the hub.
#[derive(Debug)]
pub struct TradingLink {
    /// The partner's id in the hub's `[edi]` configuration.
    pub partner_id: String,
    pub me: Party,
    pub hub: Party,
    pub folder: PartnerFolder,
    control: AtomicU32,
}

impl TradingLink {
    pub fn new(setup: &EdiSetup, partner_id: &str, isa_id: &str) -> Self {
        Self {
            partner_id: partner_id.into(),
            me: Party::new("ZZ", isa_id),
            hub: Party::new("ZZ", &setup.hub_id),
            folder: PartnerFolder::new(&setup.folder, partner_id),
            control: AtomicU32::new(0),
        }
    }

    /// The `[[edi.partners]]` entry for this partner.
    pub fn partner_toml(&self, documents: &[&str], warehouses: &[String]) -> String {
        let list = |items: &[String]| {
            items.iter().map(|s| Value::String(s.clone()).to_string()).collect::<Vec<_>>().join(", ")
        };
        let documents: Vec<String> = documents.iter().map(|d| d.to_string()).collect();
        format!(
            "[[edi.partners]]\nid = {}\nisa_qualifier = \"ZZ\"\nisa_id = {}\ngs_id = {}\ndocuments = [{}]\nwarehouses = [{}]\n\n",
            Value::String(self.partner_id.clone()),
            Value::String(self.me.isa_id.clone()),
            Value::String(self.me.gs_id.clone()),
            list(&documents),
            list(warehouses),
        )
    }

    /// An interchange from this partner to the hub with the next control number.
    pub fn interchange(&self, context: &Context, functional_id: &str, sets: &[SetToWrite]) -> Vec<u8> {
        let control = self.control.fetch_add(1, Ordering::Relaxed) + 1;
        x12::interchange(&self.me, &self.hub, control, context.clock.now(), functional_id, sets)
    }

    /// Posts `interchange` to the hub and reads its receipt.
    pub async fn send(&self, context: &Context, interchange: &[u8]) -> Result<Receipt, HubError> {
        let value = context.hub.post_edi(&self.partner_id, interchange).await?;
        let number = |k: &str| value.get(k).and_then(Value::as_u64).unwrap_or(0);
        let ack = value.get("ack").and_then(Value::as_str).unwrap_or("");
        Ok(Receipt {
            status: value.get("status").and_then(Value::as_str).unwrap_or("").to_string(),
            sets: number("sets"),
            accepted_sets: number("accepted_sets"),
            ack_accepts: x12::ack_accepts(ack.as_bytes()),
            issues: value.get("issues").cloned().unwrap_or(Value::Null),
        })
    }

    /// Picks up the outbox: the interchanges the hub sent, each answered with a 997 (the hub's own 997s,
    /// which it also drops there, are left unanswered). Files that are not X12 are counted as errors.
    pub async fn pick_up(&self, context: &Context) -> Vec<ReadInterchange> {
        let files = match self.folder.pick_up() {
            Ok(files) => files,
            Err(e) => {
                context.stats.note_error(format!("{}: reading the outbox: {e}", self.partner_id));
                return Vec::new();
            }
        };
        let mut read = Vec::new();
        for (name, bytes) in files {
            match x12::read(&bytes) {
                Ok(interchanges) => read.extend(interchanges),
                Err(e) => context.stats.note_error(format!("{}: {name}: {e}", self.partner_id)),
            }
        }
        for interchange in &read {
            if interchange.sets.iter().all(|s| s.id == "997") {
                continue;
            }
            let ack = x12::functional_ack(interchange);
            let bytes = self.interchange(context, "FA", &ack);
            if let Err(e) = self.send(context, &bytes).await {
                context.warn("a 997", &e);
            }
        }
        read
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setup_is_checked_and_partners_are_configured() {
        let mut setup = EdiSetup::new("/tmp/x");
        assert!(setup.problems().is_empty());
        setup.hub_id = "NOT VALID".into();
        setup.poll_ms = 0;
        assert_eq!(setup.problems().len(), 2);
        let link = TradingLink::new(&EdiSetup::new("/tmp/x"), "tpl", "KEYSTONE3PL");
        let toml = link.partner_toml(&["940"], &["wh-west".to_string()]);
        assert!(toml.contains("id = \"tpl\"\n"), "{toml}");
        assert!(toml.contains("documents = [\"940\"]\nwarehouses = [\"wh-west\"]"), "{toml}");
    }
}
