import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Http, Logistics } from "@kaituan/core"
import { CheckMacValue } from "@kaituan/payments-ecpay"
import { ConfigProvider, Effect, Redacted, Result } from "effect"
import { CreateOrder, ECPayLogistics, PrintPage, StatusNotification, StoreMap } from "../src/index.js"
import * as StandIn from "./support/StandIn.js"

const store: Logistics.Store = {
  carrier: "7-eleven",
  storeId: "131386",
  storeName: "鑫新門市",
  address: "台北市中正區"
}
const receiver = { name: "王小明", cellPhone: "0911222333" }

let standIn: StandIn.StandIn
beforeAll(async () => {
  standIn = await StandIn.start(StandIn.C2C)
})
afterAll(() => standIn.close())

const options = (overrides: Partial<ECPayLogistics.OptionsInput> = {}): ECPayLogistics.OptionsInput => ({
  merchantId: StandIn.C2C.merchantId,
  hashKey: StandIn.C2C.keys.hashKey,
  hashIV: StandIn.C2C.keys.hashIV,
  notifyUrl: "https://shop.example/logistics/ecpay/notify",
  storeReplyUrl: "https://shop.example/logistics/ecpay/store",
  sender: { name: "阿明團購", cellPhone: "0912345678", zipCode: "100", address: "台北市中正區重慶南路一段122號" },
  apiBaseUrl: standIn.url,
  ...overrides
})

let n = 0
const fresh = () => `T${Date.now().toString(36).toUpperCase()}${++n}`

describe("the store map (protocols.md §6.1 vector 6, §6.3)", () => {
  it("vector 6: the B2C FamilyMart map form's MD5 CheckMacValue, exactly", () => {
    const fields = StoreMap.fields(
      {
        merchantId: StandIn.B2C.merchantId,
        keys: StandIn.B2C.keys,
        mode: "B2C",
        replyUrl: "https://www.ecpay.com.tw/example/server-reply"
      },
      { reference: "Test1714540800", carrier: "familymart" },
      false
    )
    expect(Result.getOrThrow(fields)).toEqual({
      MerchantID: "2000132",
      MerchantTradeNo: "Test1714540800",
      LogisticsType: "CVS",
      LogisticsSubType: "FAMI",
      IsCollection: "N",
      ServerReplyURL: "https://www.ecpay.com.tw/example/server-reply",
      CheckMacValue: "DCF1129F909B5C8526CC6B52E1CA6F21"
    })
  })

  it.effect("the C2C form posts to /Express/map with the token ECPay echoes, signed MD5", () =>
    Effect.gen(function* () {
      const logistics = yield* ECPayLogistics.make(options({ apiBaseUrl: undefined }))
      const form = yield* logistics.storeMap({ reference: "KREF1", carrier: "7-eleven", device: "mobile" })
      expect(form.action).toBe("https://logistics-stage.ecpay.com.tw/Express/map")
      expect(form.fields).toMatchObject({ LogisticsSubType: "UNIMARTC2C", Device: "1", MerchantTradeNo: "KREF1" })
      expect(form.fields.ExtraData).toBe(StoreMap.token(StandIn.C2C.keys, "2000933", "KREF1"))
      expect(form.fields.ExtraData).toHaveLength(20)
      expect(CheckMacValue.verify(form.fields, StandIn.C2C.keys, "md5")).toBe(true)
      const ok = yield* Effect.flip(
        (yield* ECPayLogistics.make(options({ mode: "B2C" }))).storeMap({ reference: "KREF1", carrier: "ok" })
      )
      expect(ok.reason).toBe("unsupported")
    })
  )

  it("a reply for another reference, with a CheckMacValue that does not verify, or for another merchant is refused", () => {
    const decode = (body: string) => StoreMap.decodeReply(Http.request({ body }), StandIn.C2C)
    const good = StoreMap.encodeReply(StandIn.C2C, "KREF1", store)
    expect(Result.getOrThrow(decode(good))).toEqual({ reference: "KREF1", store })
    const moved = new URLSearchParams(good)
    moved.set("MerchantTradeNo", "KREF2")
    const movedReply = decode(moved.toString())
    expect(Result.isFailure(movedReply) && movedReply.failure.reason).toBe("unauthorized")
    const withBadMac = new URLSearchParams(good)
    withBadMac.set("CheckMacValue", "0".repeat(32))
    const badMac = decode(withBadMac.toString())
    expect(Result.isFailure(badMac) && badMac.failure.reason).toBe("unauthorized")
    const withGoodMac = new URLSearchParams(
      CheckMacValue.sign(Object.fromEntries(new URLSearchParams(good)), StandIn.C2C.keys, "md5")
    )
    expect(Result.isSuccess(decode(withGoodMac.toString()))).toBe(true)
    const elsewhere = StoreMap.encodeReply({ merchantId: "2000132", keys: StandIn.C2C.keys }, "KREF1", store)
    const refused = StoreMap.decodeReply(Http.request({ body: elsewhere }), StandIn.C2C)
    expect(Result.isFailure(refused) && refused.failure.reason).toBe("unauthorized")
  })
})

describe("Express/Create against the stand-in", () => {
  it.effect(
    "a 7-ELEVEN C2C order: the stand-in checks the MAC; the answer gives CVSPaymentNo and CVSValidationNo",
    () =>
      Effect.gen(function* () {
        const logistics = yield* ECPayLogistics.make(options())
        const reference = fresh()
        const order = yield* logistics.createShipment({
          reference,
          carrier: "7-eleven",
          store,
          receiver,
          goodsAmount: 640,
          goodsName: "芒果禮盒"
        })
        const held = standIn.orders.get(reference)!
        expect(held.fields).toMatchObject({
          LogisticsType: "CVS",
          LogisticsSubType: "UNIMARTC2C",
          ReceiverStoreID: "131386",
          IsCollection: "N",
          LogisticsC2CReplyURL: "https://shop.example/logistics/ecpay/notify"
        })
        expect(order).toEqual({
          reference,
          carrier: "7-eleven",
          carrierOrderId: held.answer.AllPayLogisticsID,
          trackingNo: held.answer.CVSPaymentNo,
          validationNo: "7788",
          code: "300",
          message: "訂單處理中(已收到訂單資料)"
        })
        const print = yield* logistics.printPage(order)
        expect(print.action).toBe(`${standIn.url}/Express/PrintUniMartC2COrderInfo`)
        expect(print.fields).toMatchObject({ CVSPaymentNo: order.trackingNo, CVSValidationNo: "7788" })
        expect(CheckMacValue.verify(print.fields, StandIn.C2C.keys, "md5")).toBe(true)
      })
  )

  it.effect("home delivery by TCAT sends both addresses; its tracking number is the BookingNote", () =>
    Effect.gen(function* () {
      const logistics = yield* ECPayLogistics.make(options())
      const reference = fresh()
      const home = { ...receiver, zipCode: "106", address: "台北市大安區復興南路一段390號" }
      const order = yield* logistics.createShipment({
        reference,
        carrier: "tcat",
        receiver: home,
        goodsAmount: 1280,
        goodsName: "芒果禮盒",
        collect: true
      })
      expect(standIn.orders.get(reference)?.fields).toMatchObject({
        LogisticsType: "Home",
        LogisticsSubType: "TCAT",
        ReceiverZipCode: "106",
        SenderZipCode: "100",
        IsCollection: "Y",
        CollectionAmount: "1280",
        Temperature: "0001"
      })
      expect(order.trackingNo).toBe(standIn.orders.get(reference)?.answer.BookingNote)
      expect((yield* logistics.printPage(order)).action).toBe(`${standIn.url}/helper/printTradeDocument`)
      const noAddress = yield* Effect.flip(
        logistics.createShipment({ reference: fresh(), carrier: "tcat", receiver, goodsAmount: 1, goodsName: "x" })
      )
      expect(noAddress.reason).toBe("invalid-payload")
    })
  )

  it.effect("a request signed with a wrong key is refused by the stand-in and no order is made", () =>
    Effect.gen(function* () {
      const logistics = yield* ECPayLogistics.make(options({ hashKey: Redacted.make("AAAAAAAAAAAAAAAA") }))
      const reference = fresh()
      const refused = yield* Effect.flip(
        logistics.createShipment({ reference, carrier: "7-eleven", store, receiver, goodsAmount: 1, goodsName: "x" })
      )
      expect(refused.reason).toBe("rejected")
      expect(refused.message).toContain("CheckMacValue Error")
      expect(standIn.orders.has(reference)).toBe(false)
    })
  )

  it.effect("an answer whose CheckMacValue does not verify is unauthorized", () =>
    Effect.gen(function* () {
      const logistics = yield* ECPayLogistics.make(options())
      standIn.tamperAnswers = true
      const refused = yield* Effect.flip(
        logistics.createShipment({
          reference: fresh(),
          carrier: "familymart",
          store: { ...store, carrier: "familymart" },
          receiver,
          goodsAmount: 1,
          goodsName: "x"
        })
      ).pipe(Effect.ensuring(Effect.sync(() => (standIn.tamperAnswers = false))))
      expect(refused.reason).toBe("unauthorized")
    })
  )

  it.effect("no personal data in a refusal's message", () =>
    Effect.gen(function* () {
      const logistics = yield* ECPayLogistics.make(options({ hashKey: Redacted.make("AAAAAAAAAAAAAAAA") }))
      const refused = yield* Effect.flip(
        logistics.createShipment({
          reference: fresh(),
          carrier: "7-eleven",
          store,
          receiver,
          goodsAmount: 1,
          goodsName: "x"
        })
      )
      expect(refused.message).not.toContain(receiver.name)
      expect(refused.message).not.toContain(receiver.cellPhone)
    })
  )

  it("parses ECPay's answer format: 1|key=value&…, 0|message, duplicates", () => {
    const o = { keys: StandIn.C2C.keys, merchantId: "2000933" }
    const req = { reference: "KREF1", carrier: "familymart" as const }
    const answer = CheckMacValue.sign(
      {
        MerchantID: "2000933",
        MerchantTradeNo: "KREF1",
        RtnCode: "300",
        RtnMsg: "訂單處理中",
        AllPayLogisticsID: "1718546",
        CVSPaymentNo: "17185460001",
        CVSValidationNo: ""
      },
      StandIn.C2C.keys,
      "md5"
    )
    const ok = CreateOrder.parseAnswer(`1|${new URLSearchParams(answer).toString()}`, o, req)
    expect(Result.getOrThrow(ok)).toMatchObject({ carrierOrderId: "1718546", trackingNo: "17185460001" })
    const rejected = CreateOrder.parseAnswer("0|ReceiverStoreID Error", o, req)
    expect(Result.isFailure(rejected) && rejected.failure.reason).toBe("rejected")
    const duplicate = CreateOrder.parseAnswer("0|訂單編號重複", o, req)
    expect(Result.isFailure(duplicate) && duplicate.failure.reason).toBe("duplicate")
    const other = CreateOrder.parseAnswer(`1|${new URLSearchParams(answer).toString()}`, o, {
      ...req,
      reference: "KREF2"
    })
    expect(Result.isFailure(other) && other.failure.reason).toBe("invalid-payload")
  })
})

describe("status notifications", () => {
  const notify = (fields: Record<string, string>, keys: CheckMacValue.Keys = StandIn.C2C.keys) =>
    StatusNotification.decode(Http.request({ body: StatusNotification.encode(fields, keys) }), StandIn.C2C)
  const base = {
    MerchantID: "2000933",
    MerchantTradeNo: "KREF1",
    RtnMsg: "",
    AllPayLogisticsID: "1718546",
    LogisticsType: "CVS",
    LogisticsSubType: "FAMIC2C",
    GoodsAmount: "1280",
    UpdateStatusDate: "2024/05/03 10:00:00",
    ReceiverName: "王小明",
    ReceiverCellPhone: "0911222333",
    CVSPaymentNo: "17185460001",
    CVSValidationNo: "",
    BookingNote: ""
  }

  it("RtnCode maps to the normalised kinds; an unknown code is other, never an error", () => {
    const expected: Record<string, Logistics.StatusKind> = {
      "300": "in-transit",
      "2030": "in-transit",
      "3024": "in-transit",
      "2073": "arrived-at-store",
      "3018": "arrived-at-store",
      "2067": "picked-up",
      "3022": "picked-up",
      "2074": "unclaimed",
      "3020": "unclaimed",
      "3003": "delivered",
      "5009": "other"
    }
    for (const [code, kind] of Object.entries(expected))
      expect(Result.getOrThrow(notify({ ...base, RtnCode: code })).kind, code).toBe(kind)
  })

  it("an arrival is to be picked up within 7 days; the receiver's fields are never decoded", () => {
    const update = Result.getOrThrow(notify({ ...base, RtnCode: "3018", RtnMsg: "到店尚未取貨" }))
    expect(update).toEqual({
      reference: "KREF1",
      carrierOrderId: "1718546",
      kind: "arrived-at-store",
      code: "3018",
      message: "到店尚未取貨",
      at: "2024-05-03T02:00:00.000Z",
      pickUpBy: "2024-05-10T02:00:00.000Z"
    })
    expect(JSON.stringify(update)).not.toContain("王小明")
  })

  it("a missing or wrong CheckMacValue, another merchant, a malformed body are refused", () => {
    const reason = (r: Result.Result<unknown, Logistics.LogisticsError>) => Result.isFailure(r) && r.failure.reason
    const unsigned = StatusNotification.decode(
      Http.request({ body: new URLSearchParams({ ...base, RtnCode: "3022" }).toString() }),
      StandIn.C2C
    )
    expect(reason(unsigned)).toBe("unauthorized")
    expect(reason(notify({ ...base, RtnCode: "3022" }, StandIn.B2C.keys))).toBe("unauthorized")
    expect(reason(notify({ ...base, MerchantID: "2000132", RtnCode: "3022" }))).toBe("unauthorized")
    const twice = StatusNotification.decode(Http.request({ body: "RtnCode=1&RtnCode=2" }), StandIn.C2C)
    expect(reason(twice)).toBe("invalid-payload")
  })

  it("answers exactly 1|OK, or 0|… when refused", () => {
    expect(StatusNotification.acknowledge(true)).toMatchObject({ status: 200, body: "1|OK" })
    expect(StatusNotification.acknowledge(false).body).toMatch(/^0\|/)
    expect(StatusNotification.refusal("a|b\nc")).toBe("0|a b c")
  })
})

describe("configuration", () => {
  it.effect("layerConfig reads the ECPAY_LOGISTICS_* variables", () =>
    Effect.gen(function* () {
      const logistics = yield* Logistics.Logistics
      const form = yield* logistics.storeMap({ reference: "KREF1", carrier: "familymart" })
      expect(form.fields).toMatchObject({ MerchantID: "2000933", ServerReplyURL: "https://shop.example/store" })
    }).pipe(
      Effect.provide(ECPayLogistics.layerConfig()),
      Effect.provide(
        ConfigProvider.layer(
          ConfigProvider.fromUnknown({
            ECPAY_LOGISTICS_MERCHANT_ID: "2000933",
            ECPAY_LOGISTICS_HASH_KEY: "XBERn1YOvpM9nfZc",
            ECPAY_LOGISTICS_HASH_IV: "h1ONHk4P4yqbl5LK",
            ECPAY_LOGISTICS_STORE_REPLY_URL: "https://shop.example/store"
          })
        )
      )
    )
  )

  it("PrintPage has no OK C2C page", () => {
    const r = PrintPage.form(
      { merchantId: "2000933", keys: StandIn.C2C.keys, mode: "C2C", baseUrl: "https://x" },
      { carrier: "ok", carrierOrderId: "1", trackingNo: "1" }
    )
    expect(Result.isFailure(r) && r.failure.reason).toBe("unsupported")
  })
})
