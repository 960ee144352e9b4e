import { describe, it } from "@effect/vitest"
import { MembersContract, Storage } from "@kaituan/core"
import { Effect } from "effect"

describe("MembersContract against Storage.layerMemory", () => {
  for (const c of MembersContract.cases) {
    it.live(c.name, () => c.run.pipe(Effect.provide(Storage.layerMemory)))
  }
})
