# One image per service: `docker build --build-arg SERVICE=order -t shop-mesh/order .`
# SERVICE is a folder under packages/ (gateway, product, order, payment, notification); the payment image also
# carries the card processor simulator (`node packages/payment/src/simulator/main.ts`).
# Node 24 runs the TypeScript sources directly (type stripping): there is no compile step and no dist/.
ARG NODE_IMAGE=node:24-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# Manifests first: the dependency layer is rebuilt only when a manifest or the lock file changes.
COPY package.json package-lock.json .npmrc ./
COPY proto/package.json proto/
COPY packages/domain/package.json packages/domain/
COPY packages/service-defaults/package.json packages/service-defaults/
COPY packages/product/package.json packages/product/
COPY packages/order/package.json packages/order/
COPY packages/payment/package.json packages/payment/
COPY packages/notification/package.json packages/notification/
COPY packages/gateway/package.json packages/gateway/
COPY packages/storefront/package.json packages/storefront/
COPY packages/sdk/package.json packages/sdk/
COPY tools/kafka-mock/package.json tools/kafka-mock/
# No install scripts: the image's own Node 24 runs everything (the `node` devDependency is for bare machines). The
# Kafka client's native binding (librdkafka) is then installed on its own: its prebuilt binary for this platform.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY scripts/build-kafka-client.ts scripts/
RUN node scripts/build-kafka-client.ts --strict

FROM deps AS build
COPY proto proto
RUN node proto/codegen.ts
COPY packages packages
# The gateway serves the storefront's production bundle (packages/storefront/dist); Vite is a dev dependency.
RUN npm run build -w @shop/storefront
RUN npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
ENV NODE_ENV=production \
    SERVICE=${SERVICE}
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./
COPY --from=build --chown=root:root /app/node_modules node_modules
COPY --from=build --chown=root:root /app/proto proto
COPY --from=build --chown=root:root /app/packages packages
RUN test -n "${SERVICE}" && test -f "packages/${SERVICE}/src/main.ts" \
    || { echo "build with --build-arg SERVICE=<a folder of packages/ with src/main.ts>" >&2; exit 1; }
# The code is owned by root and read-only to the process; it runs as the image's unprivileged `node` user (uid 1000).
# The service-keys directory is the one place it writes to (compose mounts a volume there, seeded with this owner).
RUN mkdir -p /var/lib/shop/service-keys && chown node:node /var/lib/shop/service-keys
USER node
# Liveness on the admin port: ADMIN_PORT if set, else the service's default from Topology.ts.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "--input-type=module", "-e", "const { Topology } = await import('@shop/service-defaults/Topology'); const port = process.env.ADMIN_PORT ?? Topology[process.env.SERVICE]?.adminPort; const ok = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false); process.exit(ok ? 0 : 1)"]
EXPOSE 8080 9091 50051 50052 50053 9101 9102 9103 9104 8081
# exec: node becomes PID 1's direct replacement and receives SIGTERM itself, so gRPC drains before exit.
CMD ["/bin/sh", "-c", "exec node \"packages/${SERVICE}/src/main.ts\""]
