import type { ScheduledJob } from "../Storage.js"

/** The kinds of the invoice jobs (apart from `Invoices` so the Scheduler can name them without a cycle). */
export const ISSUE_JOB = "invoice.issue"
/** A paid order's invoice is to be requested (the round's `on-paid` policy). */
export const REQUEST_JOB = "invoice.request"
/** Money went back on an order: void its invoice or make an allowance. */
export const REFUND_JOB = "invoice.refund"
/** The id of an order's `invoice.request` job. */
export const requestJobId = (orderId: string): string => `${REQUEST_JOB}:${orderId}`
/** The id of a refund's `invoice.refund` job. */
export const refundJobId = (orderId: string, refundId: string): string => `${REFUND_JOB}:${orderId}:${refundId}`

/** The job that requests a paid order's invoice. */
export const paidJob = (orderId: string, at: string): ScheduledJob => ({
  id: requestJobId(orderId),
  kind: REQUEST_JOB,
  dueAt: at,
  payload: { orderId }
})

/** What the refund job needs. */
export interface RefundJobInput {
  readonly orderId: string
  readonly refundId: string
  readonly amount: number
  readonly reason?: string | undefined
  readonly at: string
}

/** The job that voids an order's invoice or makes an allowance for one refund. */
export const refundJob = (input: RefundJobInput): ScheduledJob => ({
  id: refundJobId(input.orderId, input.refundId),
  kind: REFUND_JOB,
  dueAt: input.at,
  payload: {
    orderId: input.orderId,
    refundId: input.refundId,
    amount: input.amount,
    ...(input.reason === undefined ? {} : { reason: input.reason })
  }
})
