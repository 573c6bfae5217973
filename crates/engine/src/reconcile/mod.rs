//! Reconciliation: proving crossdock's books against the other systems'. [`erp`] compares an ERP export
//! (orders or invoices with totals, CSV or JSON, parsed by [`export`]) with the hub's orders and reports
//! what is missing or different and why; [`count`] compares a WMS count snapshot with on-hand and yields
//! the adjustments and the inventory accuracy of the snapshot.

pub mod count;
pub mod erp;
pub mod export;

pub use count::{CountAdjustment, SnapshotError, SnapshotLine, SnapshotReport, reconcile_snapshot};
pub use erp::{ErpFinding, ErpReconciliation, FindingKind, HubFigures, reconcile_erp};
pub use export::{ErpExport, ErpRecord, ExportError, parse_export};
