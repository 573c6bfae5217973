//! Parsing an ERP export: JSON (an array of records, or an object with an `orders` array and an optional
//! `generated_at`) or CSV with a header row. A record names an order and any of its totals in minor units;
//! only the totals present are compared. Unknown JSON fields and CSV columns are ignored (exports carry
//! more than crossdock compares); a bad value is reported with its JSON pointer or CSV row and column.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One order as the ERP has it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErpRecord {
    /// crossdock's order id, as the ERP received it.
    pub order_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_number: Option<String>,
    /// ISO 4217 code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Goods ordered (all units at their prices).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordered_minor: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_minor: Option<i64>,
    /// Goods cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_minor: Option<i64>,
    /// Goods invoiced (shipped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoiced_minor: Option<i64>,
    /// Goods credited (returned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credited_minor: Option<i64>,
    /// Sales tax on the order's live units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_minor: Option<i64>,
}

/// A parsed export.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErpExport {
    /// When the ERP made it; orders placed later are not expected in it.
    pub generated_at: Option<DateTime<Utc>>,
    pub records: Vec<ErpRecord>,
    /// Where each record came from (`/orders/3`, `row 4`), for findings about duplicates.
    pub origins: Vec<String>,
}

/// Why an export could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error("{pointer}: {message}")]
    Json { pointer: String, message: String },
    #[error("row {row}, column {column}: {message}")]
    Csv { row: usize, column: String, message: String },
    #[error("the CSV has no order_id column; its columns are {0}")]
    NoOrderIdColumn(String),
    #[error("the export is neither JSON nor CSV with a header row: {0}")]
    Unreadable(String),
    #[error("the export has {0} records; the limit is {MAX_RECORDS}")]
    TooLarge(usize),
}

/// Most records an export may hold.
pub const MAX_RECORDS: usize = 2_000_000;

/// Parses an export, JSON when it starts with `[` or `{` (after white space), CSV otherwise.
pub fn parse_export(bytes: &[u8]) -> Result<ErpExport, ExportError> {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[' | b'{') => parse_json(bytes),
        Some(_) => parse_csv(bytes),
        None => Err(ExportError::Unreadable("it is empty".into())),
    }
}

fn parse_json(bytes: &[u8]) -> Result<ErpExport, ExportError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    // Read the document first, then the shape it has, each with a path-tracking pass (an untagged enum
    // would lose the path of a fault).
    let value: serde_json::Value = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| ExportError::Json { pointer: pointer(e.path()), message: e.inner().to_string() })?;
    let (generated_at, records, prefix) = if value.is_array() {
        let records: Vec<ErpRecord> = serde_path_to_error::deserialize(value)
            .map_err(|e| ExportError::Json { pointer: pointer(e.path()), message: e.inner().to_string() })?;
        (None, records, "")
    } else {
        let wrapped: Wrapped = serde_path_to_error::deserialize(value)
            .map_err(|e| ExportError::Json { pointer: pointer(e.path()), message: e.inner().to_string() })?;
        (wrapped.generated_at, wrapped.orders, "/orders")
    };
    if records.len() > MAX_RECORDS {
        return Err(ExportError::TooLarge(records.len()));
    }
    for (i, r) in records.iter().enumerate() {
        if r.order_id.trim().is_empty() {
            return Err(ExportError::Json { pointer: format!("{prefix}/{i}/order_id"), message: "is empty".into() });
        }
    }
    let origins = (0..records.len()).map(|i| format!("{prefix}/{i}")).collect();
    Ok(ErpExport { generated_at, records, origins })
}

#[derive(Deserialize)]
struct Wrapped {
    #[serde(default)]
    generated_at: Option<DateTime<Utc>>,
    orders: Vec<ErpRecord>,
}

/// A serde path as a JSON pointer (`orders[3].ordered_minor` → `/orders/3/ordered_minor`).
fn pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } => out.push_str(&format!("/{}", key.replace('~', "~0").replace('/', "~1"))),
            Segment::Enum { variant } => out.push_str(&format!("/{variant}")),
            Segment::Unknown => out.push_str("/?"),
        }
    }
    if out.is_empty() { "/".into() } else { out }
}

const AMOUNT_COLUMNS: &[&str] =
    &["ordered_minor", "shipping_minor", "cancelled_minor", "invoiced_minor", "credited_minor", "tax_minor"];

fn parse_csv(bytes: &[u8]) -> Result<ErpExport, ExportError> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(false).from_reader(bytes);
    let headers = reader.headers().map_err(|e| ExportError::Unreadable(e.to_string()))?.clone();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let order_col = column("order_id")
        .ok_or_else(|| ExportError::NoOrderIdColumn(headers.iter().collect::<Vec<_>>().join(", ")))?;
    let (doc_col, cur_col) = (column("document_number"), column("currency"));
    let amount_cols: Vec<(usize, &str)> = AMOUNT_COLUMNS.iter().filter_map(|n| column(n).map(|i| (i, *n))).collect();
    let mut export = ErpExport::default();
    for (index, record) in reader.records().enumerate() {
        // Row 1 is the header.
        let row = index + 2;
        let record = record.map_err(|e| ExportError::Csv { row, column: "-".into(), message: e.to_string() })?;
        if export.records.len() >= MAX_RECORDS {
            return Err(ExportError::TooLarge(export.records.len() + 1));
        }
        let text = |i: usize| record.get(i).unwrap_or("").to_string();
        let order_id = text(order_col);
        if order_id.is_empty() {
            return Err(ExportError::Csv { row, column: "order_id".into(), message: "is empty".into() });
        }
        let mut r = ErpRecord {
            order_id,
            document_number: doc_col.map(text).filter(|s| !s.is_empty()),
            currency: cur_col.map(text).filter(|s| !s.is_empty()),
            ..ErpRecord::default()
        };
        for (i, name) in &amount_cols {
            let raw = text(*i);
            if raw.is_empty() {
                continue;
            }
            let value: i64 = raw.parse().map_err(|_| ExportError::Csv {
                row,
                column: (*name).into(),
                message: format!("{raw:?} is not a whole number of minor units"),
            })?;
            let slot = match *name {
                "ordered_minor" => &mut r.ordered_minor,
                "shipping_minor" => &mut r.shipping_minor,
                "cancelled_minor" => &mut r.cancelled_minor,
                "invoiced_minor" => &mut r.invoiced_minor,
                "credited_minor" => &mut r.credited_minor,
                _ => &mut r.tax_minor,
            };
            *slot = Some(value);
        }
        export.records.push(r);
        export.origins.push(format!("row {row}"));
    }
    Ok(export)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_arrays_and_wrapped_exports_parse_and_faults_have_pointers() {
        let array = parse_export(br#" [{"order_id":"o-1","invoiced_minor":500,"extra":true}]"#).unwrap();
        assert_eq!(array.records[0].invoiced_minor, Some(500));
        assert_eq!(array.origins, ["/0"]);
        let wrapped = parse_export(
            br#"{"generated_at":"2026-01-02T00:00:00Z","orders":[{"order_id":"o-1"},{"order_id":"o-2"}]}"#,
        )
        .unwrap();
        assert_eq!(wrapped.records.len(), 2);
        assert!(wrapped.generated_at.is_some());
        assert_eq!(wrapped.origins[1], "/orders/1");
        let err =
            parse_export(br#"{"orders":[{"order_id":"o-1"},{"order_id":"o-2","shipping_minor":"x"}]}"#).unwrap_err();
        assert_eq!(err.to_string().split(':').next(), Some("/orders/1/shipping_minor"), "{err}");
        let err = parse_export(br#"[{"order_id":"  "}]"#).unwrap_err();
        assert!(err.to_string().starts_with("/0/order_id: is empty"), "{err}");
    }

    #[test]
    fn csv_exports_parse_and_faults_name_row_and_column() {
        let csv = "Order_ID,document_number,currency,invoiced_minor,notes\no-1,SO-1,USD,1200,x\no-2,,USD,,\n";
        let export = parse_export(csv.as_bytes()).unwrap();
        assert_eq!(export.records.len(), 2);
        assert_eq!(export.records[0].document_number.as_deref(), Some("SO-1"));
        assert_eq!(export.records[1].invoiced_minor, None);
        assert_eq!(export.origins, ["row 2", "row 3"]);
        let err = parse_export(b"order_id,invoiced_minor\no-1,12.50\n").unwrap_err();
        assert_eq!(err.to_string(), "row 2, column invoiced_minor: \"12.50\" is not a whole number of minor units");
        let err = parse_export(b"id,total\n1,2\n").unwrap_err();
        assert!(matches!(err, ExportError::NoOrderIdColumn(_)), "{err}");
        let err = parse_export(b"order_id,invoiced_minor\no-1,1,extra\n").unwrap_err();
        assert!(err.to_string().starts_with("row 2"), "{err}");
        assert!(parse_export(b"   ").is_err());
    }
}
