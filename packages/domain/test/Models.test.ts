import { assert, describe, it } from "@effect/vitest"
import { DateTime, Exit, Schema } from "effect"
import { IdempotencyKey, OrderId, ProductId, SagaId, UserId } from "../src/Ids.ts"
import { Cents, DefaultCurrency } from "../src/Money.ts"
import { Order, OrderLine, ShippingAddress } from "../src/Order.ts"
import { Payment, PaymentMethod, PaymentStatus } from "../src/Payment.ts"
import { Product, Sku } from "../src/Product.ts"

const decodeProduct = Schema.decodeUnknownExit(Product)
const decodeOrder = Schema.decodeUnknownExit(Order)
const now = "2025-10-21T10:30:00.000Z"

const product = {
  id: "prod_1a2b3c4d",
  name: "Wireless Mouse",
  description: "Ergonomic wireless mouse with 3200 DPI",
  priceCents: 2999,
  currency: "USD",
  sku: "MOUSE-001",
  category: "Electronics",
  inventory: 100,
  reserved: 2,
  createdAt: now,
  updatedAt: now
}

const order = {
  id: "ord_xyz789",
  userId: "user_123",
  status: "pending",
  items: [
    { productId: "prod_1a2b3c4d", name: "Wireless Mouse", quantity: 2, unitPrice: 2999 },
    { productId: "prod_5e6f7g8h", name: "Mouse Pad", quantity: 1, unitPrice: 2999 }
  ],
  totalCents: 8997,
  currency: "USD",
  shippingAddress: { street: "123 Main St", city: "San Francisco", state: "CA", zip: "94102" },
  paymentMethod: "credit_card",
  idempotencyKey: "order_2025_abc123",
  sagaId: "saga_123",
  createdAt: now,
  updatedAt: now
}

describe("Product", () => {
  it("decodes a valid product and derives available stock", () => {
    const exit = decodeProduct(product)
    assert.isTrue(Exit.isSuccess(exit))
    if (Exit.isSuccess(exit)) {
      assert.strictEqual(exit.value.available, 98)
      assert.deepStrictEqual(Schema.encodeSync(Product)(exit.value), product)
    }
  })

  it("enforces the catalog rules", () => {
    const invalid: Array<Record<string, unknown>> = [
      { name: "" },
      { name: "x".repeat(201) },
      { name: " padded" },
      { description: "x".repeat(5001) },
      { sku: "MOUSE 001" },
      { sku: "x".repeat(65) },
      { priceCents: 0 },
      { priceCents: 10.5 },
      { inventory: -1 },
      { inventory: 1.5 },
      { category: "" },
      { category: "c".repeat(101) },
      { reserved: 101 },
      { currency: "usd" },
      { createdAt: "yesterday" }
    ]
    for (const patch of invalid) {
      assert.isTrue(Exit.isFailure(decodeProduct({ ...product, ...patch })), JSON.stringify(patch))
    }
    assert.isTrue(Exit.isSuccess(decodeProduct({ ...product, name: "x".repeat(200), description: "" })))
  })

  it("treats SKUs case-insensitively", () => {
    assert.strictEqual(Schema.decodeUnknownSync(Sku)("mouse-001_b"), "MOUSE-001_B")
  })
})

describe("Order", () => {
  it("decodes a valid order", () => {
    const exit = decodeOrder(order)
    assert.isTrue(Exit.isSuccess(exit))
    if (Exit.isSuccess(exit)) assert.strictEqual(exit.value.items[0]!.lineTotal, 5998)
  })

  it("enforces the order rules", () => {
    const line = order.items[0]!
    const lines = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ ...line, productId: `prod_${i}`, quantity: 1, unitPrice: 1 }))
    const invalid: Array<Record<string, unknown>> = [
      { status: "shipped" },
      { items: [] },
      { items: [{ ...line, quantity: 0 }], totalCents: 0 },
      { items: [{ ...line, quantity: 1001 }], totalCents: 1001 * 2999 },
      { items: [{ ...line, quantity: 1.5 }] },
      { items: lines(101), totalCents: 101 },
      { items: [line, line], totalCents: 11996 },
      { totalCents: 8996 },
      { shippingAddress: { ...order.shippingAddress, zip: "" } },
      { shippingAddress: { ...order.shippingAddress, city: "" } },
      { paymentMethod: "cash" }
    ]
    for (const patch of invalid) {
      assert.isTrue(Exit.isFailure(decodeOrder({ ...order, ...patch })), JSON.stringify(patch).slice(0, 120))
    }
    assert.isTrue(Exit.isSuccess(decodeOrder({ ...order, items: lines(100), totalCents: 100 })))
  })

  it("builds orders with the constructor, which validates too", () => {
    const at = DateTime.makeUnsafe(now)
    const made = new Order({
      id: OrderId.make("ord_1"),
      userId: UserId.make("user_123"),
      status: "confirmed",
      items: [
        new OrderLine({ productId: ProductId.make("prod_1"), name: "Mouse", quantity: 3, unitPrice: Cents.make(2999) })
      ],
      totalCents: Cents.make(8997),
      currency: DefaultCurrency,
      shippingAddress: new ShippingAddress({ street: "1 A St", city: "SF", state: "CA", zip: "94102" }),
      paymentMethod: "credit_card",
      idempotencyKey: IdempotencyKey.make("k1"),
      sagaId: SagaId.make("saga_1"),
      createdAt: at,
      updatedAt: at
    })
    assert.strictEqual(made.totalCents, 8997)
    assert.throws(() => new Order({ ...made, totalCents: Cents.make(1) }))
  })
})

describe("Payment", () => {
  it("knows the payment states", () => {
    assert.deepStrictEqual(PaymentStatus.literals, ["pending", "pending_unknown", "succeeded", "failed", "refunded"])
    const payment = {
      id: "pay_456",
      orderId: "ord_xyz789",
      userId: "user_123",
      amountCents: 8997,
      currency: "USD",
      method: "credit_card",
      status: "pending_unknown",
      idempotencyKey: "ord_xyz789",
      attempts: 2,
      createdAt: now,
      updatedAt: now
    }
    assert.isTrue(Exit.isSuccess(Schema.decodeUnknownExit(Payment)(payment)))
    assert.isTrue(Exit.isFailure(Schema.decodeUnknownExit(Payment)({ ...payment, status: "completed" })))
    assert.isTrue(Exit.isFailure(Schema.decodeUnknownExit(Payment)({ ...payment, amountCents: 0 })))
  })
})

describe("PaymentMethod", () => {
  it("accepts the spec's credit_card and processor tokens, and nothing else", () => {
    const accepts = (value: string) => Exit.isSuccess(Schema.decodeUnknownExit(PaymentMethod)(value))
    for (const ok of ["credit_card", "pm_card_visa", "pm_card_chargeDeclined", "pm_card_insufficientFunds"]) {
      assert.isTrue(accepts(ok), ok)
    }
    for (const bad of ["", "wallet", "pm_", "pm_card visa", "PM_CARD_VISA", `pm_${"x".repeat(65)}`]) {
      assert.isFalse(accepts(bad), bad)
    }
  })
})
