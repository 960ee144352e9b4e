/**
 * The IdGenerator port: new ids for orders, payments and shipments, and one-time pickup codes.
 * `layerNanoid` is the default; `layerCounter` gives predictable ids for tests and examples.
 *
 * @since 0.1.0
 */
import { Context, Layer } from "effect"
import { customAlphabet, nanoid } from "nanoid"

export interface IdGeneratorService {
  /** A new unique id with a prefix: `o_V1StGXR8_Z5jdHi6B`. */
  readonly next: (prefix: string) => string
  /** A short one-time code a person can read out or scan (pickup codes). */
  readonly code: () => string
}

export class IdGenerator extends Context.Service<IdGenerator, IdGeneratorService>()("@kaituan/core/IdGenerator") {}

const codeAlphabet = customAlphabet("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", 8)

/** Random ids (nanoid, 21 URL-safe characters) and 8-character pickup codes without look-alike characters. */
export const makeNanoid = (): IdGeneratorService => ({
  next: (prefix) => `${prefix}_${nanoid()}`,
  code: () => codeAlphabet()
})

/** Predictable ids: `o_1`, `o_2`… and codes `CODE0001`… */
export const makeCounter = (): IdGeneratorService => {
  const counters = new Map<string, number>()
  let codes = 0
  return {
    next: (prefix) => {
      const n = (counters.get(prefix) ?? 0) + 1
      counters.set(prefix, n)
      return `${prefix}_${n}`
    },
    code: () => `CODE${String(++codes).padStart(4, "0")}`
  }
}

export const layerNanoid: Layer.Layer<IdGenerator> = Layer.sync(IdGenerator, makeNanoid)
export const layerCounter: Layer.Layer<IdGenerator> = Layer.sync(IdGenerator, makeCounter)
