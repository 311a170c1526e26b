import { Link } from "./Link.tsx"

/** Previous / next links and where the page is, for a list of `total` items shown `limit` at a time. */
export const Pagination = (props: {
  readonly page: number
  readonly limit: number
  readonly total: number
  readonly hrefFor: (page: number) => string
}) => {
  const pages = Math.max(1, Math.ceil(props.total / props.limit))
  if (pages <= 1) return null
  return (
    <nav class="pagination" aria-label="Pages">
      {props.page > 1
        ? <Link href={props.hrefFor(props.page - 1)} rel="prev">← Previous</Link>
        : <span aria-hidden="true" />}
      <span>
        Page {props.page} of {pages.toLocaleString("en-US")}
      </span>
      {props.page < pages
        ? <Link href={props.hrefFor(props.page + 1)} rel="next">Next →</Link>
        : <span aria-hidden="true" />}
    </nav>
  )
}
