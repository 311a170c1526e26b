import { OrderId, type OrderJson } from "@shop/domain"
import { useEffect, useState } from "preact/hooks"
import { shop } from "../api/Shop.ts"
import { Link } from "../components/Link.tsx"
import { Price } from "../components/Price.tsx"
import { ProblemMessage } from "../components/ProblemMessage.tsx"
import { SignInPanel, useDevelopmentGateway } from "../components/SignInPanel.tsx"
import { session } from "../state/Session.ts"
import { useStore } from "../state/Store.ts"
import { useLoad } from "../state/useLoad.ts"

const terminal = new Set(["confirmed", "failed", "cancelled"])

/** The next poll: quick while the saga usually finishes (about a second), then every 2 s. */
const pollDelay = (attempt: number) => Math.min(2_000, 250 * 2 ** Math.min(attempt, 3))

const statusText: Record<OrderJson["status"], string> = {
  pending: "Processing: reserving stock and charging the payment…",
  confirmed: "Thank you: the order is placed and paid.",
  failed: "The order could not be completed.",
  cancelled: "The order was cancelled."
}

const reasonText = (reason: string) => {
  if (reason.startsWith("insufficient_stock")) return "Not enough stock was left for one of the products."
  if (reason.startsWith("payment_declined")) return `The payment was declined (${reason.split(": ")[1] ?? "declined"}).`
  if (reason.startsWith("payment_unavailable")) return "The payment service could not be reached; nothing was charged."
  if (reason === "reservation_expired") return "The stock reservation expired before payment; nothing was charged."
  return reason
}

/** Polls the order until it is confirmed or failed. */
const useOrder = (token: string, id: OrderId) => {
  const order = useLoad(() => shop.orders.get(token, id), [token, id])
  const [attempt, setAttempt] = useState(0)
  const status = order.data?.status
  useEffect(() => {
    if (status !== undefined && terminal.has(status)) return
    const timer = setTimeout(() => {
      setAttempt((n) => n + 1)
      order.reload()
    }, pollDelay(attempt))
    return () => clearTimeout(timer)
  }, [status, attempt, order.reload])
  return order
}

/** In development, the confirmation mail in the local mailbox; it arrives a moment after the order ends. */
const MailLink = (props: { readonly token: string; readonly id: OrderId }) => {
  const [found, setFound] = useState<boolean | undefined>(undefined)
  useEffect(() => {
    let attempts = 0
    let timer: ReturnType<typeof setTimeout> | undefined
    const look = () =>
      shop.development.mail(props.token, props.id).then(
        () => setFound(true),
        () => {
          if (++attempts < 20) timer = setTimeout(look, 1_000)
          else setFound(false)
        }
      )
    void look()
    return () => clearTimeout(timer)
  }, [props.token, props.id])
  if (found === undefined) return <p class="muted">Waiting for the confirmation mail…</p>
  if (!found) return <p class="muted">No mail in the local mailbox for this order yet.</p>
  return (
    <p>
      <Link href={`/orders/${encodeURIComponent(props.id)}/mail`} testId="mail-link">
        Read the confirmation mail
      </Link>{" "}
      <span class="muted">(local mailbox, development only)</span>
    </p>
  )
}

/** `/orders/:id`: the order followed live until it is confirmed or failed. */
export const OrderPage = (props: { readonly id: string }) => {
  const signedIn = useStore(session)
  const development = useDevelopmentGateway()
  if (signedIn === undefined) return <SignInPanel reason="Sign in to see this order." />
  const id = OrderId.make(props.id)
  return <OrderView token={signedIn.token} id={id} development={development} />
}

const OrderView = (props: { readonly token: string; readonly id: OrderId; readonly development: boolean }) => {
  const order = useOrder(props.token, props.id)
  if (order.data === undefined) {
    return order.problem === undefined
      ? <p aria-busy="true">Loading the order…</p>
      : <ProblemMessage problem={order.problem} retry={order.reload} />
  }
  const o = order.data
  const done = terminal.has(o.status)
  return (
    <section class="order">
      <h1 tabIndex={-1}>Order {o.order_id}</h1>
      <p class={`status status-${o.status}`} role="status" aria-live="polite">
        <span data-testid="order-status">{o.status}</span> · {statusText[o.status]}
      </p>
      {o.failure_reason !== undefined && <p class="problem">{reasonText(o.failure_reason)}</p>}
      {o.tracking_number !== undefined && <p>Tracking number: <strong>{o.tracking_number}</strong></p>}
      <table class="lines">
        <thead>
          <tr>
            <th scope="col">Product</th>
            <th scope="col">Unit price</th>
            <th scope="col">Quantity</th>
            <th scope="col">Total</th>
          </tr>
        </thead>
        <tbody>
          {o.items.map((item) => (
            <tr key={item.product_id}>
              <th scope="row">
                <Link href={`/products/${encodeURIComponent(item.product_id)}`}>{item.name}</Link>
              </th>
              <td data-label="Unit price"><Price cents={item.unit_price} currency={o.currency} /></td>
              <td data-label="Quantity">{item.quantity}</td>
              <td data-label="Total"><Price cents={item.line_total} currency={o.currency} /></td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="cart-total">
        Total <Price cents={o.total_amount} currency={o.currency} /> · payment {o.payment_status}
      </p>
      {o.shipping_address !== undefined && (
        <p class="muted">
          Ships to {o.shipping_address.street}, {o.shipping_address.city}, {o.shipping_address.state}{" "}
          {o.shipping_address.zip}
        </p>
      )}
      <ProblemMessage problem={order.problem} />
      {done && props.development && <MailLink token={props.token} id={o.order_id} />}
      <p>
        <Link href="/orders">All my orders</Link> · <Link href="/">Continue shopping</Link>
      </p>
    </section>
  )
}
