import { Link } from "../components/Link.tsx"
import { SignInPanel } from "../components/SignInPanel.tsx"
import type { Location } from "../state/Router.ts"
import { isAdmin, session } from "../state/Session.ts"
import { useStore } from "../state/Store.ts"
import { type ComingView, comingViews, NotAvailableYet } from "./NotAvailableYet.tsx"
import { OrdersAdmin } from "./OrdersAdmin.tsx"
import { Overview } from "./Overview.tsx"
import { ProductsAdmin } from "./ProductsAdmin.tsx"

const sections: ReadonlyArray<readonly [string, string]> = [
  ["", "Overview"],
  ["products", "Products"],
  ["orders", "Orders"],
  ...Object.entries(comingViews).map(([path, view]) => [path, view.title] as const)
]

const isComing = (section: string): section is ComingView => section in comingViews

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
    if (isComing(section)) return <NotAvailableYet view={section} />
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
                {isComing(path) && <span class="soon"> · soon</span>}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <div class="console-body">{view()}</div>
    </div>
  )
}
