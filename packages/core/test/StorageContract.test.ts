import { describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Storage, StorageContract } from "../src/index.js"

describe("StorageContract against Storage.layerMemory", () => {
  for (const c of StorageContract.cases) {
    it.live(c.name, () => c.run.pipe(Effect.provide(Storage.layerMemory)))
  }
})
