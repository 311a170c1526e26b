/** The RFC 8288 `Link` field of a list answer with a next page: `<url>; rel="next"`. */
export const nextLink = (url: string): string => `<${url}>; rel="next"`

const nextLinkPattern = /^<([^>]+)>; rel="next"$/

/**
 * The path and query of the next page a `Link` field written by `nextLink` points to (its URL may be absolute or a
 * bare path); undefined for any other field.
 */
export const nextPathOf = (link: string): string | undefined => {
  const target = nextLinkPattern.exec(link)?.[1]
  const url = target === undefined ? null : URL.parse(target, "http://request.invalid")
  return url === null ? undefined : url.pathname + url.search
}
