import { shop } from "../api/Shop.ts"
import { ProblemMessage } from "../components/ProblemMessage.tsx"
import { ageOf, When } from "../components/When.tsx"
import { useLoad } from "../state/useLoad.ts"
import { ActionOutcome } from "./ActionOutcome.tsx"
import { useAction } from "./useAction.ts"
import { useRefreshing } from "./useRefreshing.ts"

/**
 * `/admin/sagas`: sagas whose step failed and waits for its next attempt (retrying), or that a person must look at
 * (stuck: SAGA_MAX_ATTEMPTS failures at one step, or no progress for SAGA_STUCK_AFTER), with their last error. "Retry
 * now" makes a saga due at once instead of after its backoff.
 */
export const SagasAdmin = (props: { readonly token: string }) => {
  const sagas = useRefreshing(useLoad(() => shop.admin.sagas(props.token), [props.token]))
  const action = useAction(sagas.reload)
  return (
    <section>
      <h1 tabIndex={-1}>Sagas</h1>
      <p class="muted">
        Checkouts that are not ending on their own. A retrying saga runs again after its backoff; retry now to run it at
        once (after fixing what its last error names).
      </p>
      <ActionOutcome action={action} />
      <ProblemMessage problem={sagas.problem} retry={sagas.reload} />
      {sagas.data !== undefined && sagas.data.sagas.length === 0 && (
        <p data-testid="sagas-empty">No saga is retrying or stuck.</p>
      )}
      {sagas.data !== undefined && sagas.data.sagas.length > 0 && (
        <table class="lines compact operations" data-testid="sagas">
          <thead>
            <tr>
              <th scope="col">Order</th>
              <th scope="col">Step</th>
              <th scope="col">State</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last error</th>
              <th scope="col">Next attempt</th>
              <th scope="col"><span class="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {sagas.data.sagas.map((saga) => (
              <tr key={saga.order_id} data-testid="saga-row" data-order-id={saga.order_id}>
                <th scope="row">
                  <code>{saga.order_id}</code>
                  <br />
                  <span class="muted">started {ageOf(saga.created_at)} ago</span>
                </th>
                <td data-label="Step">{saga.step.replace("_", " ")}</td>
                <td data-label="State">
                  <span class={`badge ${saga.state === "stuck" ? "status-failed" : "status-pending"}`}>
                    {saga.state}
                  </span>
                  {saga.failure_reason !== undefined && <span class="muted">will fail: {saga.failure_reason}</span>}
                </td>
                <td data-label="Attempts">{saga.attempts}</td>
                <td data-label="Last error" data-testid="saga-last-error" class="wrap">{saga.last_error ?? "none"}</td>
                <td data-label="Next attempt"><When at={saga.next_attempt_at} /></td>
                <td>
                  <button
                    type="button"
                    class="secondary"
                    data-testid="retry-saga"
                    aria-label={`Retry the saga of ${saga.order_id} now`}
                    disabled={action.running !== undefined}
                    onClick={() =>
                      action.run(
                        saga.order_id,
                        () => shop.admin.retrySaga(props.token, saga.order_id),
                        (due) => `The saga of ${due.order_id} is due now; it runs on the order service's next poll.`
                      )}
                  >
                    {action.running === saga.order_id ? "Retrying…" : "Retry now"}
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
