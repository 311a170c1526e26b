/**
 * The storefront's pages, by path pattern. The gateway answers each of these paths with the storefront's
 * `index.html` (its list, `storefrontPages`, is checked against this one by a test).
 */
export const pages = {
  home: "/",
  search: "/search",
  product: "/products/:id",
  cart: "/cart",
  checkout: "/checkout",
  signIn: "/signin",
  orders: "/orders",
  order: "/orders/:id",
  mail: "/orders/:id/mail",
  admin: "/admin/*"
} as const

export type Page = keyof typeof pages

/** The page whose pattern matches `path`, with its parameters (`:id`, and `*` for the rest of the path). */
export const matchPage = (
  path: string
): { readonly page: Page; readonly params: Record<string, string> } | undefined => {
  const segments = path.split("/").filter((segment) => segment !== "")
  for (const [page, pattern] of Object.entries(pages) as Array<[Page, string]>) {
    const parts = pattern.split("/").filter((part) => part !== "")
    const params: Record<string, string> = {}
    let matched = true
    for (let i = 0; i < parts.length && matched; i++) {
      const part = parts[i]!
      if (part === "*") {
        params["*"] = segments.slice(i).join("/")
        return { page, params }
      }
      const segment = segments[i]
      if (segment === undefined) matched = false
      else if (part.startsWith(":")) params[part.slice(1)] = decodeURIComponent(segment)
      else matched = part === segment
    }
    if (matched && segments.length === parts.length) return { page, params }
    if (pattern.endsWith("/*") && matched && segments.length === parts.length - 1) return { page, params: { "*": "" } }
  }
  return undefined
}
