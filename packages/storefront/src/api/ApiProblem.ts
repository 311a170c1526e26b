/** One field the gateway (or the contract, before sending) found wrong: its path and what is wrong. */
export interface ProblemIssue {
  readonly path: ReadonlyArray<string | number>
  readonly message: string
}

/**
 * A failed call, as the user reads it: the problem's own text (`detail`), its HTTP status when there was an answer,
 * the error's tag (`InsufficientStock`, `Unauthorized`, ...) and, for invalid input, one issue per field.
 */
export class ApiProblem extends Error {
  readonly status: number | undefined
  readonly tag: string
  readonly issues: ReadonlyArray<{ readonly path: ReadonlyArray<string>; readonly message: string }>

  constructor(options: {
    readonly status: number | undefined
    readonly tag: string
    readonly detail: string
    readonly issues?: ReadonlyArray<{ readonly path: ReadonlyArray<string>; readonly message: string }>
  }) {
    super(options.detail)
    this.name = "ApiProblem"
    this.status = options.status
    this.tag = options.tag
    this.issues = options.issues ?? []
  }

  /** Whether the token was refused (expired or signed out elsewhere). */
  get unauthorized(): boolean {
    return this.status === 401
  }
}
