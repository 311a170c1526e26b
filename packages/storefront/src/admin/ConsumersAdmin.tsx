import { shop } from "../api/Shop.ts"
import { ProblemMessage } from "../components/ProblemMessage.tsx"
import { useLoad } from "../state/useLoad.ts"
import { useRefreshing } from "./useRefreshing.ts"

const transports = { event_log: "PostgreSQL event log", kafka: "Kafka" } as const

/** `/admin/consumers`: how many events each consumer group has not processed yet, as its consumer last measured. */
export const ConsumersAdmin = (props: { readonly token: string }) => {
  const consumers = useRefreshing(useLoad(() => shop.admin.consumers(props.token), [props.token]))
  return (
    <section>
      <h1 tabIndex={-1}>Consumer lag</h1>
      <ProblemMessage problem={consumers.problem} retry={consumers.reload} />
      {consumers.data !== undefined && (
        <table class="lines compact operations" data-testid="consumers">
          <thead>
            <tr>
              <th scope="col">Consumer group</th>
              <th scope="col">Service</th>
              <th scope="col">Transport</th>
              <th scope="col">Lag (events)</th>
            </tr>
          </thead>
          <tbody>
            {consumers.data.consumers.map((consumer) => (
              <tr key={consumer.group} data-testid="consumer-row" data-group={consumer.group}>
                <th scope="row">{consumer.group}</th>
                <td data-label="Service">{consumer.service}</td>
                <td data-label="Transport">{transports[consumer.transport]}</td>
                <td data-label="Lag" data-testid="consumer-lag">{consumer.lag.toLocaleString("en-US")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p class="muted">
        The head of the log (or each partition's high watermark) minus the group's committed position, measured by the
        consumer at its last poll (event log) or batch (Kafka). A lag that keeps growing means the consumer cannot keep
        up or is stuck on an event.
      </p>
    </section>
  )
}
