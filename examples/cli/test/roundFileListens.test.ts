/** A round file's `listens` (the conversations whose comments go to the round) through the strict reader. */
import { describe, expect, it } from "@effect/vitest"
import { decodeRound } from "../src/RoundFile.js"
import { roundJson } from "./serveSupport.js"

describe("round file: listens", () => {
  it("is accepted and kept", () => {
    const listens = [
      { channel: "line", conversation: "Cgroup-a" },
      { channel: "telegram", conversation: "-100123" }
    ]
    expect(decodeRound("r.json", { ...roundJson("r"), listens }).spec.listens).toEqual(listens)
    expect(decodeRound("r.json", roundJson("r")).spec.listens).toBeUndefined()
  })

  it("a conversation without its channel, or a misspelt key, is an error naming where", () => {
    expect(() => decodeRound("r.json", { ...roundJson("r"), listens: [{ conversation: "C1" }] })).toThrow(
      /listens\[0\]\.channel: missing/
    )
    expect(() => decodeRound("r.json", { ...roundJson("r"), listen: [] })).toThrow(/did you mean "listens"\?/)
  })
})
