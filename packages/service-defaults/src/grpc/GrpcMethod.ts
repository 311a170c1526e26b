/** A unary method of a generated (ts-proto, grpc-js) service definition, e.g. `ProductServiceService.getProduct`. */
export interface UnaryMethod<Req, Res> {
  readonly path: string
  readonly requestStream: false
  readonly responseStream: false
  readonly requestSerialize: (value: Req) => Buffer
  readonly requestDeserialize: (value: Buffer) => Req
  readonly responseSerialize: (value: Res) => Buffer
  readonly responseDeserialize: (value: Buffer) => Res
}

/** The service and method names of a method path: "/shop.product.v1.ProductService/GetProduct". */
export const splitPath = (path: string): readonly [service: string, method: string] => {
  const [, service = "", method = ""] = path.split("/")
  return [service, method]
}

/** The span name of a method: "shop.product.v1.ProductService/GetProduct". */
export const spanName = (path: string): string => path.startsWith("/") ? path.slice(1) : path
