import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as jose from "jose"
import { randomBytes } from "node:crypto"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { mailText } from "../src/development/LocalMailbox.ts"
import { Backends } from "./fixtures/Backends.ts"
import { startGateway, testSecret } from "./fixtures/TestGateway.ts"
import { sign } from "./fixtures/Tokens.ts"

const fetchJson = (url: string, init?: RequestInit) =>
  Effect.promise(async () => {
    const response = await fetch(url, init)
    return { status: response.status, type: response.headers.get("content-type"), body: await response.json() }
  })

const signIn = (baseUrl: string, persona: string) =>
  fetchJson(`${baseUrl}/dev/sign-in`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ persona })
  })

const orderBody = {
  items: [{ product_id: "prod_1abc", quantity: 1 }],
  shipping_address: { street: "1 Main St", city: "Springfield", state: "IL", zip: "62701" },
  payment_method: "credit_card",
  idempotency_key: "dev-mail-1"
}

/** A stand-in for the notification service's mailbox API (`GET /mail`, `GET /mail/:id`). */
const mailboxWith = (mails: ReadonlyArray<{ id: string; subject: string; raw: string }>) =>
  Effect.acquireRelease(
    Effect.promise(() =>
      new Promise<{ url: string; close: () => void }>((ready) => {
        const server = createServer((request, response) => {
          const full = mails.map((mail) => ({
            ...mail,
            from: "orders@shop-mesh.local",
            to: ["demo_customer@customers.shop-mesh.local"],
            messageId: `<${mail.id}@test>`,
            receivedAt: "2025-10-21T10:30:00.000Z"
          }))
          const one = full.find((mail) => request.url === `/mail/${mail.id}`)
          response.setHeader("content-type", "application/json")
          response.end(JSON.stringify(
            request.url === "/mail" ? { data: full.map(({ raw: _raw, ...summary }) => summary) } : one
          ))
        }).listen(0, "127.0.0.1", () =>
          ready({
            url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
            close: () => server.close()
          }))
      })
    ),
    (mailbox) => Effect.sync(mailbox.close)
  )

describe("development API", () => {
  it.live("offers the demo customer and admin, with tokens the gateway accepts with their roles", () =>
    Effect.gen(function*() {
      const backends = yield* Backends
      const baseUrl = yield* startGateway({ PRODUCT_GRPC_ADDR: backends.address, ORDER_GRPC_ADDR: backends.address })
      const personas = yield* fetchJson(`${baseUrl}/dev/personas`)
      assert.strictEqual(personas.status, 200)
      assert.deepStrictEqual(personas.body.personas.map((p: { user_id: string }) => p.user_id), [
        "demo_customer",
        "demo_admin"
      ])

      const customer = yield* signIn(baseUrl, "customer")
      assert.strictEqual(customer.status, 200)
      // The same issuer as `npm run token`: the gateway's secret, issuer and audience.
      const { payload } = yield* Effect.promise(() =>
        jose.jwtVerify(customer.body.token, new TextEncoder().encode(testSecret), {
          issuer: "shop-mesh",
          audience: "shop-mesh-api"
        })
      )
      assert.strictEqual(payload.sub, "demo_customer")
      assert.deepStrictEqual(payload.roles, ["customer"])
      assert.isTrue(Date.parse(customer.body.expires_at) > Date.now() + 50 * 60_000)

      const product = {
        name: "Desk Lamp",
        price: 19.99,
        sku: "LAMP-DEV-1",
        inventory: 3,
        category: "Home"
      }
      const asCustomer = yield* fetchJson(`${baseUrl}/api/v1/products`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${customer.body.token}` },
        body: JSON.stringify(product)
      })
      assert.strictEqual(asCustomer.status, 403)
      const admin = yield* signIn(baseUrl, "admin")
      const asAdmin = yield* fetchJson(`${baseUrl}/api/v1/products`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${admin.body.token}` },
        body: JSON.stringify(product)
      })
      assert.strictEqual(asAdmin.status, 201)
    }).pipe(Effect.scoped, Effect.provide(Layer.fresh(Backends.layer))))

  it.live("refuses an unknown persona or extra members with a 400 problem naming the field", () =>
    Effect.gen(function*() {
      const backends = yield* Backends
      const baseUrl = yield* startGateway({ PRODUCT_GRPC_ADDR: backends.address, ORDER_GRPC_ADDR: backends.address })
      const unknown = yield* signIn(baseUrl, "root")
      assert.strictEqual(unknown.status, 400)
      assert.strictEqual(unknown.type, "application/problem+json")
      assert.deepStrictEqual(unknown.body.errors[0].path, ["payload", "persona"])
      const extra = yield* fetchJson(`${baseUrl}/dev/sign-in`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ persona: "admin", roles: ["admin", "root"] })
      })
      assert.strictEqual(extra.status, 400)
    }).pipe(Effect.scoped, Effect.provide(Layer.fresh(Backends.layer))))

  it.live("does not exist in production or when tokens come from an identity provider", () =>
    Effect.gen(function*() {
      // production refuses the test secret (it is published in the repository): a generated one
      const production = yield* startGateway({ SHOP_ENV: "production", JWT_SECRET: randomBytes(48).toString("base64") })
      const jwks = yield* startGateway({ JWT_ALGORITHMS: "RS256", JWT_JWKS_URL: "http://127.0.0.1:1/jwks.json" })
      for (const baseUrl of [production, jwks]) {
        for (const [method, path] of [["GET", "/dev/personas"], ["POST", "/dev/sign-in"], ["GET", "/dev/mail"]]) {
          const answer = yield* fetchJson(`${baseUrl}${path}`, {
            method: method!,
            headers: { "content-type": "application/json" },
            ...(method === "POST" ? { body: JSON.stringify({ persona: "admin" }) } : {})
          })
          assert.strictEqual(answer.status, 404, `${method} ${path} on ${baseUrl}`)
          assert.strictEqual(answer.type, "application/problem+json")
        }
      }
    }).pipe(Effect.scoped))

  it.live("shows the mails of an order to its owner only", () =>
    Effect.gen(function*() {
      const backends = yield* Backends
      const placed = "ord_1xyz"
      const mailbox = yield* mailboxWith([
        {
          id: "mail_1",
          subject: `Order ${placed} confirmed: $29.99`,
          raw:
            "Subject: x\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nThank you for your order=\r\n =E2=82=AC.\r\n"
        },
        { id: "mail_2", subject: `Order ${placed}0 confirmed: $1.00`, raw: "Subject: y\r\n\r\nnot this one" }
      ])
      const baseUrl = yield* startGateway({
        PRODUCT_GRPC_ADDR: backends.address,
        ORDER_GRPC_ADDR: backends.address,
        NOTIFICATION_HTTP_URL: mailbox.url
      })
      const customer = (yield* signIn(baseUrl, "customer")).body.token as string
      const created = yield* fetchJson(`${baseUrl}/api/v1/orders`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${customer}` },
        body: JSON.stringify(orderBody)
      })
      assert.strictEqual(created.body.order_id, placed)

      const anonymous = yield* fetchJson(`${baseUrl}/dev/mail?order_id=${placed}`)
      assert.strictEqual(anonymous.status, 401)
      const stranger = yield* Effect.promise(() => sign("user_999", ["customer"]))
      const strangers = yield* fetchJson(`${baseUrl}/dev/mail?order_id=${placed}`, {
        headers: { authorization: `Bearer ${stranger}` }
      })
      assert.strictEqual(strangers.status, 404)
      const owners = yield* fetchJson(`${baseUrl}/dev/mail?order_id=${placed}`, {
        headers: { authorization: `Bearer ${customer}` }
      })
      assert.strictEqual(owners.status, 200)
      assert.deepStrictEqual(owners.body.mails.map((m: { id: string }) => m.id), ["mail_1"])
      assert.strictEqual(owners.body.mails[0].text, "Thank you for your order €.\r\n")
    }).pipe(Effect.scoped, Effect.provide(Layer.fresh(Backends.layer))))
})

describe("mailText", () => {
  it("undoes quoted-printable and base64, and keeps 7bit text as is", () => {
    assert.strictEqual(mailText("A: b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\na=3Db=\r\nc"), "a=bc")
    assert.strictEqual(mailText("Content-Transfer-Encoding: base64\r\n\r\naMOp\r\nbGxv"), "héllo")
    assert.strictEqual(mailText("Content-Type: text/plain\n\nplain text"), "plain text")
    assert.strictEqual(mailText("no body"), "")
  })
})
