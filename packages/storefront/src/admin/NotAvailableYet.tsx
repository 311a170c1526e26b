/** What each phase-2 view of the console will show, and what it waits for. */
export const comingViews = {
  sagas: {
    title: "Sagas",
    what: "Sagas that are retrying or stuck, with their step, attempts and last error, and an action to retry one."
  },
  refunds: {
    title: "Parked refunds",
    what: "Refunds the saga could not complete, parked for an operator, with retry."
  },
  "dead-letters": {
    title: "Dead letters",
    what: "Notifications that exhausted every channel, with redrive (what `npm run redrive` does today)."
  },
  breakers: {
    title: "Circuit breakers",
    what: "The state of every circuit breaker (order → product, order → payment, payment → card processor)."
  },
  consumers: {
    title: "Consumer lag",
    what: "Events each consumer group has not processed yet, per group."
  },
  outbox: {
    title: "Outbox backlog",
    what: "Events written to the outboxes and not yet published, per service, with the oldest one's age."
  }
} as const

export type ComingView = keyof typeof comingViews

/**
 * A console view that needs admin endpoints the REST API does not have yet. It says so plainly and shows no data:
 * an operator must never mistake a mock-up for the state of the platform.
 */
export const NotAvailableYet = (props: { readonly view: ComingView }) => {
  const view = comingViews[props.view]
  return (
    <section class="not-available" data-testid="not-available">
      <h1 tabIndex={-1}>{view.title}</h1>
      <p class="notice">
        <strong>Not available yet.</strong>{" "}
        This view needs admin endpoints of the REST API that are still being built.
      </p>
      <p class="muted">When it arrives: {view.what}</p>
      <p class="muted">
        Until then the same facts are in the metrics (<code>:9091/metrics</code> and each service's admin port) and
        the Grafana dashboards; see the README's Operations section.
      </p>
    </section>
  )
}
