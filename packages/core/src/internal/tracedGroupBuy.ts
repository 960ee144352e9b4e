/**
 * Spans for every GroupBuy use case (`GroupBuy.<method>`), with safe attributes only: round,
 * order, shipment, payment and comment ids, the channel, counts (comments, lines, orders, rows),
 * outcome counts by status, statuses, actions, methods, amounts and error tags, reasons and
 * fields. Never an author, a buyer id, a name, a comment's text, a pickup code, a tracking
 * number, an account's digits, a reason told to a buyer or a payment's evidence. The storage calls
 * a use case makes are its child spans (`Storage.<method>`).
 *
 * The inputs are read before they are decoded, so every attribute is taken only when it has the
 * expected type.
 *
 * @internal
 */
import type { CommentOutcome, GroupBuyService } from "../GroupBuy.js"
import { type Attributes, count, countsBy, field, list, num, str, traceService } from "./traceService.js"

const roundOf = (input: unknown): Attributes => ({ "kaituan.round.id": str(field(input, "roundId")) })
const orderOf = (input: unknown): Attributes => ({ "kaituan.order.id": str(field(input, "orderId")) })
const shipmentOf = (input: unknown): Attributes => ({ "kaituan.shipment.id": str(field(input, "shipmentId")) })
const rows = (r: ReadonlyArray<unknown>): Attributes => ({ "kaituan.rows": r.length })
const orderStatus = (o: { readonly orderId: string; readonly status: string }): Attributes => ({
  "kaituan.order.id": o.orderId,
  "kaituan.order.status": o.status
})

const outcomes = (out: ReadonlyArray<CommentOutcome>): Attributes => ({
  "kaituan.outcomes": out.length,
  ...countsBy(out, (o) => o.status, "kaituan.outcome")
})

/**
 * The use cases with every call in a span `GroupBuy.<method>` (see the module comment), when a
 * tracer that records spans is installed; otherwise the calls run as they are. A method added
 * later gets a span with no attributes.
 */
export const traceGroupBuy = (service: GroupBuyService): GroupBuyService =>
  traceService<GroupBuyService>("GroupBuy", service, {
    openRound: {
      input: (input) => {
        const spec = field(input, "spec")
        return { "kaituan.round.id": str(field(spec, "id")), "kaituan.products": count(field(spec, "products")) }
      }
    },
    submitComments: {
      input: (input) => ({ ...roundOf(input), "kaituan.comments": count(field(input, "comments")) }),
      output: outcomes
    },
    editComment: {
      input: (input) => {
        const comment = field(input, "comment")
        return {
          ...roundOf(input),
          "kaituan.channel": str(field(comment, "channel")),
          "kaituan.comment.id": str(field(comment, "commentId"))
        }
      }
    },
    removeComment: {
      input: (input) => ({
        ...roundOf(input),
        "kaituan.channel": str(field(input, "channel")),
        "kaituan.comment.id": str(field(input, "commentId"))
      })
    },
    resolveReview: {
      input: (input) => ({
        ...roundOf(input),
        "kaituan.comment.id": str(field(input, "commentId")),
        "kaituan.review.action": str(field(input, "action")),
        "kaituan.lines": count(field(input, "approve"))
      })
    },
    closeRound: { input: roundOf, output: (orders) => ({ "kaituan.orders": orders.length }) },
    recordPayment: {
      // Not the transaction id, the account's bank code and digits, nor the evidence (words).
      input: (input) => {
        const orderIds = field(input, "orderIds")
        return {
          "kaituan.payment.source": str(field(input, "source")),
          "kaituan.amount": num(field(input, "amount")),
          "kaituan.orders": count(orderIds),
          "kaituan.order.id": Array.isArray(orderIds) && orderIds.length === 1 ? str(orderIds[0]) : undefined
        }
      },
      output: (r) => ({ "kaituan.payment.id": r.paymentId, "kaituan.payment.status": r.status })
    },
    ship: {
      // Not the carrier's tracking number; the pickup code in the result is never shown.
      input: (input) => ({
        ...orderOf(input),
        "kaituan.shipment.method": str(field(input, "method")),
        "kaituan.lines": count(field(input, "lines"))
      }),
      output: (r) => ({ "kaituan.shipment.id": r.shipmentId, "kaituan.pickup": r.pickupCode !== undefined })
    },
    // The code typed or scanned is never shown.
    confirmPickup: { input: shipmentOf },
    unlockPickup: { input: shipmentOf },
    findPickup: {
      output: (r) =>
        r === undefined
          ? { "kaituan.found": false }
          : {
              "kaituan.found": true,
              "kaituan.shipment.id": r.shipmentId,
              "kaituan.order.id": r.orderId,
              "kaituan.pickup.locked": r.locked
            }
    },
    // The reason is told to the buyer in the organiser's words: never shown.
    cancelOrder: { input: orderOf, output: orderStatus },
    refundOrder: { input: orderOf, output: orderStatus },
    report: {
      input: (roundId) => ({ "kaituan.round.id": str(roundId) }),
      output: (r) => ({
        "kaituan.round.status": r.status,
        "kaituan.orders": r.orders.length,
        "kaituan.review": r.review.length,
        "kaituan.not_ordered": r.notOrdered.length
      })
    },
    orders: {
      input: (input) => ({
        ...roundOf(input),
        "kaituan.statuses": list(field(input, "status")),
        // Whether the query is one buyer's orders; never the buyer id.
        "kaituan.by_buyer": field(input, "buyerId") !== undefined,
        "kaituan.after_seq": num(field(input, "afterSeq")),
        "kaituan.limit": num(field(input, "limit"))
      }),
      output: rows
    }
  })
