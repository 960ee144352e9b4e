/**
 * The organiser's API, declared once as an Effect `HttpApi`: the server ({@link Server}), the
 * OpenAPI document and the typed client ({@link Client}) all derive from it. Every route is under
 * `/api/v1` and needs `Authorization: Bearer <token>` ({@link Authorization}); each endpoint says
 * which role it needs ({@link Access}: `organiser` unless it says `helper`, so a new endpoint is
 * organiser-only until someone decides otherwise). Inputs that do not decode answer 400 naming
 * the field ({@link Validation}).
 *
 * | group | what |
 * | --- | --- |
 * | `session` | `GET /me` |
 * | `rounds` | list, create from a round file, one round, close, reopen, edit, restock, history, report |
 * | `orders` | by status and buyer (keyset pages), one order, cancel, refund |
 * | `review` | the review queue, resolve (order / amend / cancel / dismiss), the not-ordered list |
 * | `payments` | upload a statement → decisions, list decisions, approve / reject, record cash |
 * | `shipping` | ship lines of an order (split shipments), method, tracking number |
 * | `pickups` | find by code, confirm, unlock |
 * | `logistics` | pack for a carrier, the carrier order, its label, unclaimed returns (503 without a carrier) |
 * | `buyers` | one buyer (personal data) |
 * | `operations` | dead letters (list, retry) and jobs |
 * | `deadlines` | the orders flagged at a payment deadline that still owe money |
 * | `members` | members across channels (personal data): list by segment, one member, changes, link codes, merge, split, broadcasts |
 * | `insights` | the KPIs, the costs and leaders they use (organiser only) |
 * | `invoices` | an order's e-invoice, issue it now (helper), the invoices that need the organiser |
 * | `counter` | 門市櫃台: find an order by pickup code, order number or buyer; take cash or a card (helper) |
| `exports` | a round's orders as a CSV file (organiser only: personal data) |
 * | `documents` | printed documents as PDF: packing slips (出貨單) and the pick list (分貨單) |
 *
 * @since 0.2.0
 */
import {
  Insights,
  InsightSettings,
  Logistics,
  Member,
  Members,
  ReadModel,
  RoundChanges,
  RoundSpec
} from "@kaituan/core"
import { Context, Schema } from "effect"
import { Multipart } from "effect/http"
import {
  HttpApi,
  HttpApiEndpoint,
  HttpApiGroup,
  HttpApiMiddleware,
  HttpApiSchema,
  HttpApiSecurity,
  OpenApi
} from "effect/http-api"
import {
  BadRequest,
  Conflict,
  Forbidden,
  Locked,
  NotFound,
  PayloadTooLarge,
  Unauthorized,
  Unavailable,
  UnrecognisedStatement
} from "./Errors.js"
import * as M from "./Models.js"
import type { Actor, Role } from "./Tokens.js"

/** The path every route of this version is under. */
export const prefix = "/api/v1"

/** Which role an endpoint needs: `organiser` (the default) or `helper` (a helper or the organiser). */
export type Access = Role

/** The endpoint annotation saying which role it needs; unannotated endpoints are organiser-only. */
export const Access = Context.Reference<Access>("@kaituan/http/Access", { defaultValue: () => "organiser" })

/** The actor of the request (its token's id, role and label), provided by {@link Authorization}. */
export class CurrentActor extends Context.Service<CurrentActor, Actor>()("@kaituan/http/CurrentActor") {}

/**
 * The bearer-token middleware: 401 without an active token, 403 when the token's role may not
 * call the endpoint (nothing is decoded or changed then). Implemented by `Auth.layer`.
 */
export class Authorization extends HttpApiMiddleware.Service<Authorization, { provides: CurrentActor }>()(
  "@kaituan/http/Authorization",
  {
    security: { bearer: HttpApiSecurity.bearer },
    error: [Unauthorized, Forbidden, Unavailable]
  }
) {}

/** Turns a request that does not decode into a 400 {@link BadRequest} naming the field. Implemented by `Auth.layerValidation`. */
export class Validation extends HttpApiMiddleware.Service<Validation>()("@kaituan/http/Validation", {
  error: BadRequest
}) {}

/** Annotations of an endpoint: the role it needs, a summary, and the role in its OpenAPI description. */
const op = (access: Access, summary: string, details?: string) =>
  Context.make(Access, access).pipe(
    Context.add(OpenApi.Summary, summary),
    Context.add(
      OpenApi.Description,
      `${details === undefined ? summary : `${summary}. ${details}`}\n\nRole: ${
        access === "helper" ? "organiser or helper (小幫手)" : "organiser only"
      }.`
    )
  )

const RoundParams = { roundId: M.Id }
const OrderParams = { orderId: M.Id }
const domain = [NotFound, Conflict, Unavailable] as const

/** `POST /rounds/:roundId/arrived`: the pre-order SKUs (or products) that arrived, and a retry id. */
const Arrived = Schema.Struct({
  skus: RoundChanges.MarkArrivedInput.fields.skus,
  requestId: Schema.optional(M.Id)
})

// ---------------------------------------------------------------------------------------------

/** `GET /me`. */
export class SessionApi extends HttpApiGroup.make("session").add(
  HttpApiEndpoint.get("me", "/me", { success: M.Me }).annotateMerge(
    op("helper", "Who this token is", "Its role and what the role may do")
  )
) {}

/** Rounds: list, create, edit, restock, close, reopen, pre-order arrival, history, report. */
export class RoundsApi extends HttpApiGroup.make("rounds").add(
  HttpApiEndpoint.get("list", "/rounds", {
    query: { status: Schema.optional(M.RoundStatus), cursor: Schema.optional(M.Id), limit: Schema.optional(M.Limit) },
    success: M.RoundsPage,
    error: domain
  }).annotateMerge(op("helper", "List rounds", "In id order, 50 a page; `status` filters (`open`…)")),
  HttpApiEndpoint.post("create", "/rounds", {
    payload: RoundSpec.RoundSpec,
    success: M.Round.pipe(HttpApiSchema.status(201)),
    error: domain
  }).annotateMerge(
    op("organiser", "Create and open a round", "The body is a round file (docs/cli.md); 409 when the id exists")
  ),
  HttpApiEndpoint.get("get", "/rounds/:roundId", {
    params: RoundParams,
    success: M.Round,
    error: domain
  }).annotateMerge(op("helper", "One round")),
  HttpApiEndpoint.post("close", "/rounds/:roundId/close", {
    params: RoundParams,
    success: M.Closed,
    error: domain
  }).annotateMerge(op("organiser", "Close a round", "Every order is confirmed and now awaits payment; idempotent")),
  HttpApiEndpoint.post("reopen", "/rounds/:roundId/reopen", {
    params: RoundParams,
    payload: M.Reopen,
    success: M.Round,
    error: domain
  }).annotateMerge(
    op(
      "organiser",
      "Reopen a closed round",
      "Every order of the close is confirmed first and never changes (a buyer's next +1 is a new order). `cutoff`: the new cutoff (`null`: none; omitted: keep the current one, which must not have passed). 409 with reason `settled`, `not-closed` or `cutoff-passed`; the same `requestId` again changes nothing"
    )
  ),
  HttpApiEndpoint.patch("update", "/rounds/:roundId", {
    params: RoundParams,
    payload: RoundChanges.RoundChange,
    success: M.Round,
    error: domain
  }).annotateMerge(
    op(
      "organiser",
      "Edit an open round",
      "All at once or not at all: `addProducts`, `addVariants`, `prices` (for new orders: lines already ordered keep their price), `restock` (`{ sku, add }` or `{ sku, stock }`: the new total, never below what is sold), `title`, `cutoff` (later than now, or `null`; the cutoff job moves with it), `paused` (`true`: comments are not ordered, reason `paused`; `false`: resume). 409 with the round's reason (`not-open`, `cutoff-passed`, `below-sold`, `unlimited`, `unknown-sku`, `invalid-catalogue`); the same `requestId` again changes nothing"
    )
  ),
  HttpApiEndpoint.post("restock", "/rounds/:roundId/restock", {
    params: RoundParams,
    payload: M.Restock,
    success: M.Round,
    error: domain
  }).annotateMerge(
    op(
      "organiser",
      "Add stock to an open round",
      "`lines`: `{ sku, add }` (units added to what is left) or `{ sku, stock }` (the new total: sold + left, never below what is sold); give a `requestId` so a retry adds nothing"
    )
  ),
  HttpApiEndpoint.post("arrived", "/rounds/:roundId/arrived", {
    params: RoundParams,
    payload: Arrived,
    success: M.Round,
    error: domain
  }).annotateMerge(
    op(
      "organiser",
      "Mark pre-orders arrived (預購到貨)",
      "`skus`: pre-order SKUs, or products (all their pre-order SKUs). Buyers with such lines are told; in a round with `preorderArrival: true` those lines may ship from now on (before, shipping them is a 409 with reason `not-arrived`). 409 with reason `not-preorder` or `unknown-sku`; SKUs marked already change nothing; the same `requestId` again changes nothing"
    )
  ),
  HttpApiEndpoint.get("waitlist", "/rounds/:roundId/waitlist", {
    params: RoundParams,
    success: M.Waitlist,
    error: domain
  }).annotateMerge(
    op(
      "helper",
      "The round's waiting lists (候補)",
      "Every SKU's waiting list in order (a round with `waitlist: true`): each buyer's place, the units they wait for and since when; freed stock goes down it in this order"
    )
  ),
  HttpApiEndpoint.get("history", "/rounds/:roundId/history", {
    params: RoundParams,
    success: Schema.Array(M.HistoryEntry),
    error: domain
  }).annotateMerge(
    op(
      "organiser",
      "The round's history",
      "Its lifecycle and the organiser's changes (title, cutoff, prices, stock, products, pause, reopen), oldest first; no comments (the round file it was created from names the organiser's own accounts: organiser only)"
    )
  ),
  HttpApiEndpoint.get("report", "/rounds/:roundId/report", {
    params: RoundParams,
    success: M.Report,
    error: domain
  }).annotateMerge(op("helper", "The round's numbers", "Orders by status, money, stock and queues; no personal data"))
) {}

/** Orders: by status and buyer, one order, cancel, refund. */
export class OrdersApi extends HttpApiGroup.make("orders").add(
  HttpApiEndpoint.get("list", "/rounds/:roundId/orders", {
    params: RoundParams,
    query: M.OrdersQuery,
    success: M.OrdersPage,
    error: domain
  }).annotateMerge(
    op(
      "helper",
      "A round's orders",
      "In comment order, by status (待付款 `awaiting-payment`, 待出貨 `paid` / `partly-shipped`, 已出貨 `shipped`, 已完成 `completed`, 已取消 `cancelled` / `refunded`) and buyer; keyset pages of `limit` (50) with `cursor`"
    )
  ),
  HttpApiEndpoint.get("get", "/orders/:orderId", {
    params: OrderParams,
    success: ReadModel.OrderView,
    error: domain
  }).annotateMerge(op("helper", "One order")),
  HttpApiEndpoint.post("cancel", "/orders/:orderId/cancel", {
    params: OrderParams,
    payload: M.OrderAction,
    success: ReadModel.OrderView,
    error: domain
  }).annotateMerge(op("helper", "Cancel an order", "Its stock is released; the buyer is told")),
  HttpApiEndpoint.post("refund", "/orders/:orderId/refund", {
    params: OrderParams,
    payload: M.OrderAction,
    success: ReadModel.OrderView,
    error: domain
  }).annotateMerge(op("organiser", "Refund a paid order"))
) {}

/** The review queue and the not-ordered list. */
export class ReviewApi extends HttpApiGroup.make("review").add(
  HttpApiEndpoint.get("list", "/rounds/:roundId/review", {
    params: RoundParams,
    query: { resolved: Schema.optional(Schema.Literals(["true", "false"])) },
    success: Schema.Array(ReadModel.ReviewItem),
    error: domain
  }).annotateMerge(op("helper", "The review queue", "Unresolved comments in comment order (`resolved=true`: all)")),
  HttpApiEndpoint.post("resolve", "/rounds/:roundId/review/:commentId", {
    params: { roundId: M.Id, commentId: M.Id },
    payload: M.Resolve,
    success: M.Resolved,
    error: domain
  }).annotateMerge(
    op("helper", "Resolve a review item", "`order` or `amend` with `lines`, `cancel` the buyer's order, or `dismiss`")
  ),
  HttpApiEndpoint.get("notOrdered", "/rounds/:roundId/not-ordered", {
    params: RoundParams,
    success: Schema.Array(ReadModel.NotOrderedItem),
    error: domain
  }).annotateMerge(op("helper", "The not-ordered list", "Comments (or parts) that did not become orders, and why"))
) {}

/** Statements, decisions and cash: organiser only. */
export class PaymentsApi extends HttpApiGroup.make("payments").add(
  HttpApiEndpoint.post("importStatement", "/rounds/:roundId/statements", {
    params: RoundParams,
    query: M.StatementQuery,
    payload: [
      Schema.Uint8Array.pipe(HttpApiSchema.asUint8Array()),
      Schema.Uint8Array.pipe(HttpApiSchema.asUint8Array({ contentType: "text/csv" })),
      Schema.Struct({ file: Multipart.SingleFileSchema }).pipe(HttpApiSchema.asMultipart())
    ],
    success: M.StatementImported,
    error: [...domain, PayloadTooLarge, UnrecognisedStatement]
  }).annotateMerge(
    op(
      "organiser",
      "Upload a bank statement",
      "The file as the raw body (CSV in Big5 or UTF-8, or .xlsx) or as the `file` field of a multipart form; matched rows are applied, the rest come back as decisions to approve or reject. 413 over the upload limit, 422 for a layout nobody recognises"
    )
  ),
  HttpApiEndpoint.get("decisions", "/rounds/:roundId/decisions", {
    params: RoundParams,
    query: { status: Schema.optional(Schema.Array(M.DecisionStatus)) },
    success: Schema.Array(M.Decision),
    error: domain
  }).annotateMerge(
    op(
      "organiser",
      "The round's payment decisions",
      "Every decision kept from the statements uploaded, in the order first decided; `status` filters (`review`, `unmatched`…)"
    )
  ),
  HttpApiEndpoint.post("approve", "/decisions/:decisionId/approve", {
    params: { decisionId: M.Id },
    payload: M.Approve,
    success: M.Decision,
    error: domain
  }).annotateMerge(
    op(
      "organiser",
      "Approve a decision",
      "Its money is applied to `orderId` (or to its only candidate) and the buyer told; approving twice changes nothing"
    )
  ),
  HttpApiEndpoint.post("reject", "/decisions/:decisionId/reject", {
    params: { decisionId: M.Id },
    success: M.Decision,
    error: domain
  }).annotateMerge(op("organiser", "Reject a decision", "Nothing is applied; the decision is closed")),
  HttpApiEndpoint.post("cash", "/orders/:orderId/cash", {
    params: OrderParams,
    payload: M.Cash,
    success: M.PaymentRecorded,
    error: domain
  }).annotateMerge(op("organiser", "Record cash received for an order", "A repeated `reference` records nothing"))
) {}

/** Shipping: lines, split shipments, method, tracking number. */
export class ShippingApi extends HttpApiGroup.make("shipping").add(
  HttpApiEndpoint.post("ship", "/orders/:orderId/shipments", {
    params: OrderParams,
    payload: M.Ship,
    success: M.Shipped.pipe(HttpApiSchema.status(201)),
    error: domain
  }).annotateMerge(
    op("helper", "Ship lines of a paid order", "Part of an order is a split shipment (拆單出貨); `pickup` makes a code")
  )
) {}

/** Meet-up pickups: find by code, confirm, unlock. */
export class PickupsApi extends HttpApiGroup.make("pickups").add(
  HttpApiEndpoint.get("find", "/pickups", {
    query: { code: M.PickupCode },
    success: M.Pickup,
    error: domain
  }).annotateMerge(op("helper", "Find a pickup by its code", "Typed in or scanned from the buyer's QR code")),
  HttpApiEndpoint.post("confirm", "/pickups/:shipmentId/confirm", {
    params: { shipmentId: M.Id },
    payload: M.ConfirmPickup,
    success: M.PickupDone,
    error: [...domain, Locked]
  }).annotateMerge(op("helper", "Confirm a pickup", "5 wrong codes lock it (423) until the organiser unlocks it")),
  HttpApiEndpoint.post("unlock", "/pickups/:shipmentId/unlock", {
    params: { shipmentId: M.Id },
    success: M.PickupDone,
    error: domain
  }).annotateMerge(op("organiser", "Unlock a locked pickup"))
) {}

/** Buyers (personal data): organiser only. */
export class BuyersApi extends HttpApiGroup.make("buyers").add(
  HttpApiEndpoint.get("get", "/buyers/:buyerId", {
    params: { buyerId: M.Id },
    success: M.BuyerDetail,
    error: domain
  }).annotateMerge(op("organiser", "One buyer", "Identities, learned accounts and history"))
) {}

/** Dead letters and scheduled jobs. */
export class OperationsApi extends HttpApiGroup.make("operations").add(
  HttpApiEndpoint.get("deadLetters", "/dead-letters", {
    query: { limit: Schema.optional(M.Limit) },
    success: Schema.Array(M.DeadLetter),
    error: domain
  }).annotateMerge(op("helper", "Messages that could not be sent", "Oldest first")),
  HttpApiEndpoint.post("retryDeadLetters", "/dead-letters/retry", {
    payload: M.RetryDeadLetters,
    success: M.Retried,
    error: domain
  }).annotateMerge(op("organiser", "Send dead letters again")),
  HttpApiEndpoint.get("jobs", "/jobs", {
    query: M.JobsQuery,
    success: Schema.Array(M.Job),
    error: domain
  }).annotateMerge(op("helper", "Scheduled jobs", "Cutoffs, reminders and deadlines, newest due first"))
) {}

/** Exports (personal data): organiser only. */
export class ExportsApi extends HttpApiGroup.make("exports").add(
  HttpApiEndpoint.get("orders", "/rounds/:roundId/export.csv", {
    params: RoundParams,
    success: M.OrdersCsv,
    error: domain
  }).annotateMerge(
    op(
      "organiser",
      "A round's orders as a CSV file",
      `One row per order line, in comment order, as an attachment \`<roundId>-orders.csv\` (UTF-8 with a BOM, so Excel shows the Chinese; RFC 4180, CRLF). Columns: ${M.ordersCsvColumns
        .map((c) => `${c.header} (${c.meaning})`)
        .join(
          ", "
        )}. A text cell that starts with \`=\`, \`+\`, \`-\`, \`@\`, a tab or CR is prefixed with \`'\` so a spreadsheet does not run it as a formula`
    )
  ),
  HttpApiEndpoint.get("workbook", "/rounds/:roundId/export.xlsx", {
    params: RoundParams,
    success: Schema.Uint8Array.pipe(
      HttpApiSchema.asUint8Array({ contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" })
    ),
    error: domain
  }).annotateMerge(
    op(
      "organiser",
      "A round as an Excel workbook",
      "Sheets 訂單 (a row per order), 明細 (a row per order line), 付款 (a row per payment applied to an order) and 出貨 (a row per shipment), as an attachment `<roundId>.xlsx`: Chinese headers, Taipei times as date cells, NT$ as numbers (`@kaituan/documents`' `Export`)"
    )
  )
) {}

/** Printed documents (PDF): packing slips and the pick list (handlers in `handlers/Documents.ts`). */
export class DocumentsApi extends HttpApiGroup.make("documents").add(
  HttpApiEndpoint.get("slips", "/rounds/:roundId/slips.pdf", {
    params: RoundParams,
    query: M.SlipsQuery,
    success: Schema.Uint8Array.pipe(HttpApiSchema.asUint8Array({ contentType: "application/pdf" })),
    error: domain
  }).annotateMerge(
    op(
      "helper",
      "Packing slips (出貨單) as one PDF",
      "The round's orders (`status`, repeated for several; default every order but cancelled and refunded ones) or the `order` ids given (repeated), a slip per shipment (split shipments print only their own lines) and one for what is not shipped yet: buyer, delivery method, items, amount paid and due, order number and a QR code (the pickup code of a meet-up pickup, else the order number). `format` `a4` (default, `perPage` 4 or 2 with cut lines) or `thermal` (80 mm, one slip a page). Streamed as `<roundId>-slips.pdf`; an unknown round or an order id not in the round is 404 before any byte is sent"
    )
  ),
  HttpApiEndpoint.post("slipsFor", "/rounds/:roundId/slips.pdf", {
    params: RoundParams,
    payload: M.SlipsRequest,
    success: Schema.Uint8Array.pipe(HttpApiSchema.asUint8Array({ contentType: "application/pdf" })),
    error: domain
  }).annotateMerge(
    op(
      "helper",
      "Packing slips of chosen orders as one PDF",
      "As `GET …/slips.pdf`, for many chosen orders: `{ orderIds, format?, perPage? }` in the body (a URL holds a few hundred ids at most)"
    )
  ),
  HttpApiEndpoint.get("picklist", "/rounds/:roundId/picklist.pdf", {
    params: RoundParams,
    query: M.PickListQuery,
    success: Schema.Uint8Array.pipe(HttpApiSchema.asUint8Array({ contentType: "application/pdf" })),
    error: domain
  }).annotateMerge(
    op(
      "helper",
      "The pick list (分貨單) as an A4 PDF",
      "Per SKU: product, variant, units ordered, shipped and to ship, orders; `by=pickup` per delivery method (面交, 超商取貨, 宅配, 尚未出貨). `status` as for the slips. Streamed as `<roundId>-picklist.pdf`"
    )
  )
) {}

/** What `POST /rounds/:roundId/publish` did: the announcements queued, and the text they carry. */
export const Published = Schema.Struct({
  roundId: Schema.String,
  /** `queued`; `duplicate` (the same announcement was queued before: nothing new); `skipped` (`reason`). */
  status: Schema.Literals(["queued", "duplicate", "skipped"]),
  reason: Schema.optional(Schema.String),
  messages: Schema.Array(
    Schema.Struct({ messageId: Schema.String, channel: Schema.String, conversation: Schema.String })
  ),
  /** The example comments the announcement teaches, in the round's own syntax. */
  examples: Schema.Array(Schema.String),
  /** The announcement as the built-in zh-TW template writes it (channels may split it to fit). */
  text: Schema.String
})

/** Publishing a round to its conversations (handlers in `handlers/Publish.ts`). */
export class PublishApi extends HttpApiGroup.make("publish").add(
  HttpApiEndpoint.post("publish", "/rounds/:roundId/publish", {
    params: RoundParams,
    success: Published,
    error: domain
  }).annotateMerge(
    op(
      "organiser",
      "Publish a round's announcement",
      "One announcement (title, items with prices and what is left, how to order with examples, the cutoff) to each conversation the round listens to, through the outbox; publishing again without a change queues nothing new (`duplicate`); 409 when the round is not open"
    )
  )
) {}

/** After-sales: refunds (full or partial), returns, the orders owing money back. */
export class AfterSalesApi extends HttpApiGroup.make("afterSales").add(
  HttpApiEndpoint.post("refund", "/orders/:orderId/refunds", {
    params: OrderParams,
    payload: M.Refund,
    success: M.RefundDone,
    error: domain
  }).annotateMerge(
    op(
      "organiser",
      "Record a refund",
      "Full (no `amount`: all that is left of what the order received) or partial (the order keeps its status); never more than was received (409). `method`: `bank-transfer`, `cash` or `gateway` (done in the gateway's own back office: NewebPay's and ECPay's APIs as implemented have no refund call); `reasonCode` is kept for the return-rate KPI; the buyer is told"
    )
  ),
  HttpApiEndpoint.post("return", "/shipments/:shipmentId/return", {
    params: { shipmentId: M.Id },
    payload: M.Return,
    success: M.Returned,
    error: domain
  }).annotateMerge(
    op(
      "helper",
      "Record a return",
      "The shipment (or `lines` of it) came back: its value (up to what was received) is due back to the buyer and listed under refunds due; a shipment comes back once; the buyer is told"
    )
  ),
  HttpApiEndpoint.get("refundsDue", "/refunds-due", {
    query: M.RefundsDueQuery,
    success: M.RefundsDuePage,
    error: domain
  }).annotateMerge(
    op(
      "organiser",
      "Orders owing money back",
      "Returns and paid orders cancelled, not refunded yet, with their reason codes; `round` for one round; pages of `limit` (100) after `after`"
    )
  )
) {}

// ---------------------------------------------------------------------------------------------
// Members (handlers in `handlers/Members.ts`)

/** One member in a list: numbers, tier, tags (automatic and manual) and points. */
export const MemberRow = Schema.Struct({
  memberId: Schema.String,
  identities: Schema.Array(Schema.String),
  orders: Schema.Int,
  rounds: Schema.Int,
  spend: Schema.Int,
  firstOrderAt: Schema.NullOr(Schema.String),
  lastOrderAt: Schema.NullOr(Schema.String),
  tier: Schema.String,
  tags: Schema.Array(Schema.String),
  manualTags: Schema.Array(Schema.String),
  points: Schema.Int,
  blocked: Schema.Boolean,
  consent: Schema.Record(Schema.String, Schema.Literals(["granted", "opted-out"])),
  categorySpend: Schema.Record(Schema.String, Schema.Int)
})
/** One member in a list. */
export type MemberRow = typeof MemberRow.Type

/** A page of members: those in the segment (all without one), and how many there are. */
export const MemberList = Schema.Struct({
  total: Schema.Int,
  members: Schema.Array(MemberRow),
  /** Every tag seen among all members with how many have it (for a segment builder). */
  tags: Schema.Array(Schema.Struct({ tag: Schema.String, members: Schema.Int }))
})

/** One member with notes, household facts, purchases and replenishment estimates. */
export const MemberDetail = Schema.Struct({
  member: MemberRow,
  notes: Schema.Array(Schema.Struct({ noteId: Schema.String, text: Schema.String, at: Schema.String })),
  household: Member.Household,
  blockedReason: Schema.NullOr(Schema.String),
  purchases: Schema.Array(
    Schema.Struct({ orderId: Schema.String, roundId: Schema.String, at: Schema.String, total: Schema.Int })
  ),
  replenishment: Schema.Array(
    Schema.Struct({
      category: Schema.String,
      lastPurchaseAt: Schema.String,
      days: Schema.Tuple([Schema.Int, Schema.Int]),
      runsOutAt: Schema.String,
      remindAt: Schema.String,
      basis: Schema.Literals(["household", "history"])
    })
  )
})

/** The changes to a member, applied in one commit. */
export const MemberChanges = Schema.Struct({
  changes: Schema.Array(Members.ChangeSchema).check(Schema.isMaxLength(50))
})

/** A one-time link code: the buyer sends it from their other channel. */
export const LinkCode = Schema.Struct({ code: Schema.String, expiresAt: Schema.String })

/** A broadcast to a segment. */
export const BroadcastInput = Schema.Struct({
  broadcastId: Schema.String.check(Schema.isPattern(/^[A-Za-z0-9_-]{1,64}$/)),
  segment: Schema.String.check(Schema.isMaxLength(1_000)),
  text: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(2_000)),
  quotas: Schema.optional(Schema.Record(Schema.String, Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)))),
  consentRequired: Schema.optional(Schema.Boolean)
})

/** What a broadcast did. */
export const BroadcastReport = Schema.Struct({
  broadcastId: Schema.String,
  queued: Schema.Int,
  duplicates: Schema.Int,
  skipped: Schema.Struct({ "opted-out": Schema.Int, blocked: Schema.Int, "over-quota": Schema.Int }),
  batches: Schema.Int
})

const MemberParams = { memberId: M.Id }

/** Members across channels (personal data): organiser only. */
export class MembersApi extends HttpApiGroup.make("members").add(
  HttpApiEndpoint.get("list", "/members", {
    query: { segment: Schema.optional(Schema.String.check(Schema.isMaxLength(1_000))) },
    success: MemberList,
    error: domain
  }).annotateMerge(
    op(
      "organiser",
      "Members",
      "One person across channels and rounds, with tags, tier and points; `segment` keeps those matching a tag expression (`高頻消費 AND NOT 沉睡`; a malformed one is a 400 whose `field` is `query.segment@<position>`)"
    )
  ),
  HttpApiEndpoint.get("get", "/members/:memberId", {
    params: MemberParams,
    success: MemberDetail,
    error: domain
  }).annotateMerge(op("organiser", "One member", "Notes, household facts, purchases and replenishment estimates")),
  HttpApiEndpoint.post("change", "/members/:memberId/changes", {
    params: MemberParams,
    payload: MemberChanges,
    success: Schema.Struct({ memberId: Schema.String }),
    error: domain
  }).annotateMerge(
    op("organiser", "Change a member", "Consent per channel, notes, household facts, manual tags, blacklist")
  ),
  HttpApiEndpoint.post("linkCode", "/members/:memberId/link-code", {
    params: MemberParams,
    success: LinkCode,
    error: domain
  }).annotateMerge(
    op("organiser", "A one-time link code", "Valid 30 minutes; the buyer sends it from another channel")
  ),
  HttpApiEndpoint.post("merge", "/members/:memberId/merge", {
    params: MemberParams,
    payload: Schema.Struct({ from: M.Id }),
    success: Schema.Struct({ memberId: Schema.String }),
    error: domain
  }).annotateMerge(op("organiser", "Merge another member into this one")),
  HttpApiEndpoint.post("split", "/members/:memberId/split", {
    params: MemberParams,
    payload: Schema.Struct({ buyerId: M.Id }),
    success: Schema.Struct({ memberId: Schema.String }),
    error: domain
  }).annotateMerge(op("organiser", "Split an identity off a member")),
  HttpApiEndpoint.post("broadcast", "/broadcasts", {
    payload: BroadcastInput,
    success: BroadcastReport,
    error: domain
  }).annotateMerge(
    op(
      "organiser",
      "Broadcast to a segment",
      "A marketing message through the outbox: never to opted-out or blacklisted members, once per member per `broadcastId`, within each channel's `quotas`"
    )
  )
) {}

/** A Taipei date, `YYYY-MM-DD`. */
const TaipeiDate = Schema.String.check(Schema.isPattern(/^\d{4}-\d{2}-\d{2}$/))

/** Insights (經營分析): the KPIs and the organiser's costs and leaders (handlers in `handlers/Insights.ts`). */
export class InsightsApi extends HttpApiGroup.make("insights").add(
  HttpApiEndpoint.get("report", "/insights", {
    query: {
      from: Schema.optional(TaipeiDate),
      to: Schema.optional(TaipeiDate),
      by: Schema.optional(Insights.Dimension),
      period: Schema.optional(Insights.Period)
    },
    success: Insights.Report,
    error: domain
  }).annotateMerge(
    op(
      "organiser",
      "The KPIs (經營分析)",
      "Orders placed from `from` to `to` (Taipei dates, inclusive), grouped `by` product, category, round, channel, leader or region and by `period` (day, week, month): profit per order, days to ship, return rate, response time, conversion, repurchase rate, lifetime value (definitions: docs/insights.md). Nulls: nothing to divide by"
    )
  ),
  HttpApiEndpoint.get("settings", "/insights/settings", {
    success: Insights.Settings,
    error: domain
  }).annotateMerge(op("organiser", "The costs and leaders the KPIs use")),
  HttpApiEndpoint.put("setSettings", "/insights/settings", {
    payload: InsightSettings.File,
    success: Insights.Settings,
    error: [...domain, BadRequest]
  }).annotateMerge(
    op(
      "organiser",
      "Set costs and leaders",
      "Unit costs per SKU, shipping cost per delivery method, fee rates, categories, fixed and marketing costs, leaders: each given entry is set (added or replaced), nothing is removed; a conversation owned by another leader is 400"
    )
  )
) {}

/** Payment deadlines: the orders flagged as overdue. */
export class DeadlinesApi extends HttpApiGroup.make("deadlines").add(
  HttpApiEndpoint.get("overdue", "/rounds/:roundId/overdue", {
    params: RoundParams,
    success: M.OverdueOrders,
    error: domain
  }).annotateMerge(
    op(
      "helper",
      "A round's overdue orders",
      "Unpaid orders flagged at the round's payment deadline (`unpaid: flag`, or partly paid under `cancel`), with what each still owes; an order paid or cancelled since is not listed"
    )
  )
) {}

/** A parcel packed for a carrier (`Fulfilment.pack`). */
export const CarrierParcel = Schema.Struct({
  lines: Schema.Array(M.Line).check(Schema.isMinLength(1), Schema.isMaxLength(100)),
  carrier: Logistics.Carrier
})
/** The parcel packed: its shipment and the reference of its carrier order. */
export const CarrierPacked = Schema.Struct({
  shipmentId: Schema.String,
  orderId: Schema.String,
  reference: Schema.String
})
/** What the carrier order needs: the receiver (sent to the carrier only), and optionally the value and contents. */
export const CarrierOrderRequest = Schema.Struct({
  receiver: Logistics.Receiver,
  goodsAmount: Schema.optional(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 20_000 }))),
  goodsName: Schema.optional(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(60))),
  collect: Schema.optional(Schema.Boolean)
})
/** A carrier order: its ids and tracking number; `created: false` when it existed already. */
export const CarrierOrderMade = Schema.Struct({
  shipmentId: Schema.String,
  carrier: Logistics.Carrier,
  carrierOrderId: Schema.String,
  trackingNo: Schema.String,
  validationNo: Schema.optional(Schema.String),
  created: Schema.Boolean
})
/** A form the organiser's browser posts (the carrier's label page). */
export const CarrierForm = Schema.Struct({
  action: Schema.String,
  method: Schema.Literal("POST"),
  fields: Schema.Record(Schema.String, Schema.String)
})
/** A parcel that came back unclaimed, waiting for the organiser. */
export const UnclaimedReturn = Schema.Struct({
  shipmentId: Schema.String,
  orderId: Schema.String,
  carrier: Schema.optional(Logistics.Carrier),
  trackingNo: Schema.optional(Schema.String),
  carrierCode: Schema.optional(Schema.String),
  at: Schema.String
})

/** Carrier logistics (convenience-store pickup, home delivery): pack, carrier order, label, unclaimed returns. */
export class LogisticsApi extends HttpApiGroup.make("logistics").add(
  HttpApiEndpoint.post("pack", "/orders/:orderId/carrier-shipments", {
    params: OrderParams,
    payload: CarrierParcel,
    success: CarrierPacked.pipe(HttpApiSchema.status(201)),
    error: [...domain, BadRequest]
  }).annotateMerge(
    op("helper", "Pack lines of a paid order for a carrier", "A store carrier asks the buyer to choose a store")
  ),
  HttpApiEndpoint.post("carrierOrder", "/shipments/:shipmentId/carrier-order", {
    params: { shipmentId: M.Id },
    payload: CarrierOrderRequest,
    success: CarrierOrderMade,
    error: [...domain, BadRequest]
  }).annotateMerge(
    op(
      "helper",
      "Create the carrier order of a packed shipment",
      "Once per shipment: asked again, it answers the order made"
    )
  ),
  HttpApiEndpoint.get("label", "/shipments/:shipmentId/label", {
    params: { shipmentId: M.Id },
    success: CarrierForm,
    error: domain
  }).annotateMerge(op("helper", "The carrier's label page of a shipment", "A form to post from the browser")),
  HttpApiEndpoint.get("unclaimed", "/logistics/unclaimed", {
    success: Schema.Array(UnclaimedReturn),
    error: domain
  }).annotateMerge(op("organiser", "Parcels that came back unclaimed", "Oldest first, until resolved")),
  HttpApiEndpoint.post("resolveUnclaimed", "/logistics/unclaimed/:shipmentId/resolve", {
    params: { shipmentId: M.Id },
    success: Schema.Struct({ shipmentId: Schema.String }),
    error: domain
  }).annotateMerge(op("organiser", "Mark an unclaimed return dealt with"))
) {}

/** E-invoices (電子發票): an order's invoice, issuing it on demand, the failures. */
export class InvoicesApi extends HttpApiGroup.make("invoices").add(
  HttpApiEndpoint.get("get", "/orders/:orderId/invoice", {
    params: OrderParams,
    success: M.OrderInvoice,
    error: domain
  }).annotateMerge(op("helper", "An order's e-invoice", "Its number once issued, the last failure while it is not")),
  HttpApiEndpoint.post("request", "/orders/:orderId/invoice", {
    params: OrderParams,
    payload: M.RequestInvoice,
    success: M.OrderInvoice,
    error: [...domain, BadRequest]
  }).annotateMerge(
    op(
      "helper",
      "Issue an order's e-invoice now",
      "For a paid order, with the carrier given now (recorded as the buyer's) or the one the buyer gave in chat; issued at once when the vendor answers, else retried by the scheduler. Idempotent"
    )
  ),
  HttpApiEndpoint.get("problems", "/invoices/problems", {
    success: M.InvoiceProblems,
    error: domain
  }).annotateMerge(
    op(
      "organiser",
      "E-invoices that need the organiser",
      "Invoice jobs failed for good (no carrier, refused input, the vendor down past every retry) or retrying"
    )
  )
) {}

/**
 * The counter (門市櫃台): a shop assistant (a `helper` token) finds an order by pickup code, order
 * number or buyer id and takes what is due, in cash or on the shop's card terminal. A helper may:
 * the money is in their hand, each payment carries the till's or the terminal's reference
 * (idempotent), it can never exceed what is due, and the organiser sees it with the order.
 */
export class CounterApi extends HttpApiGroup.make("counter").add(
  HttpApiEndpoint.get("lookup", "/counter/lookup", {
    query: { q: M.CounterQuery, rounds: Schema.optional(Schema.String) },
    success: M.CounterLookup,
    error: domain
  }).annotateMerge(
    op(
      "helper",
      "Find an order at the counter",
      "A pickup code (typed, or scanned: the scanner types it and Enter), an order number, or a buyer id (in `rounds`, comma-separated; default the open and recent rounds): what is due, the pickups, the e-invoice"
    )
  ),
  HttpApiEndpoint.post("pay", "/counter/orders/:orderId/pay", {
    params: OrderParams,
    payload: M.CounterPay,
    success: M.CounterPaid,
    error: [...domain, BadRequest]
  }).annotateMerge(
    op(
      "helper",
      "Take a payment at the counter",
      "Cash, or a card on the shop's terminal recorded as paid with its reference; at most what is due (409 `over-due`, `not-due`); the same reference twice records one payment"
    )
  )
) {}

/** The organiser's API, version 1. */
export class Api extends HttpApi.make("kaituan")
  .add(SessionApi)
  .add(RoundsApi)
  .add(OrdersApi)
  .add(ReviewApi)
  .add(PaymentsApi)
  .add(ShippingApi)
  .add(PickupsApi)
  .add(BuyersApi)
  .add(OperationsApi)
  .add(ExportsApi)
  .add(PublishApi)
  .add(DeadlinesApi)
  .add(LogisticsApi)
  .add(DocumentsApi)
  .add(AfterSalesApi)
  .add(MembersApi)
  .add(InsightsApi)
  .add(InvoicesApi)
  .add(CounterApi)
  .middleware(Validation)
  .middleware(Authorization)
  .prefix(prefix)
  .annotate(HttpApi.PayloadParseOptions, { onExcessProperty: "error", errors: "all" })
  .annotateMerge(
    OpenApi.annotations({
      title: "kaituan back office",
      version: "1",
      description:
        "The organiser's API: rounds, orders, the review queue, payments, shipping and pickups. Every route needs `Authorization: Bearer <token>` (`kaituan token create --role organiser|helper`)."
    })
  ) {}
