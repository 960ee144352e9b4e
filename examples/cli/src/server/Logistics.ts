/**
 * ECPay logistics on `kaituan serve` (CLI.md): mounted when `ECPAY_LOGISTICS_MERCHANT_ID`,
 * `ECPAY_LOGISTICS_HASH_KEY` and `ECPAY_LOGISTICS_HASH_IV` are set (the package reads its other
 * `ECPAY_LOGISTICS_*` variables itself); the notify and store-reply URLs default to
 * `KAITUAN_PUBLIC_URL` + the routes below, never to the request's `Host`.
 *
 * - `POST /logistics/ecpay/notify`: a status notification. Verified (MD5 CheckMacValue) and
 *   applied once through core's `Fulfilment.applyStatus`; answered `1|OK`, or `0|ErrorMessage`
 *   (401) for a missing or wrong MAC and (400) for a malformed body, so ECPay sends it again. A
 *   notification for a reference this server never issued is answered `1|OK` and logged ignored.
 * - `GET /logistics/ecpay/map/:shipmentId`: the page a buyer opens from the `choose-store`
 *   message; it posts ECPay's store map form by itself.
 * - `POST /logistics/ecpay/store`: ECPay's store-map reply, through the buyer's browser: verified
 *   by its token, recorded with `Fulfilment.chooseStore`, answered with a short page.
 */
import { CheckoutPage, Fulfilment, type Http, IdGenerator, Logistics, type Storage } from "@kaituan/core"
import { ECPayLogistics } from "@kaituan/logistics-ecpay"
import { Cause, ConfigProvider, Effect, Exit, Result } from "effect"
import { UsageError } from "../Io.js"
import { errorKind } from "./Log.js"
import { type Reply, text } from "./Reply.js"

/** The variables that mount ECPay logistics. */
export const REQUIRED = ["ECPAY_LOGISTICS_MERCHANT_ID", "ECPAY_LOGISTICS_HASH_KEY", "ECPAY_LOGISTICS_HASH_IV"] as const

/** The routes. */
export const paths = {
  notify: "/logistics/ecpay/notify",
  store: "/logistics/ecpay/store",
  map: "/logistics/ecpay/map/:shipmentId"
} as const

/** Why the routes answer 404. */
export const NOT_CONFIGURED = `ECPay logistics is not configured on this server: set ${REQUIRED.join(", ")}`

/** The store-map link of a shipment (the `choose-store` message's). */
export const mapUrl = (publicUrl: string, shipmentId: string): string =>
  `${publicUrl}/logistics/ecpay/map/${encodeURIComponent(shipmentId)}`

/** ECPay logistics when its variables are set, else undefined. Throws a UsageError for a bad value. */
export const fromEnv = (
  env: Readonly<Record<string, string | undefined>>,
  publicUrl: string | undefined
): ECPayLogistics.ECPayLogisticsService | undefined => {
  const present = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => typeof e[1] === "string" && e[1] !== "")
  )
  if (REQUIRED.some((k) => present[k] === undefined)) return undefined
  const rest =
    publicUrl === undefined
      ? {}
      : { notifyUrl: `${publicUrl}${paths.notify}`, storeReplyUrl: `${publicUrl}${paths.store}` }
  const exit = Effect.runSyncExit(
    Effect.provideService(
      // The variables win over the defaults from KAITUAN_PUBLIC_URL.
      Effect.flatMap(ECPayLogistics.config, (c) => ECPayLogistics.make({ ...rest, ...c })),
      ConfigProvider.ConfigProvider,
      ConfigProvider.fromEnvRecord(present)
    )
  )
  if (Exit.isSuccess(exit)) return exit.value
  const failure = Cause.findErrorOption(exit.cause)
  const detail =
    failure._tag === "Some"
      ? String((failure.value as { message?: unknown }).message ?? failure.value)
      : Cause.pretty(exit.cause)
  throw new UsageError(`cannot set up ECPay logistics from ${REQUIRED.join(", ")}: ${detail}`)
}

/**
 * The Fulfilment use cases over the server's storage and this carrier, with the `choose-store`
 * message linking to this server's map page. Built once for the API (`/api/v1`, where carrier
 * orders are made one at a time per shipment); the callback routes below build their own (they
 * draw no ids and make no carrier order).
 */
export const fulfilment = (
  logistics: Logistics.LogisticsService,
  publicUrl: string | undefined
): Effect.Effect<Fulfilment.FulfilmentService, never, Storage.Storage> =>
  Fulfilment.make(publicUrl === undefined ? {} : { storeMapUrl: (id) => mapUrl(publicUrl, id) }).pipe(
    Effect.provideService(Logistics.Logistics, logistics),
    Effect.provideService(IdGenerator.IdGenerator, IdGenerator.makeNanoid())
  )

const withFulfilment = <A, E>(
  logistics: Logistics.LogisticsService,
  publicUrl: string | undefined,
  use: (f: Fulfilment.FulfilmentService) => Effect.Effect<A, E, Storage.Storage>
): Effect.Effect<A, E, Storage.Storage> => Effect.flatMap(fulfilment(logistics, publicUrl), use)

const ack = (logistics: Logistics.LogisticsService, accepted: boolean, status?: number): Reply => {
  const r = logistics.acknowledge(accepted)
  return {
    status: status ?? r.status,
    headers: r.headers ?? { "content-type": "text/plain; charset=utf-8" },
    body: r.body
  }
}

/** `POST /logistics/ecpay/notify`. */
export const notify = (
  logistics: Logistics.LogisticsService,
  publicUrl: string | undefined,
  req: Http.InboundRequest
): Effect.Effect<Reply, unknown, Storage.Storage> =>
  Effect.gen(function* () {
    const decoded = yield* Effect.result(logistics.statusCallback(req))
    if (Result.isFailure(decoded)) {
      const reason = decoded.failure.reason
      return { ...ack(logistics, false, reason === "unauthorized" ? 401 : 400), error: `LogisticsError:${reason}` }
    }
    const update = decoded.success
    const applied = yield* Effect.result(withFulfilment(logistics, publicUrl, (f) => f.applyStatus(update)))
    if (Result.isFailure(applied)) {
      const e = applied.failure
      // A reference this server never issued (another shop on the same merchant): nothing to do here.
      if (e._tag === "GroupBuyError" && e.reason === "unknown-shipment")
        return { ...ack(logistics, true), note: "unknown-reference", fields: { code: update.code } }
      return { ...ack(logistics, false, 400), error: errorKind(e), fields: { code: update.code } }
    }
    return {
      ...ack(logistics, true),
      ...(applied.success.outcome === "applied" ? { accepted: true } : {}),
      fields: { kind: update.kind, code: update.code, outcome: applied.success.outcome }
    }
  })

const page = (title: string, message: string): Reply => ({
  status: 200,
  headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
  body: [
    "<!doctype html>",
    '<html lang="zh-Hant">',
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="robots" content="noindex"><title>${CheckoutPage.escapeHtml(title)}</title></head>`,
    `<body><main><h1>${CheckoutPage.escapeHtml(title)}</h1><p>${CheckoutPage.escapeHtml(message)}</p></main></body>`,
    "</html>",
    ""
  ].join("\n")
})

/** `POST /logistics/ecpay/store`: the buyer's store choice, through their browser. */
export const store = (
  logistics: Logistics.LogisticsService,
  publicUrl: string | undefined,
  req: Http.InboundRequest
): Effect.Effect<Reply, unknown, Storage.Storage> =>
  Effect.gen(function* () {
    const decoded = yield* Effect.result(logistics.storeCallback(req))
    if (Result.isFailure(decoded)) {
      const reason = decoded.failure.reason
      return {
        ...text(reason === "unauthorized" ? 401 : 400, "這個門市選擇無法確認，請重新開啟選擇門市的連結。"),
        error: `LogisticsError:${reason}`
      }
    }
    const choice = decoded.success
    const chosen = yield* Effect.result(withFulfilment(logistics, publicUrl, (f) => f.chooseStore(choice)))
    if (Result.isFailure(chosen))
      return {
        ...text(409, "這筆出貨已無法更改門市，請與團主聯繫。"),
        error: errorKind(chosen.failure)
      }
    return {
      ...page(
        "已選擇取貨門市",
        `${Logistics.carrierNames[choice.store.carrier]} ${choice.store.storeName}（${choice.store.address}）。可以關閉此頁。`
      ),
      fields: { changed: chosen.success.changed }
    }
  })

/** `GET /logistics/ecpay/map/:shipmentId`: the page that posts ECPay's store map form. */
export const mapPage = (
  logistics: Logistics.LogisticsService,
  publicUrl: string | undefined,
  shipmentId: string
): Effect.Effect<Reply, unknown, Storage.Storage> =>
  Effect.gen(function* () {
    const form = yield* Effect.result(withFulfilment(logistics, publicUrl, (f) => f.storeMap({ shipmentId })))
    if (Result.isFailure(form)) {
      const e = form.failure
      const unknown = e._tag === "GroupBuyError" && e.reason === "unknown-shipment"
      return {
        ...text(unknown ? 404 : 409, unknown ? "找不到這筆出貨" : "這筆出貨目前不需要選擇門市"),
        error: errorKind(e)
      }
    }
    const e = CheckoutPage.escapeHtml
    const { action, fields } = form.success
    return {
      status: 200,
      headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
      body: [
        "<!doctype html>",
        '<html lang="zh-Hant">',
        '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer"><meta name="robots" content="noindex">',
        "<title>選擇取貨門市 Choose a pickup store</title></head>",
        "<body>",
        `<form id="kaituan-store-map" method="post" action="${e(action)}" accept-charset="UTF-8">`,
        ...Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${e(k)}" value="${e(v)}">`),
        "<p>正在開啟門市地圖… Opening the store map…</p>",
        '<button type="submit">選擇門市 Choose a store</button>',
        "</form>",
        '<script>document.getElementById("kaituan-store-map").submit();</script>',
        "</body>",
        "</html>",
        ""
      ].join("\n")
    }
  })
