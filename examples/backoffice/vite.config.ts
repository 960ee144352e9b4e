import { defineConfig } from "vite"

// Preact through esbuild's automatic JSX runtime: no framework plugin needed. The app is served
// by `kaituan serve` under /admin/ (examples/cli/src/server/Admin.ts), with a Content-Security-Policy
// that allows no inline script: so no modulepreload polyfill (it would be inlined) and no inline
// assets (`assetsInlineLimit: 0`). In development, /api is proxied to a running `kaituan serve`.
export default defineConfig({
  base: "/admin/",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    target: "es2022",
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: true
  },
  server: {
    proxy: { "/api": process.env.KAITUAN_API ?? "http://127.0.0.1:8787" }
  }
})
