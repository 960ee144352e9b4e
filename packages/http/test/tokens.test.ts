/**
 * Tokens kept as events in Storage: hashed, listed without secrets, revoked across "processes"
 * (two services over one SQLite file), and the first organiser token made once.
 */
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { Storage } from "@kaituan/core"
import { Database } from "@kaituan/storage-sql"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { Tokens } from "../src/index.js"

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kaituan-tokens-"))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

/** A Tokens service over its own connection to `file` (another process, as far as it knows). */
const process = (file: string) =>
  ManagedRuntime.make(Tokens.layer.pipe(Layer.provideMerge(Database.layerFromUrl(file))))

describe("Tokens", () => {
  it("stores only the hash, lists no secrets, and checks the role", async () => {
    const rt = ManagedRuntime.make(Tokens.layer.pipe(Layer.provideMerge(Storage.layerMemory)))
    const created = await rt.runPromise(Tokens.Tokens.use((t) => t.create({ role: "helper", label: "小美的手機" })))
    const token = Redacted.value(created.token)
    expect(token).toMatch(/^kt_[A-Za-z0-9_-]{43}$/)
    expect(String(created.token)).not.toContain(token)
    const stored = await rt.runPromise(Storage.Storage.use((s) => s.readStream(Tokens.stream)))
    expect(JSON.stringify(stored.events)).not.toContain(token)
    expect(stored.events[0]?.data).toMatchObject({
      _tag: "TokenCreated",
      role: "helper",
      hash: expect.stringMatching(/^[0-9a-f]{64}$/)
    })
    const listed = await rt.runPromise(Tokens.Tokens.use((t) => t.list()))
    expect(listed).toEqual([created.info])
    expect(JSON.stringify(listed)).not.toMatch(/kt_|hash/)
    const actor = await rt.runPromise(Tokens.Tokens.use((t) => t.authenticate(token)))
    expect(actor).toEqual({ tokenId: created.info.tokenId, role: "helper", label: "小美的手機" })
    expect(await rt.runPromise(Tokens.Tokens.use((t) => t.authenticate(`${token}x`)))).toBeUndefined()
    expect(await rt.runPromise(Tokens.Tokens.use((t) => t.authenticate(undefined)))).toBeUndefined()
    const bad = await rt.runPromise(Effect.flip(Tokens.Tokens.use((t) => t.create({ role: "admin" as never }))))
    expect(bad).toMatchObject({ _tag: "TokenError", reason: "invalid-input", field: "role" })
    const unknown = await rt.runPromise(Effect.flip(Tokens.Tokens.use((t) => t.revoke({ tokenId: "tok_nope" }))))
    expect(unknown.reason).toBe("unknown-token")
    await rt.dispose()
  })

  it("refuses a token revoked by another process on the next check", async () => {
    const file = path.join(dir, "shared.db")
    const a = process(file)
    const b = process(file)
    const created = await a.runPromise(Tokens.Tokens.use((t) => t.create({ role: "organiser" })))
    const token = Redacted.value(created.token)
    expect(await b.runPromise(Tokens.Tokens.use((t) => t.authenticate(token)))).toMatchObject({ role: "organiser" })
    const revoked = await a.runPromise(Tokens.Tokens.use((t) => t.revoke({ tokenId: created.info.tokenId })))
    expect(revoked.revokedAt).toBeDefined()
    expect(await b.runPromise(Tokens.Tokens.use((t) => t.authenticate(token)))).toBeUndefined()
    // Revoking again changes nothing.
    const again = await b.runPromise(Tokens.Tokens.use((t) => t.revoke({ tokenId: created.info.tokenId })))
    expect(again.revokedAt).toBe(revoked.revokedAt)
    await a.dispose()
    await b.dispose()
  })

  it("makes the first organiser token once, even when two processes start together", async () => {
    const file = path.join(dir, "first.db")
    const a = process(file)
    const b = process(file)
    await a.runPromise(Tokens.Tokens.use((t) => t.list()))
    await b.runPromise(Tokens.Tokens.use((t) => t.list()))
    const [x, y] = await Promise.all([
      a.runPromise(Tokens.Tokens.use((t) => t.bootstrap())),
      b.runPromise(Tokens.Tokens.use((t) => t.bootstrap()))
    ])
    expect([x, y].filter((c) => c !== undefined)).toHaveLength(1)
    expect((x ?? y)?.info.role).toBe("organiser")
    expect(await a.runPromise(Tokens.Tokens.use((t) => t.bootstrap()))).toBeUndefined()
    expect(await b.runPromise(Tokens.Tokens.use((t) => t.list()))).toHaveLength(1)
    await a.dispose()
    await b.dispose()
  })

  it("compares in constant time per length", () => {
    expect(Tokens.constantTimeEqual("abc", "abc")).toBe(true)
    expect(Tokens.constantTimeEqual("abc", "abd")).toBe(false)
    expect(Tokens.constantTimeEqual("abc", "ab")).toBe(false)
    expect(Tokens.constantTimeEqual("", "")).toBe(true)
  })
})
