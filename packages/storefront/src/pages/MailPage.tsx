import { OrderId } from "@shop/domain"
import { shop } from "../api/Shop.ts"
import { Link } from "../components/Link.tsx"
import { ProblemMessage } from "../components/ProblemMessage.tsx"
import { SignInPanel } from "../components/SignInPanel.tsx"
import { session } from "../state/Session.ts"
import { useStore } from "../state/Store.ts"
import { useLoad } from "../state/useLoad.ts"

const MailView = (props: { readonly token: string; readonly id: OrderId }) => {
  const mails = useLoad(() => shop.development.mail(props.token, props.id), [props.token, props.id])
  return (
    <>
      <ProblemMessage problem={mails.problem} retry={mails.reload} />
      {mails.data?.mails.map((mail) => (
        <article key={mail.id} class="mail">
          <dl>
            <dt>From</dt>
            <dd>{mail.from}</dd>
            <dt>To</dt>
            <dd>{mail.to.join(", ")}</dd>
            <dt>Received</dt>
            <dd>{new Date(mail.received_at).toLocaleString("en-US")}</dd>
          </dl>
          <h2>{mail.subject}</h2>
          <pre>{mail.text}</pre>
        </article>
      ))}
    </>
  )
}

/** `/orders/:id/mail`: the mails the local mailbox (embedded mode) received about an order. */
export const MailPage = (props: { readonly id: string }) => {
  const signedIn = useStore(session)
  const id = OrderId.make(props.id)
  return (
    <section>
      <h1 tabIndex={-1}>Mail about order {id}</h1>
      <p class="muted">
        From the local mailbox of a development platform; a production platform sends real mail instead.{" "}
        <Link href={`/orders/${encodeURIComponent(id)}`}>Back to the order</Link>
      </p>
      {signedIn === undefined ? <SignInPanel /> : <MailView token={signedIn.token} id={id} />}
    </section>
  )
}
