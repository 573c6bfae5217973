# crossdock `order.placed` event → generic ERP sales order.
#
# Input: a recorded event as stored in the log (`event_type`, `payload`, `seq`, `idempotency_key`, …) or
# the dispatcher's envelope (`type`, `data`, `seq`). Amounts go out as decimal strings in the order
# currency ("12.30"), computed from integer minor units without floating point. Line numbers step by 10.
# Any other event type is an error: subscribe this mapping to `order.placed` only.

def currency_digits:
  . as $code
  | if any(["BIF","CLP","DJF","GNF","ISK","JPY","KMF","KRW","PYG","RWF","UGX","VND","VUV","XAF","XOF","XPF"][]; . == $code) then 0
    elif any(["BHD","IQD","JOD","KWD","LYD","OMR","TND"][]; . == $code) then 3
    else 2 end;

# Integer minor units → decimal text with $digits decimals: 1230, 2 → "12.30".
def decimal_text($digits):
  (if . < 0 then "-" else "" end) as $sign
  | (if . < 0 then - . else . end | tostring) as $abs
  | if $digits == 0 then $sign + $abs
    else ((("0" * ($digits + 1 - ($abs | length))) // "") + $abs) as $padded
    | $sign + $padded[:-$digits] + "." + $padded[-$digits:]
    end;

def compact: with_entries(select(.value != null));

def erp_address: if . == null then null else {
    name: .name, street: .line1, street2: .line2, city: .city, state: .region, zip: .postal_code, country: .country
  } | compact end;

(.payload // .data) as $event
| (.event_type // .type // $event.type) as $type
| if $type != "order.placed" then error("expected an order.placed event, got \($type | tojson)") else . end
| $event.order as $order
| ($order.currency | currency_digits) as $digits
| [$order.lines[] | .unit_price.amount_minor * (.quantities.ordered - .quantities.cancelled)] as $line_amounts
| ($line_amounts | add // 0) as $subtotal
| ($order.shipping.amount_minor // 0) as $freight
| {
    document_type: "sales_order",
    order_number: $order.id,
    customer_po: $order.external_id,
    sales_channel: $order.channel,
    order_date: $order.placed_at[:10],
    ordered_at: $order.placed_at,
    currency: $order.currency,
    customer: ($order.customer // {} | {number: .id, name: .name, email: .email, phone: .phone} | compact),
    ship_to: ($order.ship_to | erp_address),
    bill_to: (($order.bill_to // $order.ship_to) | erp_address),
    lines: [
      $order.lines | to_entries[]
      | .value as $line
      | {
          line_number: ((.key + 1) * 10),
          item_number: $line.sku,
          quantity: ($line.quantities.ordered - $line.quantities.cancelled),
          unit_price: ($line.unit_price.amount_minor | decimal_text($digits)),
          line_amount: ($line_amounts[.key] | decimal_text($digits)),
          source_line_id: $line.id
        }
    ],
    subtotal_amount: ($subtotal | decimal_text($digits)),
    freight_amount: ($freight | decimal_text($digits)),
    total_amount: ($subtotal + $freight | decimal_text($digits)),
    source: {
      system: "crossdock",
      event_seq: .seq,
      order_version: .version,
      idempotency_key: .idempotency_key
    } | compact
  }
