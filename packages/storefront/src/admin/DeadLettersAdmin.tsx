import { shop } from "../api/Shop.ts"
import { ProblemMessage } from "../components/ProblemMessage.tsx"
import { When } from "../components/When.tsx"
import { useLoad } from "../state/useLoad.ts"
import { ActionOutcome } from "./ActionOutcome.tsx"
import { useAction } from "./useAction.ts"
import { useRefreshing } from "./useRefreshing.ts"

/**
 * `/admin/dead-letters`: notifications that failed on every channel, and events that could not be decoded (what
 * `npm run redrive -- --list` shows). "Redrive" puts a notification back in the delivery queue.
 */
export const DeadLettersAdmin = (props: { readonly token: string }) => {
  const letters = useRefreshing(useLoad(() => shop.admin.deadLetters(props.token), [props.token]))
  const action = useAction(letters.reload)
  return (
    <section>
      <h1 tabIndex={-1}>Dead letters</h1>
      <p class="muted">
        Mails and SMS that could not be delivered after every retry. Fix the cause (the mail server, the SMS provider,
        the address), then redrive: the delivery starts over with fresh attempts.
      </p>
      <ActionOutcome action={action} />
      <ProblemMessage problem={letters.problem} retry={letters.reload} />
      {letters.data !== undefined && letters.data.dead_letters.length === 0 && (
        <p data-testid="dead-letters-empty">No dead letter is waiting.</p>
      )}
      {letters.data !== undefined && letters.data.dead_letters.length > 0 && (
        <table class="lines compact operations" data-testid="dead-letters">
          <thead>
            <tr>
              <th scope="col">Dead letter</th>
              <th scope="col">Type</th>
              <th scope="col">Attempts</th>
              <th scope="col">Error</th>
              <th scope="col">Since</th>
              <th scope="col"><span class="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {letters.data.dead_letters.map((letter) => (
              <tr key={letter.id} data-testid="dead-letter-row" data-dead-letter-id={letter.id}>
                <th scope="row">
                  #{letter.id}
                  <br />
                  <span class="muted">event {letter.event_id}</span>
                </th>
                <td data-label="Type">{letter.type}</td>
                <td data-label="Attempts">{letter.attempts}</td>
                <td data-label="Error" class="wrap">{letter.error}</td>
                <td data-label="Since">{letter.created_at === undefined ? "" : <When at={letter.created_at} />}</td>
                <td>
                  {letter.notification_id === undefined
                    ? <span class="muted">an event that could not be read: nothing to send again</span>
                    : (
                      <button
                        type="button"
                        class="secondary"
                        data-testid="redrive-dead-letter"
                        aria-label={`Redrive dead letter ${letter.id}`}
                        disabled={action.running !== undefined}
                        onClick={() =>
                          action.run(
                            letter.id,
                            () => shop.admin.redrive(props.token, letter.id),
                            (redriven) => `Dead letter #${redriven.id} is back in the delivery queue.`
                          )}
                      >
                        {action.running === letter.id ? "Redriving…" : "Redrive"}
                      </button>
                    )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
