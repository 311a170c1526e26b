const formats = new Map<string, Intl.NumberFormat>()

/** An amount in cents as the shopper reads it: `$29.99`. */
export const formatPrice = (cents: number, currency = "USD"): string => {
  let format = formats.get(currency)
  if (format === undefined) {
    format = new Intl.NumberFormat("en-US", { style: "currency", currency })
    formats.set(currency, format)
  }
  return format.format(cents / 100)
}

/** An amount in cents. */
export const Price = (props: { readonly cents: number; readonly currency?: string | undefined }) => (
  <span class="price">{formatPrice(props.cents, props.currency)}</span>
)
