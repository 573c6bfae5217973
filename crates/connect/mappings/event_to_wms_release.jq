# crossdock `order.released` event → WMS release (pick/ship request), grouped by warehouse.
#
# Input: a recorded event (`event_type`, `payload`, `seq`, …) or the dispatcher's envelope (`type`,
# `data`). The event names the order and, per line, the location and units released; it carries no SKUs,
# so the WMS matches lines by `line_id` against the order it received earlier (or the release is enriched
# upstream). `release_id` is stable for the event, so a redelivery is recognisable as such.
# Any other event type is an error: subscribe this mapping to `order.released` only.

def compact: with_entries(select(.value != null));

(.payload // .data) as $event
| (.event_type // .type // $event.type) as $type
| if $type != "order.released" then error("expected an order.released event, got \($type | tojson)") else . end
| {
    message_type: "order_release",
    release_id: "\($event.order_id)-\(.seq)",
    order_id: $event.order_id,
    released_at: .recorded_at,
    warehouses: [
      $event.lines | group_by(.location)[]
      | {
          warehouse: .[0].location,
          lines: [.[] | {line_id: .line_id, quantity: .quantity}],
          units: (map(.quantity) | add)
        }
    ],
    total_units: ($event.lines | map(.quantity) | add // 0),
    reference: {event_seq: .seq, order_version: .version, idempotency_key: .idempotency_key} | compact
  }
