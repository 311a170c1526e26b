import { shop } from "../api/Shop.ts"
import { Price } from "../components/Price.tsx"
import { ProblemMessage } from "../components/ProblemMessage.tsx"
import { ageOf, When } from "../components/When.tsx"
import { useLoad } from "../state/useLoad.ts"
import { ActionOutcome } from "./ActionOutcome.tsx"
import { useAction } from "./useAction.ts"
import { useRefreshing } from "./useRefreshing.ts"

const outcomeOf = (retried: { readonly refund_id: string; readonly status: string; readonly last_error?: string }) => {
  switch (retried.status) {
    case "succeeded":
      return `Refund ${retried.refund_id}: the card processor confirmed it. The money is back with the customer.`
    case "parked":
      return `Refund ${retried.refund_id} was refused again and is parked: ${retried.last_error ?? "no answer"}`
    default:
      return `Refund ${retried.refund_id} is not confirmed yet (${retried.last_error ?? "no answer"}); the payment ` +
        "service sends it again after its backoff."
  }
}

/**
 * `/admin/refunds`: refunds the card processor kept refusing, parked after REFUND_MAX_ATTEMPTS until a person looks
 * (what `npm run refunds` lists). "Retry" sends one to the processor again, now, and says what the processor answered.
 */
export const RefundsAdmin = (props: { readonly token: string }) => {
  const refunds = useRefreshing(useLoad(() => shop.admin.refunds(props.token), [props.token]))
  const action = useAction(refunds.reload)
  return (
    <section>
      <h1 tabIndex={-1}>Parked refunds</h1>
      <p class="muted">
        Money owed back to customers that the card processor refused to return. Settle the cause with the processor,
        then retry: the refund is sent again under the same key, so it can never be paid twice.
      </p>
      <ActionOutcome action={action} />
      <ProblemMessage problem={refunds.problem} retry={refunds.reload} />
      {refunds.data !== undefined && refunds.data.refunds.length === 0 && (
        <p data-testid="refunds-empty">No refund is parked.</p>
      )}
      {refunds.data !== undefined && refunds.data.refunds.length > 0 && (
        <table class="lines compact operations" data-testid="refunds">
          <thead>
            <tr>
              <th scope="col">Refund</th>
              <th scope="col">Order</th>
              <th scope="col">Amount</th>
              <th scope="col">Refusals</th>
              <th scope="col">Processor's last answer</th>
              <th scope="col">Parked</th>
              <th scope="col"><span class="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {refunds.data.refunds.map((refund) => (
              <tr key={refund.refund_id} data-testid="refund-row" data-refund-id={refund.refund_id}>
                <th scope="row">
                  <code>{refund.refund_id}</code>
                  <br />
                  <span class="muted">{refund.reason}</span>
                </th>
                <td data-label="Order"><code>{refund.order_id ?? refund.payment_id}</code></td>
                <td data-label="Amount"><Price cents={refund.amount} currency={refund.currency} /></td>
                <td data-label="Refusals">{refund.attempts}</td>
                <td data-label="Processor's last answer" data-testid="refund-last-error" class="wrap">
                  {refund.last_error ?? "none"}
                </td>
                <td data-label="Parked">
                  <When at={refund.parked_at} /> <span class="muted">({ageOf(refund.parked_at)} ago)</span>
                </td>
                <td>
                  <button
                    type="button"
                    class="secondary"
                    data-testid="retry-refund"
                    aria-label={`Send refund ${refund.refund_id} again`}
                    disabled={action.running !== undefined}
                    onClick={() =>
                      action.run(
                        refund.refund_id,
                        () => shop.admin.retryRefund(props.token, refund.refund_id),
                        outcomeOf
                      )}
                  >
                    {action.running === refund.refund_id ? "Sending…" : "Retry"}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
