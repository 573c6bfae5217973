# WooCommerce order (REST API v3 `GET /wp-json/wc/v3/orders/<id>`, and the `order.created` webhook body)
# → crossdock PlaceOrder command.
#
# - Money: decimal strings in the order currency become integer minor units by string arithmetic. The unit
#   price is the line `subtotal` (before coupons) divided by the quantity, rounded half up to a minor unit
#   when it does not divide evenly; WooCommerce's own `price` is a float and is not used.
# - Ids: the hub's order id is "woocommerce-<id>", the external id WooCommerce's id; a line without a SKU
#   gets "woocommerce-product-<product id>[-<variation id>]".
# - Ships to `shipping`, or to `billing` when the order has no shipping address (virtual products).
# - placed_at is `date_created_gmt` (UTC without a zone suffix in WooCommerce) in RFC 3339.

def digits_value: explode | map(. - 48) | reduce .[] as $d (0; . * 10 + $d);

# Minor units per major unit of an ISO 4217 currency.
def currency_digits:
  . as $code
  | if any(["BIF","CLP","DJF","GNF","ISK","JPY","KMF","KRW","PYG","RWF","UGX","VND","VUV","XAF","XOF","XPF"][]; . == $code) then 0
    elif any(["BHD","IQD","JOD","KWD","LYD","OMR","TND"][]; . == $code) then 3
    else 2 end;

# A decimal amount (text or number) → integer minor units, for a currency with $digits decimals.
def minor_units($digits):
  (if type == "number" then tostring else . end) as $text
  | if ($text | type) != "string" or ($text | test("^-?[0-9]+(\\.[0-9]+)?$") | not) then
      error("amount \($text | tojson) is not a decimal number")
    else . end
  | ($text | ltrimstr("-") | split(".")) as $parts
  | ($parts[1] // "") as $fraction
  | if ($fraction[$digits:] | test("[^0]")) then error("amount \($text) has more decimals than its currency") else . end
  | ($parts[0] + ($fraction + ("0" * $digits) | .[:$digits])) | digits_value
  | if ($text | startswith("-")) then - . else . end;

def money($currency): {amount_minor: minor_units($currency | currency_digits), currency: $currency};

def blank_to_null: if . == null or (type == "string" and test("^\\s*$")) then null else . end;
def full_name($first; $last): [$first, $last] | map(blank_to_null | values) | join(" ") | blank_to_null;
def compact: with_entries(select(.value != null));

def required($what): if . == null then error("the order has no \($what)") else . end;

def address:
  {
    name: (full_name(.first_name; .last_name) // (.company | blank_to_null)),
    line1: .address_1,
    line2: (.address_2 | blank_to_null),
    city: .city,
    region: (.state | blank_to_null),
    postal_code: .postcode,
    country: .country
  }
  | compact;

def has_address: (.address_1 // null | blank_to_null) != null;

# Integer division rounded half up (both positive).
def divide_rounded($n; $d): if $n % $d == 0 then $n / $d | floor else ($n * 2 + $d) / ($d * 2) | floor end;

.currency as $currency
| ($currency | currency_digits) as $digits
| {
    id: "woocommerce-\(.id)",
    channel: "woocommerce",
    external_id: (.id | tostring),
    customer: (
      {
        id: (if (.customer_id // 0) > 0 then "woocommerce-customer-\(.customer_id)" else null end),
        email: (.billing.email | blank_to_null),
        name: full_name(.billing.first_name; .billing.last_name),
        phone: (.billing.phone | blank_to_null)
      }
      | compact | if . == {} then null else . end
    ),
    ship_to: (
      if (.shipping // {} | has_address) then .shipping | address
      elif (.billing // {} | has_address) then .billing | address
      else error("the order has neither a shipping nor a billing address") end
    ),
    bill_to: (if (.billing // {} | has_address) then .billing | address else null end),
    currency: $currency,
    shipping: (.shipping_total | if . == null then null else money($currency) end),
    lines: [
      .line_items[] as $item
      | if ($item.quantity // 0) < 1 then error("line item \($item.id) has no quantity") else . end
      | {
          id: ($item.id | tostring),
          sku: (($item.sku | blank_to_null)
                // "woocommerce-product-\($item.product_id)\(if ($item.variation_id // 0) > 0 then "-\($item.variation_id)" else "" end)"),
          quantity: $item.quantity,
          unit_price: {
            amount_minor: divide_rounded($item.subtotal | minor_units($digits); $item.quantity),
            currency: $currency
          }
        }
    ],
    placed_at: (
      .date_created_gmt | required("date_created_gmt")
      | if test("(Z|[+-][0-9]{2}:[0-9]{2})$") then . else . + "Z" end
      | fromdateiso8601 | todate
    )
  }
| compact
