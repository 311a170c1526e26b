/** An instant as the contract decodes it (`DateTime.Utc`): only its epoch milliseconds are read here. */
export interface Instant {
  readonly epochMilliseconds: number
}

/** How long ago `at` was, in the largest whole unit (`12 s`, `4 min`, `3 h`, `2 d`). */
export const ageOf = (at: Instant, now = Date.now()): string => {
  const seconds = Math.max(0, Math.round((now - at.epochMilliseconds) / 1000))
  if (seconds < 60) return `${seconds} s`
  if (seconds < 3_600) return `${Math.floor(seconds / 60)} min`
  if (seconds < 86_400) return `${Math.floor(seconds / 3_600)} h`
  return `${Math.floor(seconds / 86_400)} d`
}

/** A time as the reader's local time, with the exact UTC instant on hover and for machines. */
export const When = (props: { readonly at: Instant }) => {
  const iso = new Date(props.at.epochMilliseconds).toISOString()
  return <time dateTime={iso} title={iso}>{new Date(props.at.epochMilliseconds).toLocaleString("en-US")}</time>
}
