import { defineConfig } from "vite"
import { precompress } from "./precompress.ts"

// `npm run dev -w @shop/storefront`: the storefront with hot reload on :5173, its API calls sent to a running
// gateway (STOREFRONT_GATEWAY, default http://127.0.0.1:8080), so it is the same origin as in production.
const gateway = process.env.STOREFRONT_GATEWAY ?? "http://127.0.0.1:8080"

export default defineConfig({
  plugins: [precompress()],
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", sourcemap: false },
  server: {
    host: "127.0.0.1",
    proxy: { "/api": gateway, "/dev": gateway, "/healthz": gateway, "/docs": gateway, "/openapi.json": gateway }
  }
})
