import type { ComponentChildren } from "preact"
import { navigate } from "../state/Router.ts"

/** A link that changes the page without reloading it (a modified click still opens a new tab). */
export const Link = (props: {
  readonly href: string
  readonly children: ComponentChildren
  readonly class?: string
  readonly rel?: string
  readonly current?: boolean
  readonly testId?: string
}) => (
  <a
    href={props.href}
    class={props.class}
    rel={props.rel}
    aria-current={props.current === true ? "page" : undefined}
    data-testid={props.testId}
    onClick={(event) => {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
      event.preventDefault()
      navigate(props.href)
    }}
  >
    {props.children}
  </a>
)
