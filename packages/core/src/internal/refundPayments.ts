/**
 * The money of an order's refund going back through its payments: each of the order's payments,
 * newest first, records `PaymentRefunded` for up to what it has left, until the amount is covered,
 * in the unit of work of the refund (one commit with the order's event). Shared by
 * `GroupBuy.refundOrder` and `AfterSales.refund`.
 */
import { Effect, Schema } from "effect"
import * as CommandHandler from "../CommandHandler.js"
import * as Payment from "../Payment.js"
import { paymentStream, type StorageError } from "../Storage.js"

const payments = CommandHandler.aggregate(Payment.decider, Schema.decodeUnknownSync(Payment.Event))

/** Records `amount` going back through `paymentIds` (newest last in the list); gives what no payment covered. */
export const refundPayments = (
  unit: CommandHandler.Unit,
  input: {
    readonly orderId: string
    readonly paymentIds: ReadonlyArray<string>
    readonly amount: number
    readonly method?: "bank-transfer" | "cash" | "gateway" | undefined
    readonly at: string
  }
): Effect.Effect<number, Payment.PaymentError | StorageError> =>
  Effect.gen(function* () {
    let left = input.amount
    for (const paymentId of [...input.paymentIds].reverse()) {
      if (left <= 0) break
      const stream = paymentStream(paymentId)
      const p = yield* unit.load(payments, stream)
      const available = p.state.received - p.state.refunded
      if (p.version === 0 || available <= 0) continue
      const part = Math.min(left, available)
      yield* unit.decide(payments, stream, {
        _tag: "Refund",
        amount: part,
        orderId: input.orderId,
        method: input.method,
        at: input.at
      })
      left -= part
    }
    return left
  })
