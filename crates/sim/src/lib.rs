//! Simulated partner systems for crossdock — a web store and a marketplace, the stores' POS, an ERP, a
//! JSON warehouse (WMS), a carrier (TMS), a CRM, and over EDI a B2B partner (850 in; 997, 855, 856, 810
//! back) and a 3PL (940 in; 945 and 846 back) — that talk to the hub only over the wire: they call its
//! REST API, receive its events as signed webhooks, and exchange X12 through its EDI route and folders. A simulated clock lets days of fulfilment pass
//! in seconds; each system has configurable latency, error rate and outage windows.
//!
//! Start everything with [`SimNetwork::start`]; see [`network`] for the order of use. Two stand-ins are
//! clearly named as such and go once the hub does their job: [`systems::sourcing`] (allocation and
//! release of new orders) and [`feed`] (delivery of events from the change feed instead of webhooks).

pub mod agenda;
pub mod catalog;
pub mod clock;
pub mod config;
pub mod edi_folder;
pub mod faults;
pub mod feed;
pub mod geo;
pub mod hub;
pub mod network;
pub mod server;
pub mod stats;
pub mod systems;
pub mod webhook;
pub mod world;
pub mod x12;

pub use clock::SimClock;

/// Makes ring the process's default rustls provider; reqwest (built without a provider of its own) needs
/// one before any client is built. Later calls do nothing.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A plain HTTP client, after [`install_crypto_provider`].
pub fn new_http_client() -> reqwest::Client {
    install_crypto_provider();
    reqwest::Client::new()
}
pub use config::{SimConfig, SimError};
pub use faults::{FaultConfig, Outage, OutageMode};
pub use hub::{HubClient, HubConfig, HubError};
pub use network::{NetworkReport, SimNetwork, SystemEndpoint, SystemReport};
pub use systems::trading::EdiSetup;
pub use webhook::{EventHandler, Handled, WebhookSecret};
