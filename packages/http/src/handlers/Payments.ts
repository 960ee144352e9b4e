/**
 * The `payments` group (organiser only): upload a statement (the raw body, or the `file` field of
 * a multipart form) → decisions; list, approve and reject decisions; record cash.
 *
 * The upload is read with a limit ({@link MaxUploadBytes}: 413 past it, before the rest is read)
 * and applied by `@kaituan/reconcile`'s Payments service. A statement whose layout nobody
 * recognises is a 422 saying what was recognised (its size, kind, lines and columns: never its
 * content).
 */
import { GroupBuy, Storage } from "@kaituan/core"
import { Payments, type Statement } from "@kaituan/reconcile"
import { Clock, Effect, Stream } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.js"
import {
  BadRequest,
  type Conflict,
  NotFound,
  PayloadTooLarge,
  type Recognised,
  type Unavailable,
  UnrecognisedStatement
} from "../Errors.js"
import { domainError, mapDomain, storageError } from "../internal/failures.js"
import * as Rounds from "../internal/rounds.js"
import { MaxUploadBytes } from "../internal/settings.js"
import type { Decision } from "../Models.js"

/** What a multipart form adds around the file at most (boundaries, part headers). */
const FORM_OVERHEAD = 64 * 1024

const tooLarge = (limit: number) =>
  new PayloadTooLarge({ message: `the statement is larger than ${limit} bytes`, limit })

/** What a file looks like, for a 422: sizes and kinds only. */
export const recognise = (bytes: Uint8Array): Recognised => {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04)
    return { bytes: bytes.length, kind: "xlsx", lines: 0, columns: 0 }
  const sample = bytes.subarray(0, 256 * 1024)
  let control = 0
  for (const b of sample) if (b < 9 || (b > 13 && b < 32 && b !== 27)) control++
  if (sample.length > 0 && control > sample.length / 100)
    return { bytes: bytes.length, kind: "binary", lines: 0, columns: 0 }
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes)
  let lines = 0
  let columns = 0
  for (const line of text.split(/\r\n|\n|\r/)) {
    if (line.trim() === "") continue
    lines++
    columns = Math.max(columns, line.split(/[,\t;]/).length)
  }
  return { bytes: bytes.length, kind: "text", lines, columns }
}

type Imported = Payments.StatementImportResult["decisions"][number]

/** The fields a kept decision and an upload's decision share, as the API shows them. */
const sharedOf = (d: Imported | Payments.PaymentDecision) => ({
  decisionId: d.decisionId,
  transactionId: d.transactionId,
  ...(d.row === undefined ? {} : { row: d.row }),
  at: d.at,
  amount: d.amount,
  ...(d.bankCode === undefined ? {} : { bankCode: d.bankCode }),
  ...(d.last5 === undefined ? {} : { last5: d.last5 }),
  status: d.status,
  reason: d.reason,
  ...(d.detail === undefined ? {} : { detail: d.detail }),
  orderIds: d.orderIds,
  ...(d.buyerId === undefined ? {} : { buyerId: d.buyerId }),
  candidates: d.candidates.map(candidateOf),
  explanation: d.explanation
})

/** A kept payment decision as the API shows it. */
export const decisionOf = (d: Payments.PaymentDecision): Decision => ({
  ...sharedOf(d),
  decided: d.decided,
  ...(d.settledAt === undefined ? {} : { settledAt: d.settledAt }),
  ...(d.paymentId === undefined ? {} : { paymentId: d.paymentId })
})

const candidateOf = (c: Payments.DecisionCandidate): Decision["candidates"][number] => ({
  buyerId: c.buyerId,
  ...(c.buyerName === undefined ? {} : { buyerName: c.buyerName }),
  orderIds: c.orderIds,
  open: c.open,
  fit: c.fit,
  identified: c.identified
})

/** A decision of an upload as the API shows it (not settled yet: `decided` is its status). */
export const importedOf = (d: Imported): Decision => ({ ...sharedOf(d), decided: d.status })

/** The handlers of the `payments` group. */
export const layer = HttpApiBuilder.group(Api, "payments", (handlers) =>
  Effect.gen(function* () {
    const storage = yield* Storage.Storage
    const g = yield* GroupBuy.GroupBuy
    const payments = yield* Payments.Payments
    const limit = yield* MaxUploadBytes

    /** The body, at most `limit` bytes (413 as soon as it is more). */
    const readBody = (stream: Stream.Stream<Uint8Array, unknown>, limit: number, reported: number) =>
      Effect.gen(function* () {
        const chunks: Array<Uint8Array> = []
        let total = 0
        let over = false
        yield* Stream.runForEachWhile(stream, (chunk) =>
          Effect.sync(() => {
            total += chunk.length
            if (total > limit) {
              over = true
              return false
            }
            chunks.push(chunk)
            return true
          })
        ).pipe(Effect.mapError(() => new BadRequest({ field: "body", message: "the upload was cut off" })))
        if (over) return yield* tooLarge(reported)
        const out = new Uint8Array(total)
        let at = 0
        for (const c of chunks) {
          out.set(c, at)
          at += c.length
        }
        return out
      })

    return handlers
      .handleRaw("importStatement", ({ params, query, request }) =>
        Effect.gen(function* () {
          yield* Rounds.require(storage, params.roundId)
          const contentType = (request.headers["content-type"] ?? "").toLowerCase()
          const multipart = contentType.startsWith("multipart/form-data")
          const cap = multipart ? limit + FORM_OVERHEAD : limit
          const declared = Number(request.headers["content-length"])
          if (Number.isFinite(declared) && declared > cap) return yield* tooLarge(limit)
          const body = yield* readBody(request.stream, cap, limit)
          let file = body
          if (multipart) {
            const form = yield* Effect.tryPromise({
              try: () =>
                new Response(body as Uint8Array<ArrayBuffer>, { headers: { "content-type": contentType } }).formData(),
              catch: () => new BadRequest({ field: "body", message: "not a readable multipart form" })
            })
            const part = form.get("file")
            if (part === null || typeof part === "string")
              return yield* new BadRequest({
                field: "body.file",
                message: "missing: send the statement as the file field"
              })
            file = new Uint8Array(
              yield* Effect.tryPromise({
                try: () => part.arrayBuffer(),
                catch: () => new BadRequest({ field: "body.file", message: "the file could not be read" })
              })
            )
            if (file.length > limit) return yield* tooLarge(limit)
          }
          if (file.length === 0) return yield* new BadRequest({ field: "body", message: "the statement is empty" })
          const result = yield* payments
            .importStatement({
              roundId: params.roundId,
              file,
              ...(query.format === undefined ? {} : { format: query.format }),
              ...(query.encoding === undefined ? {} : { encoding: query.encoding })
            })
            .pipe(
              Effect.catch(
                (e): Effect.Effect<never, UnrecognisedStatement | BadRequest | Conflict | NotFound | Unavailable> =>
                  e._tag === "StatementError"
                    ? Effect.fail(
                        new UnrecognisedStatement({
                          reason: (e as Statement.StatementError).reason,
                          message: e.message,
                          recognised: recognise(file)
                        })
                      )
                    : domainError(e)
              )
            )
          return {
            roundId: result.roundId,
            layout: result.layout,
            encoding: result.encoding,
            applied: result.applied,
            appliedAmount: result.appliedAmount,
            decisions: result.decisions.map(importedOf),
            unreadable: result.unreadable.map((u) => ({ line: u.line, message: u.message }))
          }
        })
      )
      .handle("decisions", ({ params, query }) =>
        Effect.gen(function* () {
          yield* Rounds.require(storage, params.roundId)
          const decisions = yield* mapDomain(
            payments.decisions({
              roundId: params.roundId,
              ...(query.status === undefined ? {} : { status: query.status })
            })
          )
          return decisions.map(decisionOf)
        })
      )
      .handle("approve", ({ params, payload }) =>
        mapDomain(
          payments.approveDecision({
            decisionId: params.decisionId,
            ...(payload.orderId === undefined ? {} : { orderId: payload.orderId })
          })
        ).pipe(Effect.map(decisionOf))
      )
      .handle("reject", ({ params }) =>
        mapDomain(payments.rejectDecision({ decisionId: params.decisionId })).pipe(Effect.map(decisionOf))
      )
      .handle("cash", ({ params, payload }) =>
        Effect.gen(function* () {
          const order = yield* storage.order(params.orderId).pipe(Effect.mapError(storageError))
          if (order === undefined)
            return yield* new NotFound({ what: "order", message: `no order ${JSON.stringify(params.orderId)}` })
          const now = yield* Clock.currentTimeMillis
          const reference = payload.reference ?? globalThis.crypto.randomUUID()
          return yield* mapDomain(
            g.recordPayment({
              transactionId: `cash:${params.orderId}:${reference}`,
              source: "cash",
              amount: payload.amount,
              at: payload.at ?? new Date(now).toISOString(),
              orderIds: [params.orderId],
              evidence: payload.note === undefined || payload.note === "" ? "cash received" : `cash: ${payload.note}`
            })
          )
        })
      )
  })
)
