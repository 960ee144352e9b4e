/**
 * Helpers shared by the benchmarks (`packages/*\/bench/*.bench.ts`, `examples/*\/bench/*.bench.ts`):
 * the median of a sample, a deterministic pseudo-random sequence, and writing a result file to
 * the repository's `bench/results/` whatever the working directory.
 */
import fs from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"

/** The repository root. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")

/** The median (the upper one of an even sample). */
export const median = (xs: ReadonlyArray<number>): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/**
 * A deterministic sequence of integers in `[0, n)`: a 32-bit LCG with an integer multiply (a plain
 * float multiply loses bits and cycles early).
 */
export const lcg =
  (seed: number) =>
  (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
    return (seed >>> 8) % n
  }

/** Writes `result` as `bench/results/<name>.json` under the repository root; returns the path. */
export const writeResult = (name: string, result: unknown): string => {
  const file = path.join(repoRoot, "bench/results", `${name}.json`)
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`)
  return file
}

/** Children's CPU time so far (user + system, ms), from /proc/self/stat (Linux); NaN elsewhere. */
export const childCpuMs = (): number => {
  try {
    const stat = fs.readFileSync("/proc/self/stat", "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    // fields[0] is field 3 (state); cutime and cstime are fields 16 and 17
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100
  } catch {
    return Number.NaN
  }
}
