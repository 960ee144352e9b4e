/** Start-up: V8's compile cache lives in a private directory under the temporary directory. */
import { spawnSync } from "node:child_process"
import fs from "node:fs"
import path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { compileCacheDir } from "../src/main.js"
import { bin, fixtures, tmpDir } from "./support.js"

const uid = process.getuid?.()
const posix = uid !== undefined

describe("the compile cache", () => {
  it("is a private directory of ours under the temporary directory", () => {
    const tmp = tmpDir()
    const dir = compileCacheDir({}, tmp)
    expect(dir).toBe(path.join(tmp, `kaituan-compile-cache-${uid ?? "user"}`))
    if (posix) expect(fs.statSync(dir!).mode & 0o777).toBe(0o700)
  })

  it("is off when Node is told to disable it, and left to Node when Node is given a directory", () => {
    const tmp = tmpDir()
    expect(compileCacheDir({ NODE_DISABLE_COMPILE_CACHE: "1" }, tmp)).toBeUndefined()
    expect(compileCacheDir({ NODE_COMPILE_CACHE: path.join(tmp, "mine") }, tmp)).toBeUndefined()
    expect(fs.readdirSync(tmp)).toEqual([])
  })

  it.runIf(posix)("is not used when others can write to it, or when it is not a directory", () => {
    const open = tmpDir()
    fs.mkdirSync(path.join(open, `kaituan-compile-cache-${uid}`), { mode: 0o777 })
    fs.chmodSync(path.join(open, `kaituan-compile-cache-${uid}`), 0o777)
    expect(compileCacheDir({}, open)).toBeUndefined()
    const link = tmpDir()
    fs.symlinkSync(tmpDir(), path.join(link, `kaituan-compile-cache-${uid}`))
    expect(compileCacheDir({}, link)).toBeUndefined()
  })

  it("is filled by the built command, never in the working directory", () => {
    const tmp = tmpDir()
    const cwd = tmpDir()
    const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp, TMP: tmp, TEMP: tmp }
    delete env.NODE_COMPILE_CACHE
    delete env.NODE_DISABLE_COMPILE_CACHE
    const round = path.join(fixtures, "socks.round.json")
    const run = () =>
      spawnSync(process.execPath, [bin, "parse", "--round", round], {
        input: '{"id":"c1","text":"+1"}\n',
        cwd,
        env,
        encoding: "utf8"
      })
    const first = run()
    expect(first.status).toBe(0)
    expect(run().stdout).toBe(first.stdout)
    expect(fs.readdirSync(cwd)).toEqual([])
    const dir = path.join(tmp, `kaituan-compile-cache-${uid ?? "user"}`)
    const files = fs.readdirSync(dir, { recursive: true })
    expect(files.length).toBeGreaterThan(0)
  })
})
