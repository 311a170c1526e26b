import { shop } from "../api/Shop.ts"
import { ProblemMessage } from "../components/ProblemMessage.tsx"
import { useLoad } from "../state/useLoad.ts"
import { useRefreshing } from "./useRefreshing.ts"

const badge = { closed: "status-confirmed", half_open: "status-pending", open: "status-failed", unknown: "" } as const

/**
 * `/admin/breakers`: every circuit breaker of the platform as the process holding it reports it. Open: calls to that
 * dependency fail at once (the checkouts wait and retry); half open: one probe call is let through.
 */
export const BreakersAdmin = (props: { readonly token: string }) => {
  const breakers = useRefreshing(useLoad(() => shop.admin.breakers(props.token), [props.token]))
  return (
    <section>
      <h1 tabIndex={-1}>Circuit breakers</h1>
      <ProblemMessage problem={breakers.problem} retry={breakers.reload} />
      {breakers.data !== undefined && (
        <table class="lines compact operations" data-testid="breakers">
          <thead>
            <tr>
              <th scope="col">Caller</th>
              <th scope="col">Dependency</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {breakers.data.breakers.map((breaker) => (
              <tr
                key={`${breaker.service}-${breaker.dependency}`}
                data-testid="breaker-row"
                data-dependency={breaker.dependency}
              >
                <th scope="row">{breaker.service}</th>
                <td data-label="Dependency">{breaker.dependency}</td>
                <td data-label="State">
                  <span class={`badge ${badge[breaker.state]}`} data-testid="breaker-state">
                    {breaker.state.replace("_", " ")}
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p class="muted">
        With Redis (REDIS_URL) every replica shares each breaker's state; without it, this is the state of the replica
        that answered.
      </p>
    </section>
  )
}
