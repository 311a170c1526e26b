import { Link } from "../components/Link.tsx"
import { SignInPanel } from "../components/SignInPanel.tsx"
import type { Location } from "../state/Router.ts"
import { isAdmin, session } from "../state/Session.ts"
import { useStore } from "../state/Store.ts"
import { BreakersAdmin } from "./BreakersAdmin.tsx"
import { ConsumersAdmin } from "./ConsumersAdmin.tsx"
import { DeadLettersAdmin } from "./DeadLettersAdmin.tsx"
import { operationsViews } from "./OperationsViews.ts"
import { OrdersAdmin } from "./OrdersAdmin.tsx"
import { OutboxAdmin } from "./OutboxAdmin.tsx"
import { Overview } from "./Overview.tsx"
import { ProductsAdmin } from "./ProductsAdmin.tsx"
import { RefundsAdmin } from "./RefundsAdmin.tsx"
import { SagasAdmin } from "./SagasAdmin.tsx"

const sections: ReadonlyArray<readonly [string, string]> = [
  ["", "Overview"],
  ["products", "Products"],
  ["orders", "Orders"],
  ...Object.entries(operationsViews).map(([path, view]) => [path, view.title] as const)
]

/** `/admin`: the operator console, for users with the admin role. Loaded apart from the storefront's bundle. */
export const AdminApp = (props: { readonly location: Location; readonly section: string }) => {
  const signedIn = useStore(session)
  if (signedIn === undefined) {
    return (
      <section>
        <h1 tabIndex={-1}>Operator console</h1>
        <SignInPanel reason="The console is for admins: sign in with an account that has the admin role." />
      </section>
    )
  }
  if (!isAdmin(signedIn)) {
    return (
      <section>
        <h1 tabIndex={-1}>Operator console</h1>
        <p class="problem" role="alert">
          {signedIn.userId} has no admin role: the console is for admins. Sign out and sign in as an admin.
        </p>
      </section>
    )
  }
  const section = props.section.replace(/\/$/, "")
  const view = () => {
    if (section === "") return <Overview />
    if (section === "products") return <ProductsAdmin token={signedIn.token} location={props.location} />
    if (section === "orders") return <OrdersAdmin token={signedIn.token} location={props.location} />
    if (section === "sagas") return <SagasAdmin token={signedIn.token} />
    if (section === "refunds") return <RefundsAdmin token={signedIn.token} />
    if (section === "dead-letters") return <DeadLettersAdmin token={signedIn.token} />
    if (section === "breakers") return <BreakersAdmin token={signedIn.token} />
    if (section === "consumers") return <ConsumersAdmin token={signedIn.token} />
    if (section === "outbox") return <OutboxAdmin token={signedIn.token} />
    return (
      <section>
        <h1 tabIndex={-1}>No such view</h1>
      </section>
    )
  }
  return (
    <div class="console" data-testid="admin-console">
      <nav class="console-nav" aria-label="Console">
        <p class="console-title">Console</p>
        <ul>
          {sections.map(([path, title]) => (
            <li key={path}>
              <Link href={path === "" ? "/admin" : `/admin/${path}`} current={section === path}>
                {title}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <div class="console-body">{view()}</div>
    </div>
  )
}
