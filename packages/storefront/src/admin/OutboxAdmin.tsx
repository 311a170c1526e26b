import { shop } from "../api/Shop.ts"
import { ProblemMessage } from "../components/ProblemMessage.tsx"
import { ageOf } from "../components/When.tsx"
import { useLoad } from "../state/useLoad.ts"
import { useRefreshing } from "./useRefreshing.ts"

/** `/admin/outbox`: events written with their state change and not yet published by the relay, per topic. */
export const OutboxAdmin = (props: { readonly token: string }) => {
  const backlog = useRefreshing(useLoad(() => shop.admin.outbox(props.token), [props.token]))
  return (
    <section>
      <h1 tabIndex={-1}>Outbox backlog</h1>
      <ProblemMessage problem={backlog.problem} retry={backlog.reload} />
      {backlog.data !== undefined && (
        <>
          <p>
            The {backlog.data.service} service's outbox holds{" "}
            <strong data-testid="outbox-pending">{backlog.data.pending.toLocaleString("en-US")}</strong>{" "}
            unpublished {backlog.data.pending === 1 ? "event" : "events"}
            {backlog.data.oldest_at !== undefined && <>, the oldest {ageOf(backlog.data.oldest_at)} old</>}.
          </p>
          {backlog.data.topics.length > 0 && (
            <table class="lines compact operations" data-testid="outbox-topics">
              <thead>
                <tr>
                  <th scope="col">Topic</th>
                  <th scope="col">Unpublished</th>
                  <th scope="col">Oldest</th>
                </tr>
              </thead>
              <tbody>
                {backlog.data.topics.map((topic) => (
                  <tr key={topic.topic} data-testid="outbox-topic-row">
                    <th scope="row">{topic.topic}</th>
                    <td data-label="Unpublished">{topic.pending.toLocaleString("en-US")}</td>
                    <td data-label="Oldest">{topic.oldest_at === undefined ? "" : `${ageOf(topic.oldest_at)} old`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
      <p class="muted">
        A backlog that grows, or an oldest event minutes old, means the relay or the event bus is not keeping up.
      </p>
    </section>
  )
}
