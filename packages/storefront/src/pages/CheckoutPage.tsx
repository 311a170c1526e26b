import { type CreateOrderRequest, Email, PaymentMethod, PhoneNumber, ShippingAddressJson } from "@shop/domain"
import { useState } from "preact/hooks"
import { type ApiProblem, shop } from "../api/Shop.ts"
import { Link } from "../components/Link.tsx"
import { Price } from "../components/Price.tsx"
import { ProblemMessage } from "../components/ProblemMessage.tsx"
import { SignInPanel, useDevelopmentGateway } from "../components/SignInPanel.tsx"
import { cart, cartTotal, clearCart, forgetIdempotencyKey, idempotencyKeyFor } from "../state/Cart.ts"
import { readField, readForm } from "../state/Fields.ts"
import { navigate } from "../state/Router.ts"
import { session } from "../state/Session.ts"
import { useStore } from "../state/Store.ts"
import { asProblem } from "../state/useLoad.ts"

const testCards: ReadonlyArray<[PaymentMethod, string]> = [
  ["pm_card_visa", "Test card: Visa (succeeds)"],
  ["pm_card_chargeDeclined", "Test card: declined"],
  ["pm_card_insufficientFunds", "Test card: insufficient funds"]
]

const blankForm = { email: "", phone: "", street: "", city: "", state: "", zip: "", payment_method: "credit_card" }
type CheckoutForm = typeof blankForm

/** The order request of a checkout form, with the customer's contact (where the confirmation goes). */
const toOrderRequest = (
  lines: ReturnType<typeof cart.get>,
  shipping_address: ShippingAddressJson,
  payment_method: PaymentMethod,
  contact: { readonly email: Email; readonly phone?: PhoneNumber | undefined }
): Omit<CreateOrderRequest, "idempotency_key"> => ({
  items: lines.map((line) => ({ product_id: line.product_id, quantity: line.quantity })),
  shipping_address,
  payment_method,
  email: contact.email,
  ...(contact.phone === undefined ? {} : { phone: contact.phone })
})

/** `/checkout`: shipping address, contact and payment, then the order is placed once, however often it is sent. */
export const CheckoutPage = () => {
  const lines = useStore(cart)
  const signedIn = useStore(session)
  const development = useDevelopmentGateway()
  const [form, setForm] = useState<CheckoutForm>(blankForm)
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [problem, setProblem] = useState<ApiProblem | undefined>(undefined)
  const [placing, setPlacing] = useState(false)

  if (lines.length === 0) {
    return (
      <section>
        <h1 tabIndex={-1}>Checkout</h1>
        <p>
          Your cart is empty. <Link href="/">Browse the shop</Link>
        </p>
      </section>
    )
  }
  if (signedIn === undefined) {
    return (
      <section>
        <h1 tabIndex={-1}>Checkout</h1>
        <SignInPanel reason="Sign in to place your order; your cart is kept." />
      </section>
    )
  }

  const field = (name: keyof CheckoutForm, label: string, extra: Record<string, string | boolean> = {}) => (
    <label>
      {label}
      <input
        name={name}
        value={form[name]}
        onInput={(event) => {
          setForm({ ...form, [name]: event.currentTarget.value })
          // the message was about the old value
          if (errors[name] !== undefined) setErrors(({ [name]: _fixed, ...rest }) => rest)
        }}
        aria-invalid={errors[name] !== undefined}
        aria-describedby={errors[name] === undefined ? undefined : `${name}-error`}
        {...extra}
      />
      {errors[name] !== undefined && <span id={`${name}-error`} class="field-error">{errors[name]}</span>}
    </label>
  )

  const place = async () => {
    const address = readForm(ShippingAddressJson, {
      street: form.street.trim(),
      city: form.city.trim(),
      state: form.state.trim(),
      zip: form.zip.trim()
    })
    const found: Record<string, string> = address.ok ? {} : { ...address.errors }
    // The contract's own rules for the contact (the domain's Email and PhoneNumber).
    const email = readField(Email, form.email.trim())
    if (!email.ok) found.email = "an email address such as ada@example.com"
    const phone = form.phone.trim() === "" ? undefined : readField(PhoneNumber, form.phone.trim())
    if (phone !== undefined && !phone.ok) found.phone = "a phone number with its country code, such as +14155550123"
    const method = readField(PaymentMethod, form.payment_method)
    if (!method.ok) found.payment_method = method.error
    setErrors(found)
    if (!address.ok || !method.ok || !email.ok || (phone !== undefined && !phone.ok)) return
    const request = toOrderRequest(lines, address.value, method.value, {
      email: email.value,
      ...(phone?.ok === true ? { phone: phone.value } : {})
    })
    setPlacing(true)
    setProblem(undefined)
    try {
      const order = await shop.orders.create(signedIn.token, { ...request, idempotency_key: idempotencyKeyFor(request) })
      forgetIdempotencyKey()
      clearCart()
      navigate(`/orders/${encodeURIComponent(order.order_id)}`)
    } catch (error) {
      setProblem(asProblem(error))
      setPlacing(false)
    }
  }

  return (
    <section>
      <h1 tabIndex={-1}>Checkout</h1>
      <form
        class="checkout"
        noValidate
        onSubmit={(event) => {
          event.preventDefault()
          if (!placing) void place()
        }}
      >
        <fieldset>
          <legend>Contact</legend>
          {field("email", "Email", { type: "email", autocomplete: "email", required: true })}
          {field("phone", "Phone (optional)", { type: "tel", autocomplete: "tel" })}
        </fieldset>
        <fieldset>
          <legend>Shipping address</legend>
          {field("street", "Street", { autocomplete: "street-address", required: true })}
          {field("city", "City", { autocomplete: "address-level2", required: true })}
          {field("state", "State", { autocomplete: "address-level1", required: true })}
          {field("zip", "ZIP code", { autocomplete: "postal-code", required: true })}
        </fieldset>
        <fieldset>
          <legend>Payment</legend>
          <label>
            Payment method
            <select
              name="payment_method"
              value={form.payment_method}
              onChange={(event) => setForm({ ...form, payment_method: event.currentTarget.value })}
            >
              <option value="credit_card">Credit card</option>
              {development && testCards.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
            </select>
          </label>
        </fieldset>
        <div class="summary">
          <p>
            {lines.length} {lines.length === 1 ? "product" : "products"}, about <Price cents={cartTotal(lines)} />
          </p>
          <button type="submit" data-testid="place-order" disabled={placing}>
            {placing ? "Placing the order…" : "Place order"}
          </button>
        </div>
        <ProblemMessage problem={problem} />
      </form>
    </section>
  )
}
