import { ProductServiceService } from "@shop/proto/product/v1/product"
import * as GrpcService from "@shop/service-defaults/grpc/GrpcService"

/** shop.product.v1.ProductService. Methods without a handler answer UNIMPLEMENTED. */
export const ProductGrpcServer = GrpcService.layerPartial(ProductServiceService, {})
