/**
 * Stand-in for k6's `k6/http` module in tests: records every request and answers through `respond`, with responses
 * shaped like k6's (`status`, `body`, `json(selector)`).
 */
export interface RecordedRequest {
  readonly method: string
  readonly url: string
  readonly body: string | undefined
  readonly params: { readonly headers?: Record<string, string>; readonly tags?: Record<string, string> } | undefined
}

export const requests: Array<RecordedRequest> = []
export const responder = {
  respond: (_request: RecordedRequest): { status: number; body: unknown } => ({ status: 200, body: {} })
}

const response = (request: RecordedRequest) => {
  requests.push(request)
  const { body, status } = responder.respond(request)
  const text = JSON.stringify(body)
  return {
    status,
    body: text,
    json: (selector?: string) => {
      const parsed = JSON.parse(text) as Record<string, unknown>
      return selector === undefined ? parsed : parsed[selector]
    }
  }
}

export default {
  get: (url: string, params?: RecordedRequest["params"]) => response({ method: "GET", url, body: undefined, params }),
  post: (url: string, body?: string, params?: RecordedRequest["params"]) =>
    response({ method: "POST", url, body, params })
}
