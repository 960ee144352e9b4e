import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Storage } from "@kaituan/core"
import { Cause, Effect, Exit } from "effect"
import { Database } from "../src/index.js"
import { tempDir } from "./support.js"

const oneCommit: Storage.Commit = {
  appends: [{ stream: "s", expectedVersion: 0, events: [{ type: "T", data: { phone: "0912345678" }, at: "x" }] }],
  views: [],
  outbox: []
}

const modeOf = (file: string) => fs.statSync(file).mode & 0o777

/** Everything a failure could print: the error's message, its JSON and the pretty cause. */
const printed = (exit: Exit.Exit<unknown, unknown>): string =>
  Exit.isFailure(exit)
    ? [
        Cause.pretty(exit.cause),
        JSON.stringify(Cause.squash(exit.cause)),
        String((Cause.squash(exit.cause) as { message?: unknown }).message)
      ].join("\n")
    : ""

const build = (url: string) =>
  Effect.flatMap(Storage.Storage, () => Effect.void).pipe(Effect.provide(Database.layerFromUrl(url)), Effect.exit)

describe("Database: SQLite files are private", () => {
  it.effect("a new database file and its -wal and -shm files are created 0600", () =>
    Effect.gen(function* () {
      const file = path.join(tempDir(), "private.db")
      yield* Effect.flatMap(Storage.Storage, (s) =>
        Effect.gen(function* () {
          yield* s.commit([oneCommit])
          // while the connection is open, the write-ahead log and shared memory files exist
          for (const f of [file, `${file}-wal`, `${file}-shm`])
            if (fs.existsSync(f)) expect([f, modeOf(f)]).toEqual([f, 0o600])
          expect(fs.existsSync(`${file}-wal`)).toBe(true)
        })
      ).pipe(Effect.provide(Database.layerFromUrl(file)))
      expect(modeOf(file)).toBe(0o600)
    })
  )

  it.effect("an existing file keeps the mode its owner gave it", () =>
    Effect.gen(function* () {
      const file = path.join(tempDir(), "shared.db")
      fs.writeFileSync(file, "")
      fs.chmodSync(file, 0o640)
      yield* Effect.flatMap(Storage.Storage, (s) => s.commit([oneCommit])).pipe(
        Effect.provide(Database.layerFromUrl(file))
      )
      expect(modeOf(file)).toBe(0o640)
    })
  )
})

describe("Database: credentials never in an error", () => {
  const password = "hunter2-S3cret"

  it.live("a PostgreSQL that is down: the error names the host, never the password", () =>
    Effect.gen(function* () {
      for (const url of [
        `postgres://kai:${password}@127.0.0.1:1/shop`,
        `postgresql://kai:${encodeURIComponent(`${password}@/`)}@127.0.0.1:1/shop`,
        `postgres://kai@127.0.0.1:1/shop?password=${password}`,
        `postgres://kai:${password}@127.0.0.1:notaport/shop`,
        `postgres://kai:${password}@[::1/shop`
      ]) {
        const exit = yield* build(url)
        expect(Exit.isFailure(exit), url).toBe(true)
        const text = printed(exit)
        expect(text, url).not.toContain(password)
        expect(text, url).not.toContain(encodeURIComponent(password))
      }
    })
  )

  it.live("a URL mistaken for a SQLite path is not printed with its password either", () =>
    Effect.gen(function* () {
      const exit = yield* build(`pg://kai:${password}@127.0.0.1:1/shop`)
      expect(Exit.isFailure(exit)).toBe(true)
      const text = printed(exit)
      expect(text).toContain("pg://kai:***@127.0.0.1:1/shop")
      expect(text).not.toContain(password)
    })
  )

  it("redact masks URL passwords and password parameters", () => {
    expect(Database.redact("postgres://kai:s3cret@db.internal:5432/shop")).toBe(
      "postgres://kai:***@db.internal:5432/shop"
    )
    expect(Database.redact("postgres://db/shop?sslmode=require&password=s3cret")).toBe(
      "postgres://db/shop?sslmode=require&password=***"
    )
    expect(Database.redact("auth failed for s3cret-pw", "postgres://kai:s3cret-pw@db/shop")).toBe("auth failed for ***")
    expect(Database.redact("./kaituan.db")).toBe("./kaituan.db")
  })
})
