/**
 * The API over `fetch`, typed with `@kaituan/http`'s models (types only: nothing of Effect is in
 * the bundle). Every call sends the session's bearer token; an answer that is not 2xx becomes an
 * {@link ApiError} carrying the status and the JSON body the API sends (`_tag`, `message`…), which
 * {@link explain} turns into the organiser's language.
 */
import type { ReadModel } from "@kaituan/core"
import type { Models } from "@kaituan/http"
import { isKey, type Key, type Params, type T } from "./i18n.js"

export type Me = Models.Me
export type Round = Models.Round
export type RoundsPage = Models.RoundsPage
export type Report = Models.Report
export type OrdersPage = Models.OrdersPage
export type Order = ReadModel.OrderView
export type OrderStatus = ReadModel.OrderStatus
export type ReviewItem = ReadModel.ReviewItem
export type NotOrderedItem = ReadModel.NotOrderedItem
export type Resolve = Models.Resolve
export type Resolved = Models.Resolved
export type Decision = Models.Decision
export type StatementImported = Models.StatementImported
export type Cash = Models.Cash
export type PaymentRecorded = Models.PaymentRecorded
export type Ship = Models.Ship
export type Shipped = Models.Shipped
export type Pickup = Models.Pickup
export type PickupDone = Models.PickupDone
export type BuyerDetail = Models.BuyerDetail
export type Closed = Models.Closed
export type HistoryEntry = Models.HistoryEntry
export type RoundEvent = HistoryEntry["event"]
export type Restock = Models.Restock
export type OverdueOrders = Models.OverdueOrders
export type Waitlist = Models.Waitlist
export type Reopen = Models.Reopen
/** `PATCH /rounds/:roundId`'s body (core's `RoundChanges.RoundChange`). */
export type RoundChange = {
  readonly title?: string
  readonly cutoff?: string | null
  readonly prices?: ReadonlyArray<{ readonly sku: string; readonly price: number }>
  readonly restock?: Restock["lines"]
  readonly paused?: boolean
  readonly requestId?: string
}
/** What `POST /rounds/:roundId/publish` answers (`@kaituan/http`'s `Published`). */
export interface Published {
  readonly roundId: string
  readonly status: "queued" | "duplicate" | "skipped"
  readonly reason?: string
  readonly messages: ReadonlyArray<{
    readonly messageId: string
    readonly channel: string
    readonly conversation: string
  }>
  readonly examples: ReadonlyArray<string>
  readonly text: string
}
export type Method = Ship["method"]
export type CounterLookup = Models.CounterLookup
export type CounterOrder = Models.CounterOrder
export type CounterPaid = Models.CounterPaid
export type OrderInvoice = Models.OrderInvoice

/** The API's prefix: the back office is served by the same server, so paths are same-origin. */
export const prefix = "/api/v1"

/** A failed call: its HTTP status (0: the server was not reached) and the API's JSON body. */
export class ApiError extends Error {
  readonly status: number
  readonly body: Record<string, unknown>
  constructor(status: number, body: Record<string, unknown>) {
    super(typeof body.message === "string" ? body.message : `HTTP ${status}`)
    this.status = status
    this.body = body
  }
}

export interface Api {
  readonly get: <A>(path: string, query?: Record<string, string | ReadonlyArray<string> | undefined>) => Promise<A>
  readonly post: <A>(path: string, body?: unknown) => Promise<A>
  readonly patch: <A>(path: string, body: unknown) => Promise<A>
  readonly upload: <A>(path: string, file: Blob, contentType: string) => Promise<A>
  /**
   * A file the API answers (a CSV export, a PDF): its bytes and the name its `Content-Disposition`
   * gives. With a `body` it is POSTed as JSON (packing slips of many chosen orders).
   */
  readonly download: (path: string, body?: unknown) => Promise<Download>
}

/** A downloaded file: its bytes, and its name from `Content-Disposition` (or the path's last segment). */
export interface Download {
  readonly blob: Blob
  readonly filename: string
}

/** The `filename` of a `Content-Disposition` header, if it has one. */
export const filenameOf = (disposition: string | null): string | undefined =>
  disposition === null ? undefined : /filename="?([^";]+)"?/i.exec(disposition)?.[1]

const queryString = (query: Record<string, string | ReadonlyArray<string> | undefined> | undefined): string => {
  if (query === undefined) return ""
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue
    if (typeof v === "string") params.append(k, v)
    else for (const x of v) params.append(k, x)
  }
  const s = params.toString()
  return s === "" ? "" : `?${s}`
}

/** A path segment: ids such as `line:U123` or `line:c4` are encoded. */
export const seg = (id: string): string => encodeURIComponent(id)

/** The API for a token; `onUnauthorized` runs on a 401 (the token was revoked: sign out). */
export const makeApi = (token: string, onUnauthorized: () => void): Api => {
  const call = async <A>(method: string, path: string, body?: BodyInit, contentType?: string): Promise<A> => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: "application/json" }
    if (contentType !== undefined) headers["content-type"] = contentType
    let res: Response
    try {
      res = await fetch(`${prefix}${path}`, { method, headers, ...(body === undefined ? {} : { body }) })
    } catch {
      throw new ApiError(0, {})
    }
    const text = await res.text()
    let json: unknown
    try {
      json = text === "" ? undefined : JSON.parse(text)
    } catch {
      json = undefined
    }
    if (!res.ok) {
      if (res.status === 401) onUnauthorized()
      throw new ApiError(res.status, typeof json === "object" && json !== null ? (json as Record<string, unknown>) : {})
    }
    return json as A
  }
  return {
    get: (path, query) => call("GET", `${path}${queryString(query)}`),
    post: (path, body) =>
      call(
        "POST",
        path,
        body === undefined ? undefined : JSON.stringify(body),
        body === undefined ? undefined : "application/json"
      ),
    patch: (path, body) => call("PATCH", path, JSON.stringify(body), "application/json"),
    upload: (path, file, contentType) => call("POST", path, file, contentType),
    download: async (path, body) => {
      let res: Response
      try {
        res = await fetch(
          `${prefix}${path}`,
          body === undefined
            ? { headers: { authorization: `Bearer ${token}` } }
            : {
                method: "POST",
                headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
                body: JSON.stringify(body)
              }
        )
      } catch {
        throw new ApiError(0, {})
      }
      if (!res.ok) {
        if (res.status === 401) onUnauthorized()
        let json: unknown
        try {
          json = await res.json()
        } catch {
          json = undefined
        }
        throw new ApiError(
          res.status,
          typeof json === "object" && json !== null ? (json as Record<string, unknown>) : {}
        )
      }
      const blob = await res.blob()
      return {
        blob,
        filename: filenameOf(res.headers.get("content-disposition")) ?? path.split("/").pop() ?? "download"
      }
    }
  }
}

/** Checks a token (`GET /me`) before keeping it. */
export const whoAmI = async (token: string): Promise<Me> => makeApi(token, () => {}).get<Me>("/me")

const str = (v: unknown): string => (typeof v === "string" ? v : typeof v === "number" ? String(v) : "")

/** An error in the organiser's language: the main sentence, and the server's own words when they help. */
export const explain = (t: T, error: unknown): { readonly message: string; readonly detail?: string } => {
  if (!(error instanceof ApiError)) return { message: t("error.other", { status: "?" }) }
  const b = error.body
  const detail = str(b.message) === "" ? undefined : t("error.detail", { message: str(b.message) })
  const withDetail = (message: string) => (detail === undefined ? { message } : { message, detail })
  switch (error.status) {
    case 0:
      return { message: t("error.network") }
    case 400:
      return withDetail(t("error.400", { field: str(b.field) || "?" }))
    case 401:
      return { message: t("error.401") }
    case 403: {
      const role = str(b.role)
      return role === "helper" || role === "organiser"
        ? { message: t("error.403", { role: t(`role.${role}`) }) }
        : { message: t("error.403plain") }
    }
    case 404: {
      const key = `what.${str(b.what)}`
      return withDetail(t("error.404", { what: t(isWhat(key) ? key : "what.other") }))
    }
    case 409: {
      // A round's refusal names its reason (`cutoff-passed`, `below-sold`…): say it in the organiser's words.
      const key = `conflict.${str(b.reason)}`
      return withDetail(isKey(key) ? t(key) : t("error.409"))
    }
    case 413:
      return { message: t("error.413", { mb: Math.round((Number(b.limit) || 10 * 1024 * 1024) / 1024 / 1024) }) }
    case 422: {
      const r = (b.recognised ?? {}) as Record<string, unknown>
      const kind = `kind.${str(r.kind)}`
      const params: Params = {
        bytes: str(r.bytes) || "?",
        kind: isWhat(kind) ? t(kind) : "?",
        lines: str(r.lines) || "0",
        columns: str(r.columns) || "0"
      }
      return withDetail(t("error.422", params))
    }
    case 423:
      return { message: t("error.423") }
    case 501:
      return withDetail(t("error.501"))
    case 503:
      return { message: t("error.503") }
    default:
      return { message: t("error.other", { status: error.status }) }
  }
}

const whats = new Set<string>([
  "what.round",
  "what.order",
  "what.shipment",
  "what.buyer",
  "what.decision",
  "what.pickup",
  "what.review item",
  "kind.xlsx",
  "kind.text",
  "kind.binary"
])
const isWhat = (key: string): key is Key => whats.has(key)

// After-sales and carrier logistics (`@kaituan/http`'s `afterSales` and `logistics` groups).
export type Refund = Models.Refund
export type RefundDone = Models.RefundDone
export type Return = Models.Return
export type Returned = Models.Returned
export type RefundsDuePage = Models.RefundsDuePage
export type RefundDue = RefundsDuePage["items"][number]
export type RefundMethod = Refund["method"]
export type RefundReason = Refund["reasonCode"]
/** A carrier (`Logistics.Carrier`): a store chain or home delivery. */
export type Carrier = "7-eleven" | "familymart" | "hi-life" | "ok" | "tcat"
/** `POST /orders/:orderId/carrier-shipments`'s answer. */
export interface CarrierPacked {
  readonly shipmentId: string
  readonly orderId: string
  readonly reference: string
}
/** `POST /shipments/:shipmentId/carrier-order`'s answer. */
export interface CarrierOrderMade {
  readonly shipmentId: string
  readonly carrier: Carrier
  readonly carrierOrderId: string
  readonly trackingNo: string
  readonly validationNo?: string
  readonly created: boolean
}
/** `GET /shipments/:shipmentId/label`: a form the browser posts to the carrier's label page. */
export interface CarrierForm {
  readonly action: string
  readonly method: "POST"
  readonly fields: Readonly<Record<string, string>>
}
/** One of `GET /logistics/unclaimed`. */
export interface UnclaimedReturn {
  readonly shipmentId: string
  readonly orderId: string
  readonly carrier?: Carrier
  readonly trackingNo?: string
  readonly carrierCode?: string
  readonly at: string
}
