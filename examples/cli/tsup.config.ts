import { defineConfig } from "tsup"

// The CLI is an application: bundle the workspace packages (their package.json points at
// TypeScript sources) and Effect (one copy for the CLI and the @effect/sql drivers, tree-shaken:
// loading the whole "effect" package took most of `kaituan parse`'s start-up); leave the other npm
// dependencies external. Each command is a chunk of its own, loaded when it runs (src/Commands.ts).
export default defineConfig({
  entry: ["src/main.ts"],
  format: ["esm"],
  clean: true,
  sourcemap: true,
  target: "node22",
  removeNodeProtocol: false,
  noExternal: [/^@kaituan\//, /^effect($|\/)/, /^@effect\//],
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __kaituanCreateRequire } from 'node:module'; const require = __kaituanCreateRequire(import.meta.url);"
  }
})
