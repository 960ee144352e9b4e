import { defineConfig } from "tsup"

// The CLI is an application: bundle the workspace packages (their package.json points at
// TypeScript sources) and leave npm dependencies external.
export default defineConfig({
  entry: ["src/main.ts"],
  format: ["esm"],
  clean: true,
  sourcemap: true,
  target: "node22",
  removeNodeProtocol: false,
  noExternal: [/^@kaituan\//],
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __kaituanCreateRequire } from 'node:module'; const require = __kaituanCreateRequire(import.meta.url);"
  }
})
