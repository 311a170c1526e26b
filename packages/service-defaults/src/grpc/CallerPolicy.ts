/**
 * Who may call what, inside the platform: for every RPC, the services allowed to call it. The callee checks the
 * verified identity of every call against this table; a method that is not listed answers PERMISSION_DENIED to
 * everyone. The Kubernetes NetworkPolicies open exactly the edges this table implies (a test compares them), and
 * the README's threat model is this table in words.
 */
export type CallerPolicy = Readonly<Record<string, ReadonlyArray<string>>>

export const ShopCallerPolicy: CallerPolicy = {
  // The catalog: read and written by the gateway (admins), read by order to price lines.
  "shop.product.v1.ProductService/GetProduct": ["gateway", "order"],
  "shop.product.v1.ProductService/ListProducts": ["gateway"],
  "shop.product.v1.ProductService/SearchProducts": ["gateway"],
  "shop.product.v1.ProductService/CreateProduct": ["gateway"],
  "shop.product.v1.ProductService/UpdateProduct": ["gateway"],
  "shop.product.v1.ProductService/CheckInventory": ["gateway", "order"],
  // Stock moves only for an order's saga.
  "shop.product.v1.ProductService/ReserveInventory": ["order"],
  "shop.product.v1.ProductService/ReserveInventories": ["order"],
  "shop.product.v1.ProductService/CommitReservation": ["order"],
  "shop.product.v1.ProductService/CommitReservations": ["order"],
  "shop.product.v1.ProductService/ReleaseReservation": ["order"],
  // Orders are placed and read through the gateway, always on behalf of the token's user.
  "shop.order.v1.OrderService/CreateOrder": ["gateway"],
  "shop.order.v1.OrderService/GetOrder": ["gateway"],
  "shop.order.v1.OrderService/ListOrders": ["gateway"],
  // Money moves only for an order's saga.
  "shop.payment.v1.PaymentService/ProcessPayment": ["order"],
  "shop.payment.v1.PaymentService/RefundPayment": ["order"],
  "shop.payment.v1.PaymentService/GetPayment": ["order"],
  "shop.payment.v1.PaymentService/CancelPayment": ["order"],
  // The operator console: the gateway (which admits only the admin role) reads and retries sagas, the outbox, the
  // breakers and parked refunds through order, which alone may reach payment; dead letters and consumer lag are
  // notification's own.
  "shop.order.v1.OrderAdminService/ListAllOrders": ["gateway"],
  "shop.order.v1.OrderAdminService/ListSagas": ["gateway"],
  "shop.order.v1.OrderAdminService/RetrySaga": ["gateway"],
  "shop.order.v1.OrderAdminService/GetOutboxBacklog": ["gateway"],
  "shop.order.v1.OrderAdminService/ListBreakers": ["gateway"],
  "shop.order.v1.OrderAdminService/ListParkedRefunds": ["gateway"],
  "shop.order.v1.OrderAdminService/RetryRefund": ["gateway"],
  "shop.payment.v1.PaymentAdminService/ListParkedRefunds": ["order"],
  "shop.payment.v1.PaymentAdminService/RetryRefund": ["order"],
  "shop.payment.v1.PaymentAdminService/GetProcessorBreaker": ["order"],
  "shop.notification.v1.NotificationAdminService/ListDeadLetters": ["gateway"],
  "shop.notification.v1.NotificationAdminService/RedriveDeadLetter": ["gateway"],
  "shop.notification.v1.NotificationAdminService/ListConsumerLag": ["gateway"]
}

/** The services a policy names as callers. */
export const callersOf = (policy: CallerPolicy): ReadonlySet<string> => new Set(Object.values(policy).flat())

/** The service of a method path (`shop.product.v1.ProductService/GetProduct` -> `product`). */
export const serviceOfMethod = (method: string): string => method.split(".")[1] ?? ""

/** `caller -> service` for every pair the policy allows: the network paths the platform needs. */
export const edgesOf = (policy: CallerPolicy): ReadonlySet<string> =>
  new Set(
    Object.entries(policy).flatMap(([method, callers]) =>
      callers.map((caller) => `${caller}->${serviceOfMethod(method)}`)
    )
  )
