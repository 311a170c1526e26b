import { Context } from "effect"

/**
 * The route template of the request being served (`/api/v1/orders/:id`), filled in by the API middleware so that
 * metrics never carry a raw URL with ids in it. One mutable cell per request, provided by the edge middleware.
 */
export const RequestRoute = Context.Reference<{ route: string | undefined }>("gateway/RequestRoute", {
  defaultValue: () => ({ route: undefined })
})
