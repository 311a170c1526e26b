import { makeStore } from "./Store.ts"

/** Where the browser is: the path and the query. */
export interface Location {
  readonly path: string
  readonly query: URLSearchParams
}

const read = (): Location => ({ path: window.location.pathname, query: new URLSearchParams(window.location.search) })

/** The current location; pages redraw when it changes. */
export const location = makeStore<Location>(read())

window.addEventListener("popstate", () => location.set(read()))

/** Goes to `to` (a path with an optional query) without reloading the page. */
export const navigate = (to: string, options: { readonly replace?: boolean } = {}) => {
  if (options.replace === true) window.history.replaceState(null, "", to)
  else window.history.pushState(null, "", to)
  location.set(read())
  if (options.replace !== true) window.scrollTo(0, 0)
}

/** A path with the given query members; empty and undefined members are left out. */
export const withQuery = (path: string, query: Record<string, string | number | undefined>): string => {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== "") params.set(name, String(value))
  }
  const text = params.toString()
  return text === "" ? path : `${path}?${text}`
}
