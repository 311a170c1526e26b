import { useEffect, useState } from "preact/hooks"
import { cart, unitCount } from "../state/Cart.ts"
import { location, navigate, withQuery } from "../state/Router.ts"
import { isAdmin, session, signOut } from "../state/Session.ts"
import { useStore } from "../state/Store.ts"
import { Link } from "./Link.tsx"

/** The bar on every page: the shop's name, the search box, the cart with its count, and who is signed in. */
export const Header = () => {
  const lines = useStore(cart)
  const signedIn = useStore(session)
  const where = useStore(location)
  const searched = where.path === "/search" ? where.query.get("q") ?? "" : ""
  const [query, setQuery] = useState(searched)
  // Follow the URL (back/forward, a link to a search) unless the shopper is typing.
  useEffect(() => setQuery(searched), [searched])
  const count = unitCount(lines)

  return (
    <header class="site-header">
      <a class="skip-link" href="#main">Skip to content</a>
      <Link href="/" class="brand">Shop Mesh</Link>
      <form
        role="search"
        class="search"
        onSubmit={(event) => {
          event.preventDefault()
          navigate(withQuery("/search", { q: query.trim() }))
        }}
      >
        <input
          type="search"
          name="q"
          placeholder="Search products"
          aria-label="Search products"
          data-testid="search-input"
          maxLength={200}
          value={query}
          onInput={(event) => setQuery(event.currentTarget.value)}
        />
        <button type="submit">Search</button>
      </form>
      <nav class="account" aria-label="Account">
        {signedIn !== undefined && <Link href="/orders" current={where.path === "/orders"}>My orders</Link>}
        {isAdmin(signedIn) && <Link href="/admin" current={where.path.startsWith("/admin")}>Console</Link>}
        <Link href="/cart" class="cart-link" current={where.path === "/cart"}>
          Cart <span class="count" data-testid="cart-count" aria-label={`${count} items`}>{count}</span>
        </Link>
        {signedIn === undefined
          ? <Link href={withQuery("/signin", { next: where.path === "/signin" ? undefined : where.path })}>Sign in</Link>
          : (
            <span class="who">
              <span title={signedIn.roles.join(", ")}>{signedIn.userId}</span>{" "}
              <button type="button" class="link-button" onClick={signOut}>Sign out</button>
            </span>
          )}
      </nav>
    </header>
  )
}
