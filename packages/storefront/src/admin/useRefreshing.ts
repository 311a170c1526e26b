import { useEffect } from "preact/hooks"
import type { Loaded } from "../state/useLoad.ts"

/** Loads again every `seconds` while the view is open: the console follows the platform without a reload. */
export const useRefreshing = <A>(loaded: Loaded<A>, seconds = 5): Loaded<A> => {
  useEffect(() => {
    const timer = setInterval(loaded.reload, seconds * 1000)
    return () => clearInterval(timer)
  }, [loaded.reload, seconds])
  return loaded
}
