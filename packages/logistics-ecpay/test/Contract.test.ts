import { afterAll, beforeAll, describe, it } from "@effect/vitest"
import { Http, LogisticsContract } from "@kaituan/core"
import { Effect, Redacted } from "effect"
import { ECPayLogistics, StoreMap } from "../src/index.js"
import * as StandIn from "./support/StandIn.js"

/** A key that is not the merchant's: what a forger signs with. */
const other = { hashKey: Redacted.make("AAAAAAAAAAAAAAAA"), hashIV: Redacted.make("BBBBBBBBBBBBBBBB") }

const codes: Record<LogisticsContract.SampleStatus, readonly [string, string]> = {
  "in-transit": ["3024", "貨件已至物流中心"],
  "arrived-at-store": ["3018", "到店尚未取貨，簡訊通知取件"],
  "picked-up": ["3022", "買家已到店取貨"],
  unclaimed: ["3020", "貨件未取退回物流中心"],
  "unknown-code": ["9999", "未知狀態"]
}

type StatusInput = Parameters<LogisticsContract.Harness["signedStatus"]>[0]

let standIn: StandIn.StandIn
let harness: LogisticsContract.Harness

beforeAll(async () => {
  standIn = await StandIn.start(StandIn.C2C)
  const logistics = await Effect.runPromise(
    ECPayLogistics.make({
      merchantId: StandIn.C2C.merchantId,
      hashKey: StandIn.C2C.keys.hashKey,
      hashIV: StandIn.C2C.keys.hashIV,
      notifyUrl: "https://shop.example/logistics/ecpay/notify",
      storeReplyUrl: "https://shop.example/logistics/ecpay/store",
      sender: { name: "阿明團購", cellPhone: "0912345678" },
      apiBaseUrl: standIn.url
    })
  )
  let n = 0
  const body = (input: StatusInput, keys = StandIn.C2C.keys) => {
    const [code, msg] = codes[input.status]
    return standIn.statusBody(input.reference, code, msg, "2024/05/03 10:00:00", {
      keys,
      carrierOrderId: input.carrierOrderId
    })
  }
  harness = {
    logistics,
    store: {
      carrier: "familymart",
      storeId: "006598",
      storeName: "全家台北信義店",
      address: "台北市信義區松仁路100號"
    },
    receiver: { name: "王小明", cellPhone: "0911222333" },
    freshReference: () => `KT${Date.now().toString(36).toUpperCase()}${++n}`,
    ordersAt: (reference) => (standIn.orders.has(reference) ? 1 : 0),
    signedStatus: (input) => Http.request({ body: body(input) }),
    forgedStatus: (input) => Http.request({ body: body(input, other) }),
    tamperedStatus: (input) => {
      const fields = new URLSearchParams(body(input))
      fields.set("RtnCode", fields.get("RtnCode") === "3022" ? "3018" : "3022")
      return Http.request({ body: fields.toString() })
    },
    signedStoreReply: ({ reference, store }) =>
      Http.request({ body: StoreMap.encodeReply(StandIn.C2C, reference, store) }),
    forgedStoreReply: ({ reference, store }) =>
      Http.request({
        body: StoreMap.encodeReply({ merchantId: StandIn.C2C.merchantId, keys: other }, reference, store)
      })
  }
})

afterAll(() => standIn.close())

describe("LogisticsContract: ECPay logistics against the stand-in", () => {
  for (const c of LogisticsContract.cases) it.live(c.name, () => c.run(harness))
})
