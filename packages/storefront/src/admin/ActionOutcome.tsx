import { ProblemMessage } from "../components/ProblemMessage.tsx"
import type { Action } from "./useAction.ts"

/** What the view's last action did, or the problem it met, announced to screen readers. */
export const ActionOutcome = (props: { readonly action: Action }) => (
  <>
    {props.action.outcome !== undefined && (
      <p class="notice" role="status" data-testid="action-outcome">{props.action.outcome}</p>
    )}
    <ProblemMessage problem={props.action.problem} />
  </>
)
