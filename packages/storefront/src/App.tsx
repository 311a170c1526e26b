import type { FunctionComponent } from "preact"
import { useEffect, useState } from "preact/hooks"
import { Header } from "./components/Header.tsx"
import { Link } from "./components/Link.tsx"
import { CartPage } from "./pages/CartPage.tsx"
import { CheckoutPage } from "./pages/CheckoutPage.tsx"
import { HomePage } from "./pages/HomePage.tsx"
import { MailPage } from "./pages/MailPage.tsx"
import { OrderPage } from "./pages/OrderPage.tsx"
import { OrdersPage } from "./pages/OrdersPage.tsx"
import { ProductPage } from "./pages/ProductPage.tsx"
import { SearchPage } from "./pages/SearchPage.tsx"
import { SignInPage } from "./pages/SignInPage.tsx"
import { type Location, location } from "./state/Router.ts"
import { matchPage } from "./state/Routes.ts"
import { useStore } from "./state/Store.ts"

type Console = FunctionComponent<{ readonly location: Location; readonly section: string }>

/** The operator console, loaded on first use: shoppers never download it. */
const AdminConsole = (props: { readonly location: Location; readonly section: string }) => {
  const [Loaded, setLoaded] = useState<Console | undefined>(undefined)
  useEffect(() => {
    void import("./admin/AdminApp.tsx").then((module) => setLoaded(() => module.AdminApp))
  }, [])
  return Loaded === undefined ? <p aria-busy="true">Loading the console…</p> : <Loaded {...props} />
}

const NotFound = () => (
  <section>
    <h1 tabIndex={-1}>Page not found</h1>
    <p>
      <Link href="/">Back to the shop</Link>
    </p>
  </section>
)

const titles: Record<string, string> = {
  home: "Shop",
  search: "Search",
  product: "Product",
  cart: "Cart",
  checkout: "Checkout",
  signIn: "Sign in",
  orders: "My orders",
  order: "Order",
  mail: "Mail",
  admin: "Console"
}

/** The storefront: the header, then the page of the current path. */
export const App = () => {
  const where = useStore(location)
  const matched = matchPage(where.path)
  const key = `${where.path}?${where.query.toString()}`

  // A new page: name it in the tab and move the keyboard focus to its heading, as a page load would.
  const [first, setFirst] = useState(true)
  useEffect(() => {
    document.title = `${titles[matched?.page ?? ""] ?? "Not found"} · Shop Mesh`
    if (first) return setFirst(false)
    document.querySelector<HTMLElement>("main h1")?.focus()
  }, [where.path])

  const page = () => {
    if (matched === undefined) return <NotFound />
    const id = matched.params.id ?? ""
    switch (matched.page) {
      case "home":
        return <HomePage location={where} />
      case "search":
        return <SearchPage location={where} />
      case "product":
        return <ProductPage key={id} id={id} />
      case "cart":
        return <CartPage />
      case "checkout":
        return <CheckoutPage />
      case "signIn":
        return <SignInPage location={where} />
      case "orders":
        return <OrdersPage location={where} />
      case "order":
        return <OrderPage key={id} id={id} />
      case "mail":
        return <MailPage id={id} />
      case "admin":
        return <AdminConsole location={where} section={matched.params["*"] ?? ""} />
    }
  }

  return (
    <>
      <Header />
      <main id="main" data-page={matched?.page ?? "not-found"} data-location={key}>
        {page()}
      </main>
      <footer class="site-footer">
        <p class="muted">
          Shop Mesh · <a href="/docs">API docs</a>
        </p>
      </footer>
    </>
  )
}
