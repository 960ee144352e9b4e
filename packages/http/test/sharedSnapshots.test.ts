/**
 * `SharedSnapshots` on a clock the test moves: concurrent readers share one computation, a write
 * is shown to every read that starts `maxStaleMs` after it (and at once after a quiet spell), a
 * stream of writes makes at most one computation per `maxStaleMs`, an older computation running
 * queues exactly one next computation for every reader, failures are not kept, and keys are
 * forgotten after `keepMs` or beyond `capacity`.
 */
import { describe, expect, it } from "@effect/vitest"
import * as SharedSnapshots from "../src/SharedSnapshots.js"

/** A source whose value is the number of writes, computed by hand-resolved promises when `gated`. */
const setup = (options: SharedSnapshots.Options = {}, gated = false) => {
  let clock = 1_000_000
  let writes = 0
  const computed: Array<string> = []
  const pending: Array<() => void> = []
  const snapshots = SharedSnapshots.make<{ key: string; writes: number }>(
    async (key) => {
      computed.push(key)
      const seen = writes
      if (gated) await new Promise<void>((resolve) => pending.push(resolve))
      if (key === "boom") throw new Error("no such round")
      return { key, writes: seen }
    },
    { now: () => clock, ...options }
  )
  return {
    snapshots,
    computed,
    release: () => {
      for (const r of pending.splice(0)) r()
    },
    write: () => {
      writes += 1
      snapshots.invalidate()
    },
    tick: (ms: number) => {
      clock += ms
    }
  }
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve))

describe("SharedSnapshots", () => {
  it("shares one computation between concurrent readers", async () => {
    const t = setup()
    const all = await Promise.all(Array.from({ length: 32 }, () => t.snapshots.get("a")))
    expect(t.computed).toEqual(["a"])
    expect(new Set(all).size).toBe(1)
  })

  it("serves a snapshot up to maxStaleMs after a write, and shows the write to a read that starts then", async () => {
    const t = setup({ maxStaleMs: 1_000, maxAgeMs: 60_000 })
    const first = await t.snapshots.get("a")
    t.write()
    t.tick(999)
    expect(await t.snapshots.get("a")).toBe(first)
    t.tick(1)
    const second = await t.snapshots.get("a")
    expect(second.value.writes).toBe(1)
    expect(second.version).toBe(1)
    expect(t.computed).toEqual(["a", "a"])
  })

  it("a stream of writes makes at most one computation per maxStaleMs", async () => {
    const t = setup({ maxStaleMs: 1_000, maxAgeMs: 60_000 })
    await t.snapshots.get("a")
    for (let ms = 0; ms < 5_000; ms += 50) {
      t.write()
      t.tick(50)
      await t.snapshots.get("a")
    }
    expect(t.computed.length).toBeLessThanOrEqual(6)
    t.tick(1_000)
    expect((await t.snapshots.get("a")).value.writes).toBe(100)
  })

  it("after a quiet spell a read right after a write shows it; without writes, maxAgeMs bounds the age", async () => {
    const t = setup({ maxStaleMs: 1_000, maxAgeMs: 60_000 })
    const first = await t.snapshots.get("a")
    t.tick(5_000)
    expect(await t.snapshots.get("a")).toBe(first)
    t.write()
    expect((await t.snapshots.get("a")).value.writes).toBe(1)
    const aged = setup({ maxAgeMs: 1_000 })
    await aged.snapshots.get("a")
    aged.tick(999)
    await aged.snapshots.get("a")
    aged.tick(1)
    await aged.snapshots.get("a")
    expect(aged.computed).toEqual(["a", "a"])
  })

  it("while an outdated computation runs, readers share exactly one next computation", async () => {
    const t = setup({ maxStaleMs: 0, maxAgeMs: 60_000 }, true)
    const first = t.snapshots.get("a")
    t.write()
    // the running computation began before the write: the readers need the next one, queued once
    const later = Array.from({ length: 8 }, () => t.snapshots.get("a"))
    t.release()
    expect((await first).value.writes).toBe(0)
    await flush()
    expect(t.computed).toEqual(["a", "a"])
    t.release()
    const all = await Promise.all(later)
    expect(new Set(all).size).toBe(1)
    expect(all[0]!.value.writes).toBe(1)
  })

  it("never gives one key's value for another, and does not keep a failure", async () => {
    const t = setup()
    const [a, b] = await Promise.all([t.snapshots.get("a"), t.snapshots.get("b")])
    expect([a.value.key, b.value.key]).toEqual(["a", "b"])
    await expect(t.snapshots.get("boom")).rejects.toThrow("no such round")
    await expect(t.snapshots.get("boom")).rejects.toThrow("no such round")
    expect(t.computed.filter((k) => k === "boom")).toHaveLength(2)
  })

  it("forgets keys not asked for within keepMs, and the least recently asked beyond capacity", async () => {
    const t = setup({ maxAgeMs: 600_000, maxStaleMs: 600_000, keepMs: 60_000, capacity: 2 })
    await t.snapshots.get("a")
    await t.snapshots.get("b")
    await t.snapshots.get("a")
    await t.snapshots.get("c") // over capacity: b (least recently asked) goes
    await t.snapshots.get("a")
    await t.snapshots.get("b")
    expect(t.computed).toEqual(["a", "b", "c", "b"])
    t.tick(60_000)
    await t.snapshots.get("b") // a sweep: a and c were not asked for within keepMs
    await t.snapshots.get("a")
    expect(t.computed).toEqual(["a", "b", "c", "b", "a"])
  })
})
