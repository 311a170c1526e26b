import {
  CreatedProduct,
  type CreateOrderRequest,
  type CreateProductRequest,
  OrderAccepted,
  OrderCompleted,
  OrderJson,
  OrderList,
  ProductDetails
} from "@shop/domain"
import { AuthConfig } from "@shop/gateway/auth/AuthConfig"
import { signDevelopmentToken } from "@shop/gateway/development/DevelopmentTokens"
import { Effect, Schema } from "effect"

/** Signs development tokens with the gateway's own configuration: the code behind `npm run token`. */
export const tokenIssuer = async () => {
  const config = await Effect.runPromise(
    Effect.gen(function*() {
      return yield* AuthConfig
    }).pipe(Effect.provide(AuthConfig.layer))
  )
  const cache = new Map<string, Promise<string>>()
  return (sub: string, roles: ReadonlyArray<string> = ["customer"]) => {
    const key = `${sub} ${roles.join(",")}`
    let token = cache.get(key)
    if (token === undefined) {
      token = Effect.runPromise(signDevelopmentToken(config, { sub, roles, expiresIn: "2h" }))
      cache.set(key, token)
    }
    return token
  }
}
export type TokenIssuer = Awaited<ReturnType<typeof tokenIssuer>>

/** An answer of the gateway: its status and its JSON body (or undefined). */
export interface Answer {
  readonly status: number
  readonly body: unknown
}

const decodeOrder = Schema.decodeUnknownSync(OrderJson)
const decodeOrderList = Schema.decodeUnknownSync(OrderList)
const decodePlaced = Schema.decodeUnknownSync(Schema.Union([OrderCompleted, OrderAccepted]))
const decodeCreated = Schema.decodeUnknownSync(CreatedProduct)
const decodeProduct = Schema.decodeUnknownSync(ProductDetails)

/** One mail of the local SMTP sink, as `GET /mail` lists it. */
export interface MailSummary {
  readonly id: string
  readonly to: ReadonlyArray<string>
  readonly subject: string
  readonly messageId: string
}

/** The shop as its users see it: the gateway's REST API, plus the local mailbox. */
export const shop = (gateway: string, notifications: string, tokens: TokenIssuer) => {
  const call = async (method: string, path: string, token: string | undefined, body?: unknown): Promise<Answer> => {
    const response = await fetch(`${gateway}${path}`, {
      method,
      headers: {
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { "content-type": "application/json" })
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(15_000)
    })
    const text = await response.text()
    let parsed: unknown
    try {
      parsed = text === "" ? undefined : JSON.parse(text)
    } catch {
      parsed = text
    }
    return { status: response.status, body: parsed }
  }
  const expect = (answer: Answer, statuses: ReadonlyArray<number>, what: string) => {
    if (!statuses.includes(answer.status)) {
      throw new Error(`${what}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`)
    }
    return answer.body
  }

  return {
    createProduct: async (product: typeof CreateProductRequest.Encoded) => {
      const token = await tokens("chaos_admin", ["admin"])
      return decodeCreated(expect(await call("POST", "/api/v1/products", token, product), [201], "create product"))
    },
    product: async (id: string) =>
      decodeProduct(expect(await call("GET", `/api/v1/products/${id}`, undefined), [200], `product ${id}`)),
    /** One attempt to place an order: the raw answer, decoded only when it is a success. */
    placeOrder: async (userId: string, request: typeof CreateOrderRequest.Encoded) => {
      const answer = await call("POST", "/api/v1/orders", await tokens(userId), request)
      return answer.status === 201 || answer.status === 202
        ? { answer, placed: decodePlaced(answer.body) }
        : { answer, placed: undefined }
    },
    order: async (userId: string, orderId: string) =>
      decodeOrder(expect(await call("GET", `/api/v1/orders/${orderId}`, await tokens(userId)), [200], orderId)),
    /** Every order of a user (one page is enough: a chaos user places one order). */
    ordersOf: async (userId: string) =>
      decodeOrderList(
        expect(await call("GET", "/api/v1/orders?limit=100", await tokens(userId)), [200], `orders of ${userId}`)
      ).orders,
    mailbox: async (): Promise<ReadonlyArray<MailSummary>> => {
      const response = await fetch(`${notifications}/mail`, { signal: AbortSignal.timeout(15_000) })
      if (!response.ok) throw new Error(`GET /mail: HTTP ${response.status}`)
      return ((await response.json()) as { readonly data: ReadonlyArray<MailSummary> }).data
    }
  }
}
export type Shop = ReturnType<typeof shop>
