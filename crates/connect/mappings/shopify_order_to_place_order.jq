# Shopify `orders/create` webhook (REST Admin API Order JSON) → crossdock PlaceOrder command.
#
# - Money: Shopify sends decimal strings in the shop currency ("12.30"); they become integer minor units
#   (1230) by string arithmetic, never through floating point. More decimals than the currency has
#   (other than trailing zeros) is an error.
# - Ids: the hub's order id is "shopify-<order id>", the external id Shopify's order id; a line without a
#   SKU gets "shopify-variant-<variant id>".
# - placed_at is `created_at` in UTC. Line prices are list prices (discounts are not carried over).

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

def address($what):
  required($what)
  | {
      name: (full_name(.first_name; .last_name) // (.name | blank_to_null) // (.company | blank_to_null)),
      line1: .address1,
      line2: (.address2 | blank_to_null),
      city: .city,
      region: (.province_code | blank_to_null),
      postal_code: .zip,
      country: .country_code
    }
  | compact;

.currency as $currency
| {
    id: "shopify-\(.id)",
    channel: "shopify",
    external_id: (.id | tostring),
    customer: (
      {
        id: (.customer.id | if . == null then null else "shopify-customer-\(.)" end),
        email: ((.email // .contact_email // .customer.email) | blank_to_null),
        name: full_name(.customer.first_name; .customer.last_name),
        phone: ((.phone // .customer.phone) | blank_to_null)
      }
      | compact | if . == {} then null else . end
    ),
    ship_to: (.shipping_address | address("shipping_address")),
    bill_to: (.billing_address | if . == null then null else address("billing_address") end),
    currency: $currency,
    shipping: (.total_shipping_price_set.shop_money.amount | if . == null then null else money($currency) end),
    lines: [
      .line_items[] as $item
      | {
          id: ($item.id | tostring),
          sku: (($item.sku | blank_to_null)
                // ($item.variant_id | if . == null then null else "shopify-variant-\(.)" end)
                // error("line item \($item.id) has neither a sku nor a variant")),
          quantity: $item.quantity,
          unit_price: ($item.price | money($currency))
        }
    ],
    placed_at: (.created_at | required("created_at") | fromdateiso8601 | todate)
  }
| compact
