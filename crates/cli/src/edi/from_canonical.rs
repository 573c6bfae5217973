//! `crossdock edi from-canonical`: one outbound set (855, 856, 810, 940 or 846) built from canonical
//! JSON with the builders in `crossdock_edi::outbound`, enveloped for a configured partner and
//! written to stdout. The input is an `Order` (or the set builder's own input) for 855/856/810/940,
//! and inventory positions (one or an array) for 846. An 810 without taxes is taxed with
//! `compute_tax` on the ship-to state.

use chrono::{NaiveDate, Utc};
use crossdock_edi::outbound::{
    AsnInput, InvoiceInput, OrderView, ShippingOrderInput, Tax, availability_846, invoice_810, po_ack_855,
    ship_notice_856, shipping_order_940,
};
use crossdock_edi::{ControlNumbers, EdiConfig, Envelope, OutboundOptions, OutboundSet, write_interchange};
use crossdock_engine::tax::{TaxExemption, TaxInput, TaxLineInput, compute_tax};
use crossdock_model::{InventoryPosition, LocationId, Money, Order};
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// The arguments of `edi from-canonical`.
#[derive(clap::Args)]
pub struct FromCanonical {
    /// The set to write: 855, 856, 810, 940 or 846.
    #[arg(long, value_parser = ["855", "856", "810", "940", "846"])]
    pub set: String,
    /// The partner id in `[edi]` of the configuration (`--config`, `CROSSDOCK_CONFIG` or ./crossdock.toml).
    #[arg(long)]
    pub partner: String,
    /// Canonical JSON: an Order (or the set's builder input) for 855/856/810/940, inventory positions for 846.
    #[arg(long)]
    pub input: PathBuf,
    /// 856: the shipment id to announce (default: the order's last shipment).
    #[arg(long)]
    pub shipment: Option<String>,
    /// 940: the warehouse location (default: the first location an order line is allocated at).
    #[arg(long)]
    pub warehouse: Option<String>,
    /// 810: the invoice number (default: the order id); 846: the report reference (BIA03).
    #[arg(long)]
    pub reference: Option<String>,
    /// The document date, YYYY-MM-DD (default: today, UTC).
    #[arg(long)]
    pub date: Option<NaiveDate>,
    /// The last interchange and group control number used; the interchange gets the next one.
    #[arg(long, default_value_t = 0)]
    pub last_control: u32,
}

/// A usage, configuration or IO problem (exit 2) or a set that cannot be built (exit 1).
pub enum Failure {
    Usage(String),
    Build(String),
}

/// The envelope and options for writing to `partner`.
fn partner_envelope(partner: &str, config: Option<&Path>) -> Result<(Envelope, OutboundOptions), Failure> {
    use figment::Figment;
    use figment::providers::{Format, Toml};
    // The global `--config` (or CROSSDOCK_CONFIG, read by clap), else ./crossdock.toml.
    let path = config.map_or_else(|| PathBuf::from("crossdock.toml"), Path::to_path_buf);
    let shown = path.display().to_string();
    if !path.exists() {
        return Err(Failure::Usage(format!("{shown}: the file does not exist (partners are configured in [edi])")));
    }
    let edi: EdiConfig = Figment::from(Toml::file(&path))
        .extract_inner("edi")
        .map_err(|e| Failure::Usage(format!("{shown}: edi: {e}")))?;
    let problems = |errs: Vec<crossdock_edi::ConfigError>| {
        Failure::Usage(errs.iter().map(|e| format!("{shown}: edi.{e}")).collect::<Vec<_>>().join("\n"))
    };
    edi.validate().map_err(problems)?;
    let p = edi.partner(partner).ok_or_else(|| Failure::Usage(format!("{shown}: edi: no partner {partner:?}")))?;
    Ok((edi.envelope(p).map_err(problems)?, p.outbound_options()))
}

/// `bytes` as `T`, or as an `Order` turned into `T`.
fn read_as<T: DeserializeOwned>(
    bytes: &[u8],
    from_order: impl FnOnce(Order) -> Result<T, Failure>,
) -> Result<T, Failure> {
    match serde_json::from_slice::<Order>(bytes) {
        Ok(order) => from_order(order),
        Err(order_err) => serde_json::from_slice::<T>(bytes)
            .map_err(|e| Failure::Usage(format!("input is neither an Order ({order_err}) nor the set's input ({e})"))),
    }
}

/// A tax rate in hundredths of a basis point as a TXI03 percent, e.g. `8.25`.
fn percent(hundredths_of_bp: u32) -> String {
    let (whole, frac) = (hundredths_of_bp / 10_000, hundredths_of_bp % 10_000);
    if frac == 0 { whole.to_string() } else { format!("{whole}.{:04}", frac).trim_end_matches('0').to_string() }
}

/// The sales tax of the billed lines and shipping at the ship-to state, as a TXI `ST`; none outside
/// the US or without a state.
pub fn invoice_taxes(input: &InvoiceInput) -> Result<Vec<Tax>, Failure> {
    let order = &input.order;
    let Some(state) = order.ship_to.region.as_deref().filter(|_| order.ship_to.country.as_str() == "US") else {
        return Ok(Vec::new());
    };
    let billed: Vec<(&crossdock_edi::outbound::OrderLineView, u32)> = if input.lines.is_empty() {
        order.lines.iter().map(|l| (l, l.quantity)).collect()
    } else {
        input.lines.iter().filter_map(|q| order.line(&q.line_id).map(|l| (l, q.quantity.get()))).collect()
    };
    let mut lines = Vec::new();
    for (l, qty) in billed {
        let amount = l
            .unit_price
            .checked_mul(qty)
            .ok_or_else(|| Failure::Build(format!("810: line {} total overflows", l.id)))?;
        lines.push(TaxLineInput { line_id: l.id.clone(), amount, taxable: true });
    }
    let tax_input = TaxInput {
        state: state.to_string(),
        postal_code: Some(order.ship_to.postal_code.clone()),
        currency: order.currency,
        lines,
        shipping: order.shipping.unwrap_or(Money::zero(order.currency)),
        exemption: TaxExemption::of_certificate(order.tax_exempt_certificate.as_ref()),
    };
    let t = compute_tax(&tax_input).map_err(|e| Failure::Build(format!("810: tax: {e}")))?;
    Ok(vec![Tax { kind: "ST".into(), amount: t.total_tax, percent: Some(percent(t.rate.hundredths_of_bp())) }])
}

/// Builds the set `args.set` from `input`.
fn build(args: &FromCanonical, input: &[u8], opts: &OutboundOptions) -> Result<OutboundSet, Failure> {
    let today = args.date.unwrap_or_else(|| Utc::now().date_naive());
    let built = |r: Result<OutboundSet, crossdock_edi::OutboundError>| r.map_err(|e| Failure::Build(e.to_string()));
    match args.set.as_str() {
        "855" => {
            let order = read_as::<OrderView>(input, |o| Ok(OrderView::from(&o)))?;
            built(po_ack_855(&order, &[], today, opts))
        }
        "856" => {
            let asn = read_as::<AsnInput>(input, |o| {
                let shipment = match &args.shipment {
                    Some(id) => o.shipments.iter().find(|s| s.id.as_str() == id),
                    None => o.shipments.last(),
                }
                .cloned()
                .ok_or_else(|| Failure::Usage(format!("order {} has no such shipment", o.id)))?;
                Ok(AsnInput {
                    order: OrderView::from(&o),
                    shipment,
                    ship_from: None,
                    bill_of_lading: None,
                    packs: Vec::new(),
                })
            })?;
            built(ship_notice_856(&asn, opts))
        }
        "810" => {
            let mut invoice = read_as::<InvoiceInput>(input, |o| {
                Ok(InvoiceInput {
                    invoice_number: args.reference.clone().unwrap_or_else(|| o.id.to_string()),
                    invoice_date: today,
                    order: OrderView::from(&o),
                    lines: Vec::new(),
                    taxes: Vec::new(),
                    charges: Vec::new(),
                })
            })?;
            if invoice.taxes.is_empty() {
                invoice.taxes = invoice_taxes(&invoice)?;
            }
            built(invoice_810(&invoice, opts))
        }
        "940" => {
            let order940 = read_as::<ShippingOrderInput>(input, |o| {
                let warehouse = match &args.warehouse {
                    Some(w) => w.clone(),
                    None => o
                        .lines
                        .iter()
                        .flat_map(|l| &l.allocations)
                        .map(|a| a.location.to_string())
                        .next()
                        .ok_or_else(|| Failure::Usage("940: give --warehouse (no line is allocated)".into()))?,
                };
                let warehouse: LocationId = serde_json::from_value(serde_json::Value::String(warehouse))
                    .map_err(|e| Failure::Usage(e.to_string()))?;
                Ok(ShippingOrderInput {
                    order: OrderView::from(&o),
                    warehouse,
                    lines: Vec::new(),
                    carrier: None,
                    ship_by: None,
                })
            })?;
            built(shipping_order_940(&order940, opts))
        }
        _ => {
            let positions: Vec<InventoryPosition> = serde_json::from_slice::<Vec<InventoryPosition>>(input)
                .or_else(|_| serde_json::from_slice::<InventoryPosition>(input).map(|p| vec![p]))
                .map_err(|e| Failure::Usage(format!("846 input is not inventory positions: {e}")))?;
            let reference = args.reference.clone().unwrap_or_else(|| format!("AV{}", today.format("%Y%m%d")));
            built(availability_846(&positions, &reference, today, opts))
        }
    }
}

/// The interchange bytes for `args`.
pub fn run(args: &FromCanonical, config: Option<&Path>) -> Result<Vec<u8>, Failure> {
    let input =
        std::fs::read(&args.input).map_err(|e| Failure::Usage(format!("reading {}: {e}", args.input.display())))?;
    let (envelope, opts) = partner_envelope(&args.partner, config)?;
    let set = build(args, &input, &opts)?;
    let mut numbers = ControlNumbers::after(args.last_control, args.last_control);
    write_interchange(&envelope, &[set], &mut numbers, Utc::now()).map_err(|e| Failure::Build(e.to_string()))
}
