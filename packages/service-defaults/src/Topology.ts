/**
 * The platform's services and their default ports (architecture.md). Every default address in the code, the launcher,
 * docker-compose and the Kubernetes manifests derives from this table.
 */
export const Topology = {
  gateway: { httpPort: 8080, adminPort: 9091 },
  product: { grpcPort: 50051, adminPort: 9101, database: "shop_product" },
  order: { grpcPort: 50052, adminPort: 9102, database: "shop_order" },
  payment: { grpcPort: 50053, adminPort: 9103, database: "shop_payment" },
  notification: { grpcPort: 50054, adminPort: 9104, database: "shop_notification" },
  paymentSimulator: { httpPort: 8081 }
} as const

/** Services that own a database, in start-up order. */
export const databaseServices = ["product", "order", "payment", "notification"] as const
export type DatabaseService = (typeof databaseServices)[number]

/** Services that serve gRPC. */
export const grpcServices = ["product", "order", "payment", "notification"] as const
export type GrpcService = (typeof grpcServices)[number]
