/**
 * The build every published `@kaituan/*` package shares (its `tsup.config.ts` only names its entry
 * points). docs/contributing.md explains each choice.
 *
 * - ESM `dist/*.js` and CommonJS `dist/*.cjs`, both code-split, so `@kaituan/core` and
 *   `@kaituan/core/promise` share one copy of the code in either module system.
 * - `target: "node22"`: the oldest Node the packages support (engines: >= 22.19).
 * - `removeNodeProtocol: false`: `node:sqlite` and friends exist only under the `node:` prefix.
 * - Declarations: tsc's per-file output (./declarations.ts), not tsup's bundled `dts`, which turns
 *   Schema values exported through `export * as X` namespaces into type-only exports.
 * - Dependencies and peer dependencies stay external (tsup's default): `effect` is a peer, so an
 *   app and all kaituan packages share one Effect.
 */
import { defineConfig, type Options } from "tsup"
import { emitDeclarations } from "./declarations.js"

export const library = (entry: ReadonlyArray<string>, overrides: Options = {}) =>
  defineConfig({
    entry: [...entry],
    format: ["esm", "cjs"],
    outDir: "dist",
    dts: false,
    splitting: true,
    clean: true,
    sourcemap: true,
    target: "node22",
    platform: "node",
    removeNodeProtocol: false,
    treeshake: true,
    onSuccess: async () => {
      emitDeclarations(process.cwd())
    },
    ...overrides
  })
