import { useState } from "preact/hooks"
import type { ApiProblem } from "../api/Shop.ts"
import { asProblem } from "../state/useLoad.ts"

/** The state of a console action on one item at a time: which item is being acted on, and how the last one went. */
export interface Action {
  /** The id of the item whose action is running, if any. */
  readonly running: string | undefined
  /** What the last action did, in words. */
  readonly outcome: string | undefined
  /** Why the last action failed: the problem's own text. */
  readonly problem: ApiProblem | undefined
  /** Runs `act` for the item `id`; on success shows `describe(result)` and calls `after`. */
  readonly run: <A>(id: string, act: () => Promise<A>, describe: (result: A) => string) => void
}

/** One action at a time per view (an operator clicks one thing, reads the answer, then the next). */
export const useAction = (after: () => void): Action => {
  const [running, setRunning] = useState<string | undefined>(undefined)
  const [outcome, setOutcome] = useState<string | undefined>(undefined)
  const [problem, setProblem] = useState<ApiProblem | undefined>(undefined)
  const run = <A>(id: string, act: () => Promise<A>, describe: (result: A) => string) => {
    setRunning(id)
    setOutcome(undefined)
    setProblem(undefined)
    act().then(
      (result) => {
        setOutcome(describe(result))
        setRunning(undefined)
        after()
      },
      (error: unknown) => {
        setProblem(asProblem(error))
        setRunning(undefined)
      }
    )
  }
  return { running, outcome, problem, run }
}
