/**
 * `@shop-mesh/sdk`: the Shop Mesh REST API as Promises. `new ShopMesh({ baseUrl, token })`, then
 * `shop.products.search({ q: "mouse" })`, `shop.orders.create({...})`. Effect users import `@shop-mesh/sdk/effect`.
 */
export { type CallOptions, ShopMesh, type ShopMeshOptions } from "./ShopMesh.ts"
export {
  InvalidRequestError,
  type ProblemDetails,
  ProblemError,
  type RequestIssue,
  ShopMeshError
} from "./ShopMeshError.ts"
export type * from "./Wire.ts"
