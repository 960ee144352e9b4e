/**
 * A local stand-in of ECPay's logistics API (node:http on 127.0.0.1, a random port), playing the
 * documented fields (protocols.md §6.3): `POST /Express/Create` checks the MD5 CheckMacValue of
 * what it receives (`0|CheckMacValue Error` otherwise), the fields a C2C or home order needs, and
 * that a `MerchantTradeNo` is used once; it answers `1|` and the order as `key=value&…` with its
 * own CheckMacValue. `statusBody` builds the notification ECPay would post for an order it holds.
 */
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { FormBody, TaipeiTime } from "@kaituan/core"
import { CheckMacValue } from "@kaituan/payments-ecpay"
import { Redacted, Result } from "effect"

/** ECPay's public stage merchants (protocols.md §6.1). */
export const C2C = {
  merchantId: "2000933",
  keys: { hashKey: Redacted.make("XBERn1YOvpM9nfZc"), hashIV: Redacted.make("h1ONHk4P4yqbl5LK") }
} as const
export const B2C = {
  merchantId: "2000132",
  keys: { hashKey: Redacted.make("5294y06JbISpM5x9"), hashIV: Redacted.make("v77hoKGq4kWxNNIS") }
} as const

export interface HeldOrder {
  readonly fields: Readonly<Record<string, string>>
  readonly answer: Readonly<Record<string, string>>
}

export interface StandIn {
  readonly url: string
  /** Orders held, by MerchantTradeNo. */
  readonly orders: ReadonlyMap<string, HeldOrder>
  /** Every Create request received (valid or not), as fields. */
  readonly requests: ReadonlyArray<Readonly<Record<string, string>>>
  /** Corrupts the CheckMacValue of the next answers (to test the client's check). */
  tamperAnswers: boolean
  /** The status notification body ECPay would post for an order it holds, signed (or with `keys`). */
  readonly statusBody: (
    merchantTradeNo: string,
    rtnCode: string,
    rtnMsg: string,
    updated: string,
    options?: { readonly keys?: CheckMacValue.Keys | undefined; readonly carrierOrderId?: string | undefined }
  ) => string
  readonly close: () => Promise<void>
}

const SUBTYPES = new Set(["FAMIC2C", "UNIMARTC2C", "HILIFEC2C", "OKMARTC2C", "FAMI", "UNIMART", "HILIFE", "TCAT"])

const required = (f: Record<string, string>, names: ReadonlyArray<string>): string | undefined =>
  names.find((n) => (f[n] ?? "") === "")

export const start = async (merchant: typeof C2C | typeof B2C = C2C): Promise<StandIn> => {
  const orders = new Map<string, HeldOrder>()
  const requests: Array<Record<string, string>> = []
  let next = 1718546
  const state = { tamperAnswers: false }
  const answerFor = (f: Record<string, string>): string => {
    if (f.MerchantID !== merchant.merchantId) return "0|MerchantID Error"
    if (!CheckMacValue.verify(f, merchant.keys, "md5")) return "0|CheckMacValue Error"
    const base = [
      "MerchantTradeNo",
      "MerchantTradeDate",
      "LogisticsType",
      "LogisticsSubType",
      "GoodsAmount",
      "SenderName",
      "ReceiverName",
      "ReceiverCellPhone",
      "ServerReplyURL"
    ]
    const lacking = required(f, base)
    if (lacking !== undefined) return `0|${lacking} is required`
    if (!/^[A-Za-z0-9]{1,20}$/.test(f.MerchantTradeNo!)) return "0|MerchantTradeNo Error"
    if (!SUBTYPES.has(f.LogisticsSubType!)) return "0|LogisticsSubType Error"
    const amount = Number(f.GoodsAmount)
    if (!Number.isInteger(amount) || amount < 1 || amount > 20000) return "0|GoodsAmount Error"
    if (TaipeiTime.taipeiToIso(f.MerchantTradeDate!) === undefined) return "0|MerchantTradeDate Error"
    if (f.LogisticsType === "CVS") {
      if ((f.ReceiverStoreID ?? "") === "") return "0|ReceiverStoreID is required"
      if (f.LogisticsSubType === "UNIMARTC2C" && (f.LogisticsC2CReplyURL ?? "") === "")
        return "0|LogisticsC2CReplyURL is required"
    } else {
      const home = required(f, ["SenderZipCode", "SenderAddress", "ReceiverZipCode", "ReceiverAddress"])
      if (home !== undefined) return `0|${home} is required`
    }
    if (orders.has(f.MerchantTradeNo!)) return "0|訂單編號重複 MerchantTradeNo duplicate"
    const id = String(next++)
    const sub = f.LogisticsSubType!
    const answer: Record<string, string> = {
      MerchantID: merchant.merchantId,
      MerchantTradeNo: f.MerchantTradeNo!,
      RtnCode: "300",
      RtnMsg: "訂單處理中(已收到訂單資料)",
      AllPayLogisticsID: id,
      LogisticsType: f.LogisticsType === "CVS" ? "CVS" : "HOME",
      LogisticsSubType: sub,
      GoodsAmount: f.GoodsAmount!,
      UpdateStatusDate: f.MerchantTradeDate!,
      ReceiverName: f.ReceiverName!,
      ReceiverPhone: "",
      ReceiverCellPhone: f.ReceiverCellPhone!,
      ReceiverEmail: f.ReceiverEmail ?? "",
      ReceiverAddress: f.ReceiverAddress ?? "",
      CVSPaymentNo: f.LogisticsType === "CVS" ? (sub.startsWith("UNIMART") ? `F${id}` : `${id}0001`) : "",
      CVSValidationNo: sub === "UNIMARTC2C" ? "7788" : "",
      BookingNote: f.LogisticsType === "CVS" ? "" : `9${id}`
    }
    const signed = CheckMacValue.sign(answer, merchant.keys, "md5")
    orders.set(f.MerchantTradeNo!, { fields: f, answer: signed })
    const sent = state.tamperAnswers ? { ...signed, AllPayLogisticsID: `${id}9` } : signed
    return `1|${FormBody.encodeForm(sent)}`
  }
  const server: Server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/Express/Create") {
        res.writeHead(404).end()
        return
      }
      const parsed = FormBody.parseForm(new Uint8Array(Buffer.concat(chunks)))
      const f = Result.isSuccess(parsed) ? { ...parsed.success } : {}
      requests.push(f)
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end(answerFor(f))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    orders,
    requests,
    get tamperAnswers() {
      return state.tamperAnswers
    },
    set tamperAnswers(v: boolean) {
      state.tamperAnswers = v
    },
    statusBody: (merchantTradeNo, rtnCode, rtnMsg, updated, options = {}) => {
      const held = orders.get(merchantTradeNo)
      const a = held?.answer ?? {}
      const fields: Record<string, string> = {
        MerchantID: merchant.merchantId,
        MerchantTradeNo: merchantTradeNo,
        RtnCode: rtnCode,
        RtnMsg: rtnMsg,
        AllPayLogisticsID: options.carrierOrderId ?? a.AllPayLogisticsID ?? "1718546",
        LogisticsType: a.LogisticsType ?? "CVS",
        LogisticsSubType: a.LogisticsSubType ?? "FAMIC2C",
        GoodsAmount: a.GoodsAmount ?? "1280",
        UpdateStatusDate: updated,
        ReceiverName: a.ReceiverName ?? "王小明",
        ReceiverPhone: "",
        ReceiverCellPhone: a.ReceiverCellPhone ?? "0911222333",
        ReceiverEmail: "",
        ReceiverAddress: "",
        CVSPaymentNo: a.CVSPaymentNo ?? "",
        CVSValidationNo: a.CVSValidationNo ?? "",
        BookingNote: a.BookingNote ?? ""
      }
      return FormBody.encodeForm(CheckMacValue.sign(fields, options.keys ?? merchant.keys, "md5"))
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
