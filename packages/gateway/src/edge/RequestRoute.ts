import { Context } from "effect"

/** The per-request cell of RequestRoute. */
export interface RequestFacts {
  route: string | undefined
  freshUntil?: number | undefined
}

/**
 * What the edge learns about the request being served while the API answers it, in one mutable cell per request
 * provided by the edge middleware:
 * - `route`: the route template (`/api/v1/orders/:id`), filled in by the API middleware so that metrics never carry
 *   a raw URL with ids in it;
 * - `freshUntil`: set by the gateway's read cache (CatalogReadCache) when the answer is a catalog read it holds, to
 *   the time (epoch ms) its entry expires; until then the same answer may be served again from HotReads.
 */
export const RequestRoute = Context.Reference<RequestFacts>(
  "gateway/RequestRoute",
  { defaultValue: () => ({ route: undefined }) }
)
