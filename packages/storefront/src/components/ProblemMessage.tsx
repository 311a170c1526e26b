import type { ApiProblem } from "../api/Shop.ts"

/** An API problem shown as its own text, announced to screen readers. */
export const ProblemMessage = (props: { readonly problem: ApiProblem | undefined; readonly retry?: () => void }) =>
  props.problem === undefined ? null : (
    <div class="problem" role="alert" data-testid="problem">
      <p>{props.problem.message}</p>
      {props.problem.issues.length > 0 && (
        <ul>
          {props.problem.issues.map((issue) => (
            <li key={issue.path.join(".")}>
              {issue.path.length > 0 && <code>{issue.path.join(".")}</code>} {issue.message}
            </li>
          ))}
        </ul>
      )}
      {props.retry !== undefined && (
        <button type="button" class="secondary" onClick={props.retry}>
          Try again
        </button>
      )}
    </div>
  )
