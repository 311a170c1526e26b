import * as grpc from "@grpc/grpc-js"

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

/** A grpc-js server of {@link echoDefinition} on a loopback port chosen by the system. */
export const serveEcho = async (): Promise<{ readonly server: grpc.Server; readonly port: number }> => {
  const server = new grpc.Server()
  server.addService(echoDefinition, {
    echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) =>
      callback(null, call.request)
  })
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      "127.0.0.1:0",
      grpc.ServerCredentials.createInsecure(),
      (error, bound) => error ? reject(error) : resolve(bound)
    )
  )
  return { server, port }
}
