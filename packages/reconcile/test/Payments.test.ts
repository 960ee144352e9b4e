/**
 * The Payments service's boundary: inputs are decoded with Schema before anything is read or
 * recorded; bad input is a `PaymentsInputError` naming the field (without echoing values), and an
 * unknown round is core's `GroupBuyError` `unknown-round`. (The service over memory, SQLite and
 * PostgreSQL with real rounds is tested in examples/cli/test/reconcilePayments.test.ts, which has
 * a parser and the SQL storage.)
 */
import { describe, expect, it } from "@effect/vitest"
import { GroupBuy, Storage } from "@kaituan/core"
import { Effect, Layer } from "effect"
import { Payments } from "../src/index.js"

// Decoding comes first: a GroupBuy that is never called is enough.
const App = Payments.layer.pipe(
  Layer.provide(Layer.mergeAll(Storage.layerMemory, Layer.succeed(GroupBuy.GroupBuy, {} as GroupBuy.GroupBuyService)))
)

const payment = {
  gateway: "newebpay",
  tradeNo: "T1",
  merchantOrderNo: "o1",
  amount: 450,
  status: "paid",
  method: "CREDIT",
  simulated: false
}

describe("Payments", () => {
  it.effect("refuses bad statement input with the field named", () =>
    Effect.gen(function* () {
      const p = yield* Payments.Payments
      expect(yield* Effect.flip(p.importStatement({ roundId: "", text: "a" }))).toMatchObject({
        _tag: "PaymentsInputError",
        field: "statement.roundId"
      })
      expect(yield* Effect.flip(p.importStatement({ roundId: "r1" }))).toMatchObject({
        _tag: "PaymentsInputError",
        field: "statement.file"
      })
      expect(
        yield* Effect.flip(p.importStatement({ roundId: "r1", text: "a", encoding: "latin1" as never }))
      ).toMatchObject({ _tag: "PaymentsInputError", field: "statement.encoding" })
      expect(yield* Effect.flip(p.importStatement({ roundId: "r1", text: "a" }))).toMatchObject({
        _tag: "GroupBuyError",
        reason: "unknown-round"
      })
    }).pipe(Effect.provide(App))
  )

  it.effect("refuses a bad gateway payment with the field named, without echoing the value", () =>
    Effect.gen(function* () {
      const p = yield* Payments.Payments
      const e = yield* Effect.flip(
        p.applyGatewayPayment({ roundId: "r1", payment: { ...payment, status: "maybe-12345" } as never })
      )
      expect(e).toMatchObject({ _tag: "PaymentsInputError", field: "input.payment.status" })
      expect(e.message).not.toContain("12345")
      const simulated = yield* p.applyGatewayPayment({ payment: { ...payment, simulated: true } as never })
      expect(simulated).toMatchObject({ decision: "ignored", reason: "simulated", accepted: false })
    }).pipe(Effect.provide(App))
  )
})
