/**
 * Declaration files, one per source file, emitted by the TypeScript compiler itself.
 *
 * Why not tsup's `dts` (rollup-plugin-dts): when it bundles `export * as RoundSpec from
 * "./RoundSpec.js"` into a `declare namespace`, a name that is both a value and a type
 * (`export const RoundSpec = Schema.Struct(…)` plus `export type RoundSpec = …`, the way every
 * Schema is exported here) keeps only the type: `RoundSpec.RoundSpec` fails with TS2339 in every
 * consumer. tsc's own per-file output has no bundling step that could lose a value.
 *
 * Output: `dist/**\/*.d.ts` (ESM types, next to the ESM `.js`) and the same tree as `.d.cts`
 * (CommonJS types, next to the `.cjs`), whose relative imports name `.cjs` files so that they
 * resolve to the `.d.cts` copies: a CommonJS consumer never sees an ES module's types.
 */
import fs from "node:fs"
import path from "node:path"
import ts from "typescript"

const relativeJs = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)(["'])(\.\.?\/[^"']*?)\.js\2/g

/** Rewrites a `.d.ts` text into its `.d.cts` twin: relative `./x.js` imports become `./x.cjs`. */
export const toCommonJsDeclarations = (text: string): string =>
  text.replace(relativeJs, (_m, lead: string, quote: string, spec: string) => `${lead}${quote}${spec}.cjs${quote}`)

const format = (diagnostics: ReadonlyArray<ts.Diagnostic>, cwd: string) =>
  ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => cwd,
    getNewLine: () => "\n"
  })

/**
 * Emits the declarations of the package at `packageDir` (its `tsconfig.json`, the files under
 * `src/`) into `dist/`. Throws, with the compiler's messages, when the package's sources have type
 * errors or a declaration cannot be written (TS2742, TS4xxx).
 */
export const emitDeclarations = (packageDir: string, options: { srcDir?: string; outDir?: string } = {}): number => {
  const started = Date.now()
  const srcDir = path.resolve(packageDir, options.srcDir ?? "src")
  const outDir = path.resolve(packageDir, options.outDir ?? "dist")
  const configFile = ts.findConfigFile(packageDir, ts.sys.fileExists, "tsconfig.json")
  if (!configFile) throw new Error(`no tsconfig.json in ${packageDir}`)
  const read = ts.readConfigFile(configFile, ts.sys.readFile)
  if (read.error) throw new Error(format([read.error], packageDir))
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(configFile))
  const inSrc = (f: string) => path.resolve(f).startsWith(srcDir + path.sep)
  const rootNames = parsed.fileNames.filter(inSrc)
  const compilerOptions: ts.CompilerOptions = {
    ...parsed.options,
    noEmit: false,
    declaration: true,
    emitDeclarationOnly: true,
    declarationMap: false,
    sourceMap: false,
    inlineSourceMap: false,
    composite: false,
    incremental: false,
    outDir,
    rootDir: undefined
  }
  delete compilerOptions.tsBuildInfoFile
  const program = ts.createProgram({ rootNames, options: compilerOptions })
  // This package's own errors fail the build; a sibling package's sources (reached through its
  // development `exports`) are that package's build's business.
  const ours = (d: ts.Diagnostic) => d.file === undefined || inSrc(d.file.fileName)
  const before = ts.getPreEmitDiagnostics(program).filter(ours)
  const written: Array<string> = []
  const result = program.emit(
    undefined,
    (fileName, text, _bom, _onError, sourceFiles) => {
      const source = sourceFiles?.[0]?.fileName
      if (source === undefined || !inSrc(source)) return
      const rel = path.relative(srcDir, source).replace(/\.(m|c)?tsx?$/, "")
      const target = path.join(outDir, `${rel}.d.ts`)
      if (!fileName.endsWith(".d.ts")) return
      fs.mkdirSync(path.dirname(target), { recursive: true })
      fs.writeFileSync(target, text)
      fs.writeFileSync(target.replace(/\.d\.ts$/, ".d.cts"), toCommonJsDeclarations(text))
      written.push(target)
    },
    undefined,
    true
  )
  const errors = [...before, ...result.diagnostics.filter(ours)].filter(
    (d) => d.category === ts.DiagnosticCategory.Error
  )
  if (errors.length > 0) throw new Error(`declarations of ${path.basename(packageDir)}:\n${format(errors, packageDir)}`)
  // A declaration must name other packages by their package name: a relative path that leaves
  // dist/, or a path into node_modules or a src/ folder, works here and nowhere else.
  const escapes: Array<string> = []
  for (const file of written) {
    for (const m of fs.readFileSync(file, "utf8").matchAll(/(?:from\s*|import\s*\(\s*)["']([^"']+)["']/g)) {
      const spec = m[1]!
      const leaves = spec.startsWith(".") && !path.resolve(path.dirname(file), spec).startsWith(outDir + path.sep)
      if (leaves || /(^|\/)(node_modules|src)\//.test(spec))
        escapes.push(`${path.relative(packageDir, file)}: "${spec}"`)
    }
  }
  if (escapes.length > 0)
    throw new Error(
      `declarations of ${path.basename(packageDir)} name files only this checkout has:\n  ${escapes.join("\n  ")}`
    )
  // Hand-written ambient declarations (`declare module "…"`) that emitted files may reference.
  for (const file of parsed.fileNames.filter((f) => inSrc(f) && f.endsWith(".d.ts"))) {
    const target = path.join(outDir, path.relative(srcDir, file))
    fs.mkdirSync(path.dirname(target), { recursive: true })
    fs.copyFileSync(file, target)
  }
  const ms = Date.now() - started
  console.log(`DTS ${written.length} declaration files (.d.ts and .d.cts) in ${ms}ms`)
  return written.length
}
