import { type DemoPersona, DemoSession, type Role, type UserId } from "@shop/domain"
import { DateTime, Schema } from "effect"
import { shop } from "../api/Shop.ts"
import { makeStore } from "./Store.ts"

/** The signed-in user: their bearer token, id and roles, until the token expires. */
export interface Session {
  readonly token: string
  readonly userId: UserId
  readonly roles: ReadonlyArray<Role>
  readonly expiresAt: number
}

const storageKey = "shop-mesh.session"
const StoredSession = Schema.fromJsonString(DemoSession)
const decode = Schema.decodeUnknownOption(StoredSession)
const encode = Schema.encodeSync(StoredSession)

const load = (): Session | undefined => {
  const stored = decode(window.localStorage.getItem(storageKey) ?? "")
  if (stored._tag === "None") return undefined
  const { token, user_id, roles, expires_at } = stored.value
  const expiresAt = DateTime.toEpochMillis(expires_at)
  return expiresAt > Date.now() ? { token, userId: user_id, roles, expiresAt } : undefined
}

/** The current session; undefined when signed out. */
export const session = makeStore<Session | undefined>(load())

/** Why the user was signed out, when it was not their choice (shown on the sign-in form). */
export const signedOutBecause = makeStore<string | undefined>(undefined)

let expiryTimer: ReturnType<typeof setTimeout> | undefined
const watchExpiry = (current: Session | undefined) => {
  clearTimeout(expiryTimer)
  if (current !== undefined) {
    expiryTimer = setTimeout(() => expire("Your session has expired: sign in again."), current.expiresAt - Date.now())
  }
}
watchExpiry(session.get())
session.subscribe(watchExpiry)

// Another tab signed in or out.
window.addEventListener("storage", (event) => {
  if (event.key === storageKey) session.set(load())
})

/** Signs in as a demo user of a development gateway. */
export const signInAs = async (persona: DemoPersona): Promise<Session> => {
  const demo = await shop.development.signIn(persona)
  window.localStorage.setItem(storageKey, encode(demo))
  const signedIn = load()
  if (signedIn === undefined) throw new Error("the gateway returned an expired token")
  signedOutBecause.set(undefined)
  session.set(signedIn)
  return signedIn
}

/** Forgets the token. */
export const signOut = () => {
  window.localStorage.removeItem(storageKey)
  session.set(undefined)
}

/** Signs out because the gateway refused the token (expired, or signed with another key). */
export const expire = (reason: string) => {
  signOut()
  signedOutBecause.set(reason)
}

/** Whether the session holds the admin role. */
export const isAdmin = (current: Session | undefined): boolean => current?.roles.includes("admin") === true
