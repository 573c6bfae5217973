# crossdock order events → CRM customer-timeline entry.
#
# Input: a recorded event (`event_type`, `payload`, `seq`, …) or the dispatcher's envelope (`type`,
# `data`). Placed, held, cancelled, shipped, delivered and returned orders become timeline entries; the
# placement also carries the contact (e-mail, customer id, name) so the CRM can attach later entries by
# `order_reference`. Other events (allocations, releases, inventory, locations) produce no output, which
# means nothing is sent.

def currency_digits:
  . as $code
  | if any(["BIF","CLP","DJF","GNF","ISK","JPY","KMF","KRW","PYG","RWF","UGX","VND","VUV","XAF","XOF","XPF"][]; . == $code) then 0
    elif any(["BHD","IQD","JOD","KWD","LYD","OMR","TND"][]; . == $code) then 3
    else 2 end;

def decimal_text($digits):
  (if . < 0 then "-" else "" end) as $sign
  | (if . < 0 then - . else . end | tostring) as $abs
  | if $digits == 0 then $sign + $abs
    else ((("0" * ($digits + 1 - ($abs | length))) // "") + $abs) as $padded
    | $sign + $padded[:-$digits] + "." + $padded[-$digits:]
    end;

def compact: with_entries(select(.value != null));
def units: map(.quantity) | add // 0;
def plural($n; $word): "\($n) \($word)\(if $n == 1 then "" else "s" end)";

(.payload // .data) as $event
| (.event_type // .type // $event.type) as $type
| ($event.order.id // $event.order_id) as $order_id
| (
    if $type == "order.placed" then
      $event.order as $order
      | ($order.lines | map(.quantities.ordered) | add // 0) as $items
      | (($order.lines | map(.unit_price.amount_minor * .quantities.ordered) | add // 0)
         + ($order.shipping.amount_minor // 0)) as $total
      | {
          title: "Order \($order.id) placed on \($order.channel)",
          contact: ($order.customer // {} | {email: .email, external_id: .id, name: .name, phone: .phone} | compact
                    | if . == {} then null else . end),
          properties: {
            channel: $order.channel,
            external_id: $order.external_id,
            items: $items,
            amount: ($total | decimal_text($order.currency | currency_digits)),
            currency: $order.currency
          }
        }
    elif $type == "order.held" then
      {title: "Order \($order_id) put on hold", properties: {reason: $event.reason}}
    elif $type == "order.hold_released" then
      {title: "Order \($order_id) released from hold", properties: {}}
    elif $type == "order.lines_cancelled" then
      ($event.lines | units) as $n
      | {title: "Order \($order_id): \(plural($n; "unit")) cancelled", properties: {units: $n, reason: $event.reason}}
    elif $type == "order.shipment_confirmed" then
      $event.shipment as $s
      | {
          title: "Order \($order_id) shipped with \($s.carrier)",
          properties: {
            shipment_id: $s.id,
            carrier: $s.carrier,
            service: $s.service,
            tracking_number: $s.tracking_number,
            units: ($s.lines | units),
            shipped_at: $s.shipped_at
          } | compact
        }
    elif $type == "order.delivery_confirmed" then
      {title: "Order \($order_id) delivered", properties: {shipment_id: $event.shipment_id, delivered_at: $event.delivered_at}}
    elif $type == "order.return_recorded" then
      $event.return as $r
      | ($r.lines | units) as $n
      | {
          title: "Order \($order_id): \(plural($n; "unit")) returned",
          properties: {return_id: $r.id, units: $n, reasons: ($r.lines | map(.reason) | unique), received_at: $r.received_at}
        }
    else empty end
  ) as $entry
| {
    event_id: "crossdock-\(.seq)",
    type: ($type | gsub("\\."; "_")),
    occurred_at: .recorded_at,
    order_reference: $order_id,
    title: $entry.title,
    contact: $entry.contact,
    properties: $entry.properties
  }
| compact
