import { Schema } from "effect"

/**
 * Text that the platform stores, searches and shows: well-formed Unicode with no control characters.
 *
 * Why at the schema level: PostgreSQL refuses a NUL byte in `text` (SQLSTATE 22021), so a NUL that reaches a query
 * turns a bad request into a server error; other control characters (escape sequences, backspaces, C1 codes) end up
 * in logs, emails and terminals. Input that was not valid UTF-8 arrives decoded with U+FFFD in place of the bad
 * bytes (JSON and URL decoders never fail on it), and a JSON `\ud800` escape yields a lone surrogate: both are
 * refused, so that what is stored is what the client meant to send.
 */

// C0 controls, DEL and C1 controls (Unicode category Cc).
const anyControl = /\p{Cc}/u
// The same, except tab, line feed and carriage return, which a multi-line text may hold.
const controlButLineBreaks = /(?![\t\n\r])\p{Cc}/u
const replacementCharacter = "\uFFFD"
// A high surrogate not followed by a low one, or a low one not preceded by a high one (no `u` flag: code units).
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

const describe = (char: string) => `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`

/** Why `text` is not acceptable text, or `undefined` when it is. */
export const textProblem = (text: string, options?: { readonly multiline?: boolean }): string | undefined => {
  if (loneSurrogate.test(text)) return "must be valid UTF-8 text (it holds a lone surrogate)"
  if (text.includes(replacementCharacter)) return "must be valid UTF-8 text (it holds U+FFFD, left by invalid bytes)"
  const control = (options?.multiline === true ? controlButLineBreaks : anyControl).exec(text)
  if (control !== null) return `must not contain control characters (${describe(control[0])} at ${control.index})`
  return undefined
}

/** A check for single-line text: no control character at all, valid UTF-8. */
export const isSingleLineText = () =>
  Schema.makeFilter((text: string) => textProblem(text), {
    expected: "text without control characters"
  })

/** A check for multi-line text: tab, line feed and carriage return allowed, no other control character. */
export const isMultilineText = () =>
  Schema.makeFilter((text: string) => textProblem(text, { multiline: true }), {
    expected: "text without control characters other than tab and line breaks"
  })
