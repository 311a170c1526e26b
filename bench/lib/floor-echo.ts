import type * as grpc from "@grpc/grpc-js"

const bytes = (value: Buffer) => value

/** A unary echo of raw bytes: the transport of a gRPC call without any message codec. */
export const echoDefinition = {
  echo: {
    path: "/floor.Echo/Echo",
    requestStream: false,
    responseStream: false,
    requestSerialize: bytes,
    requestDeserialize: bytes,
    responseSerialize: bytes,
    responseDeserialize: bytes
  }
} satisfies grpc.ServiceDefinition
