import { useCallback, useEffect, useRef, useState } from "preact/hooks"
import { ApiProblem } from "../api/Shop.ts"
import { expire } from "./Session.ts"

/** What a page shows while it loads from the gateway. */
export interface Loaded<A> {
  readonly data: A | undefined
  readonly problem: ApiProblem | undefined
  readonly loading: boolean
  /** Loads again (after an action, or on a timer); keeps the current data on screen meanwhile. */
  readonly reload: () => void
}

/** The problem of any failure; a refused token also signs the user out. */
export const asProblem = (error: unknown): ApiProblem => {
  const problem = error instanceof ApiProblem
    ? error
    : new ApiProblem({ status: undefined, tag: "Unknown", detail: String(error) })
  if (problem.unauthorized) expire(`${problem.message}. Sign in again.`)
  return problem
}

/**
 * Loads `load()` now and whenever `deps` change. An answer that arrives after a newer request was made is dropped,
 * so typing fast in the search box never shows an older result last.
 */
export const useLoad = <A>(load: () => Promise<A>, deps: ReadonlyArray<unknown>): Loaded<A> => {
  const [state, setState] = useState<{ data: A | undefined; problem: ApiProblem | undefined; loading: boolean }>({
    data: undefined,
    problem: undefined,
    loading: true
  })
  const generation = useRef(0)
  const run = useCallback(() => {
    const mine = ++generation.current
    setState((previous) => ({ ...previous, loading: true }))
    load().then(
      (data) => mine === generation.current && setState({ data, problem: undefined, loading: false }),
      (error: unknown) =>
        mine === generation.current &&
        setState((previous) => ({ ...previous, problem: asProblem(error), loading: false }))
    )
  }, deps)
  useEffect(() => {
    run()
    return () => void generation.current++
  }, [run])
  return { ...state, reload: run }
}
