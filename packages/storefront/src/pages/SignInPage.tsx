import { SignInPanel } from "../components/SignInPanel.tsx"
import { type Location, navigate } from "../state/Router.ts"
import { session, signOut } from "../state/Session.ts"
import { useStore } from "../state/Store.ts"

// Only a path of this site is followed after sign-in, never another origin.
const safeNext = (next: string | null) => next !== null && /^\/(?!\/)/.test(next) ? next : "/"

/** `/signin`: sign in (demo users in development), then back to where the shopper was. */
export const SignInPage = (props: { readonly location: Location }) => {
  const signedIn = useStore(session)
  const next = safeNext(props.location.query.get("next"))
  if (signedIn !== undefined) {
    return (
      <section>
        <h1 tabIndex={-1}>Signed in</h1>
        <p>
          You are signed in as <strong>{signedIn.userId}</strong> ({signedIn.roles.join(", ")}).
        </p>
        <button type="button" class="secondary" onClick={signOut}>Sign out</button>
      </section>
    )
  }
  return (
    <section>
      <h1 tabIndex={-1}>Welcome</h1>
      <SignInPanel onSignedIn={() => navigate(next, { replace: true })} />
    </section>
  )
}
