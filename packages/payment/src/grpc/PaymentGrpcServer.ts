import { PaymentServiceService } from "@shop/proto/payment/v1/payment"
import * as GrpcService from "@shop/service-defaults/grpc/GrpcService"

/** shop.payment.v1.PaymentService. Methods without a handler answer UNIMPLEMENTED. */
export const PaymentGrpcServer = GrpcService.layerPartial(PaymentServiceService, {})
