import type { DemoPersona, DemoPersonaJson } from "@shop/domain"
import { useEffect, useState } from "preact/hooks"
import { type ApiProblem, shop } from "../api/Shop.ts"
import { signedOutBecause, signInAs } from "../state/Session.ts"
import { useStore } from "../state/Store.ts"
import { asProblem } from "../state/useLoad.ts"
import { ProblemMessage } from "./ProblemMessage.tsx"

type Personas = { readonly mode: "development"; readonly personas: ReadonlyArray<DemoPersonaJson> } | {
  readonly mode: "identity-provider"
}

// Asked once per page load: a development gateway lists its demo users, a production one answers 404.
let personas: Promise<Personas> | undefined
const loadPersonas = () =>
  personas ??= shop.development.personas().then(
    (answer) => ({ mode: "development" as const, personas: answer.personas }),
    (problem: ApiProblem) => {
      if (problem.status === 404) return { mode: "identity-provider" as const }
      personas = undefined
      throw problem
    }
  )

/** Whether the gateway runs in development (it offers demo users, test cards and the local mailbox). */
export const useDevelopmentGateway = (): boolean => {
  const [development, setDevelopment] = useState(false)
  useEffect(() => {
    loadPersonas().then((found) => setDevelopment(found.mode === "development"), () => setDevelopment(false))
  }, [])
  return development
}

/**
 * Sign-in: on a development gateway, one button per demo user; in production, tokens come from the identity
 * provider the gateway trusts (JWT_JWKS_URL), whose sign-in page is not part of this storefront yet.
 */
export const SignInPanel = (props: { readonly onSignedIn?: () => void; readonly reason?: string }) => {
  const [found, setFound] = useState<Personas | undefined>(undefined)
  const [problem, setProblem] = useState<ApiProblem | undefined>(undefined)
  const [busy, setBusy] = useState<DemoPersona | undefined>(undefined)
  const because = useStore(signedOutBecause)

  const load = () => loadPersonas().then(setFound, (error: unknown) => setProblem(asProblem(error)))
  useEffect(() => void load(), [])

  const signIn = (persona: DemoPersona) => {
    setBusy(persona)
    setProblem(undefined)
    signInAs(persona).then(
      () => props.onSignedIn?.(),
      (error: unknown) => {
        setBusy(undefined)
        setProblem(asProblem(error))
      }
    )
  }

  return (
    <section class="sign-in" aria-labelledby="sign-in-heading">
      <h2 id="sign-in-heading">Sign in</h2>
      {because !== undefined && <p class="notice" role="status">{because}</p>}
      {props.reason !== undefined && <p>{props.reason}</p>}
      <ProblemMessage problem={problem} retry={() => void load()} />
      {found?.mode === "development" && (
        <>
          <p class="muted">This shop runs in development: sign in as a demo user in one click.</p>
          <div class="persona-buttons">
            {found.personas.map((persona) => (
              <button
                key={persona.persona}
                type="button"
                class={persona.persona === "admin" ? "secondary" : undefined}
                data-testid={persona.persona === "customer" ? "sign-in" : `sign-in-${persona.persona}`}
                disabled={busy !== undefined}
                onClick={() => signIn(persona.persona)}
              >
                {busy === persona.persona ? "Signing in…" : `Sign in as ${persona.label.toLowerCase()}`}
              </button>
            ))}
          </div>
        </>
      )}
      {found?.mode === "identity-provider" && (
        <p>
          Accounts are managed by the shop's identity provider. Its sign-in page is not connected to this storefront
          yet: see “Sign-in in production” in the README.
        </p>
      )}
    </section>
  )
}
