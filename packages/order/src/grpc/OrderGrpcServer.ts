import { OrderServiceService } from "@shop/proto/order/v1/order"
import * as GrpcService from "@shop/service-defaults/grpc/GrpcService"

/** shop.order.v1.OrderService. Methods without a handler answer UNIMPLEMENTED. */
export const OrderGrpcServer = GrpcService.layerPartial(OrderServiceService, {})
