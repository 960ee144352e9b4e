/**
 * A local stand-in for ECPay's B2C e-invoice API (node:http on 127.0.0.1, a random port), written
 * from ECPay's documentation (../shared/docs/research/invoicing.md) independently of the code
 * under test: it decrypts each request's `Data` with the stage merchant's key (base64 → AES-128-CBC
 * → urldecode, node:crypto here), checks the envelope (MerchantID inside and outside, a Timestamp
 * within 10 minutes), keeps the invoices it issued, and answers in the documented shape:
 * `{MerchantID, RpHeader, TransCode, TransMsg, Data}` with `Data` encrypted the same way
 * (PHP urlencode: a space as `+`, `%XX` upper case), `RtnCode` 1 on success.
 *
 * The RtnCodes of refusals other than 1 are this stand-in's (ECPay documents their meaning,
 * not a list the note could confirm); the adapter treats every one as a refusal.
 */
import { createCipheriv, createDecipheriv } from "node:crypto"
import { createServer, type IncomingMessage, type Server } from "node:http"
import type { AddressInfo } from "node:net"

export const STAGE = { merchantId: "2000132", hashKey: "ejCk326UnaZWKisg", hashIV: "q9jcZX8Ib9LM8wYk" }

interface Issued {
  readonly relateNumber: string
  readonly invoiceNo: string
  readonly invoiceDate: string
  readonly randomNumber: string
  readonly amount: number
  voided: boolean
  remaining: number
  allowances: number
}

export interface Received {
  readonly path: string
  readonly envelope: Record<string, unknown>
  readonly data: Record<string, unknown> | undefined
  /** The decrypted, url-decoded JSON text. */
  readonly plain: string | undefined
}

export interface StandIn {
  readonly baseUrl: string
  readonly received: Array<Received>
  readonly invoices: Map<string, Issued>
  readonly issuedCount: (relateNumber: string) => number
  /** Answers the next call (the next `times` calls) with this HTTP status (and does nothing). */
  readonly failNext: (status: number, times?: number) => void
  /** Issues the next invoice, then answers HTTP 502 as if the answer were lost on the way. */
  readonly loseNextIssueAnswer: () => void
  readonly close: () => Promise<void>
}

const phpUrlencode = (s: string) =>
  [...Buffer.from(s, "utf8")]
    .map((b) => {
      const c = String.fromCharCode(b)
      if (/[A-Za-z0-9_.-]/.test(c)) return c
      if (c === " ") return "+"
      return `%${b.toString(16).toUpperCase().padStart(2, "0")}`
    })
    .join("")

const encryptData = (json: string) => {
  const cipher = createCipheriv("aes-128-cbc", Buffer.from(STAGE.hashKey), Buffer.from(STAGE.hashIV))
  return Buffer.concat([cipher.update(phpUrlencode(json), "utf8"), cipher.final()]).toString("base64")
}

const decryptData = (data: string): string => {
  const decipher = createDecipheriv("aes-128-cbc", Buffer.from(STAGE.hashKey), Buffer.from(STAGE.hashIV))
  const text = Buffer.concat([decipher.update(Buffer.from(data, "base64")), decipher.final()]).toString("utf8")
  return decodeURIComponent(text.replace(/\+/g, " "))
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
  })

const taipei = (ms: number) => {
  const d = new Date(ms + 8 * 3_600_000).toISOString()
  return `${d.slice(0, 10)} ${d.slice(11, 19)}`
}

export const KNOWN_BARCODES = new Set(["/ABC+123", "/1234567"])
export const KNOWN_LOVE_CODES = new Set(["168001", "919"])

type Data = Record<string, unknown>
type Items = Array<{ ItemCount: number; ItemPrice: number; ItemAmount: number; ItemName: string }>

export const start = async (): Promise<StandIn> => {
  const received: Array<Received> = []
  const invoices = new Map<string, Issued>()
  const issued = new Map<string, number>()
  let seq = 0
  let allowanceSeq = 0
  let failures: Array<number> = []
  let loseIssue = false

  const byDay = (no: unknown, date: unknown) =>
    [...invoices.values()].find((i) => i.invoiceNo === no && i.invoiceDate.slice(0, 10) === date)
  const refuse = (code: number, msg: string) => ({ RtnCode: code, RtnMsg: msg })

  const itemsOk = (items: unknown, total: unknown) =>
    Array.isArray(items) &&
    items.length > 0 &&
    (items as Items).every((i) => i.ItemName !== "" && Math.round(i.ItemCount * i.ItemPrice) === i.ItemAmount) &&
    Math.round((items as Items).reduce((s, i) => s + i.ItemAmount, 0)) === total

  const handle = (path: string, d: Data): Data => {
    switch (path) {
      case "/B2CInvoice/Issue": {
        const relate = String(d.RelateNumber ?? "")
        if (!/^[A-Za-z0-9]{1,30}$/.test(relate)) return refuse(1100001, "RelateNumber 格式錯誤")
        if (invoices.has(relate.toUpperCase())) return refuse(1100002, "RelateNumber 重複")
        if (d.CustomerEmail === undefined && d.CustomerPhone === undefined)
          return refuse(1100003, "CustomerEmail 或 CustomerPhone 必填")
        if (d.Donation === "1" && (!/^[0-9]{3,7}$/.test(String(d.LoveCode)) || d.Print !== "0" || d.CustomerIdentifier))
          return refuse(1100004, "捐贈發票參數錯誤")
        if (d.Print === "1" && (!d.CustomerName || !d.CustomerAddr)) return refuse(1100005, "列印發票需填寫名稱地址")
        if (d.CarrierType === "3" && !/^\/[0-9A-Z.+-]{7}$/.test(String(d.CarrierNum)))
          return refuse(1100006, "手機條碼格式錯誤")
        if (d.TaxType !== "1" || d.InvType !== "07" || d.vat !== "1") return refuse(1100007, "稅別參數錯誤")
        if (!itemsOk(d.Items, d.SalesAmount)) return refuse(1100008, "金額計算錯誤")
        seq += 1
        const invoice: Issued = {
          relateNumber: relate,
          invoiceNo: `UV${String(11100000 + seq).padStart(8, "0")}`,
          invoiceDate: taipei(Date.now()),
          randomNumber: String(1000 + ((seq * 7919) % 9000)),
          amount: Number(d.SalesAmount),
          voided: false,
          remaining: Number(d.SalesAmount),
          allowances: 0
        }
        invoices.set(relate.toUpperCase(), invoice)
        issued.set(relate.toUpperCase(), (issued.get(relate.toUpperCase()) ?? 0) + 1)
        return {
          RtnCode: 1,
          RtnMsg: "開立發票成功",
          InvoiceNo: invoice.invoiceNo,
          InvoiceDate: invoice.invoiceDate,
          RandomNumber: invoice.randomNumber
        }
      }
      case "/B2CInvoice/Invalid": {
        const invoice = byDay(d.InvoiceNo, d.InvoiceDate)
        if (invoice === undefined) return refuse(1200001, "查無發票資料")
        if (String(d.Reason ?? "").length === 0 || [...String(d.Reason)].length > 20)
          return refuse(2009005, "作廢原因長度錯誤")
        if (invoice.voided) return refuse(1200002, "發票已作廢")
        if (invoice.allowances > 0) return refuse(1200003, "發票已有折讓，請先作廢折讓")
        invoice.voided = true
        return { RtnCode: 1, RtnMsg: "作廢發票成功", InvoiceNo: invoice.invoiceNo }
      }
      case "/B2CInvoice/Allowance": {
        const invoice = byDay(d.InvoiceNo, d.InvoiceDate)
        if (invoice === undefined || invoice.voided) return refuse(1300001, "查無可折讓發票")
        if (!["S", "E", "A", "N"].includes(String(d.AllowanceNotify))) return refuse(1300002, "通知類別錯誤")
        if ((d.AllowanceNotify === "E" || d.AllowanceNotify === "A") && !d.NotifyMail)
          return refuse(1300003, "NotifyMail 必填")
        const amount = Number(d.AllowanceAmount)
        if (!itemsOk(d.Items, amount)) return refuse(1300004, "折讓金額計算錯誤")
        if (amount > invoice.remaining) return refuse(1300005, "折讓金額超過剩餘可折讓金額")
        invoice.remaining -= amount
        invoice.allowances += 1
        allowanceSeq += 1
        return {
          RtnCode: 1,
          RtnMsg: "開立折讓成功",
          IA_Allow_No: `2024050100${String(100000 + allowanceSeq)}`,
          IA_Invoice_No: invoice.invoiceNo,
          IA_Date: taipei(Date.now()),
          IA_Remain_Allowance_Amt: invoice.remaining
        }
      }
      case "/B2CInvoice/GetIssue": {
        const byRelate = "RelateNumber" in d
        const byNumber = "InvoiceNo" in d || "InvoiceDate" in d
        // ecpay-rs saw the stage refuse a query carrying both kinds of keys
        if (byRelate === byNumber) return refuse(1400001, "查詢參數錯誤")
        const invoice = byRelate
          ? invoices.get(String(d.RelateNumber).toUpperCase())
          : byDay(d.InvoiceNo, d.InvoiceDate)
        if (invoice === undefined) return refuse(1400002, "查無發票資料")
        return {
          RtnCode: 1,
          RtnMsg: "查詢發票成功",
          IIS_Mer_ID: STAGE.merchantId,
          IIS_Number: invoice.invoiceNo,
          IIS_Relate_Number: invoice.relateNumber,
          IIS_Create_Date: invoice.invoiceDate,
          IIS_Random_Number: invoice.randomNumber,
          IIS_Sales_Amount: invoice.amount,
          IIS_Issue_Status: "1",
          IIS_Invalid_Status: invoice.voided ? "1" : "0",
          IIS_Remain_Allowance_Amt: invoice.remaining
        }
      }
      case "/B2CInvoice/CheckBarcode":
        return { RtnCode: 1, RtnMsg: "執行成功", IsExist: KNOWN_BARCODES.has(String(d.BarCode)) ? "Y" : "N" }
      case "/B2CInvoice/CheckLoveCode":
        return { RtnCode: 1, RtnMsg: "執行成功", IsExist: KNOWN_LOVE_CODES.has(String(d.LoveCode)) ? "Y" : "N" }
      default:
        return refuse(9999999, "unknown API")
    }
  }

  const server: Server = createServer(async (req, res) => {
    const text = await readBody(req)
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname
    const reply = (status: number, body: Data) => {
      res.writeHead(status, { "content-type": "application/json" })
      res.end(JSON.stringify(body))
    }
    const envelope = (transCode: number, transMsg: string, data?: Data): Data => ({
      MerchantID: STAGE.merchantId,
      RpHeader: { Timestamp: Math.floor(Date.now() / 1000) },
      TransCode: transCode,
      TransMsg: transMsg,
      Data: data === undefined ? "" : encryptData(JSON.stringify(data))
    })
    let env: Data
    try {
      env = JSON.parse(text) as Data
    } catch {
      reply(200, envelope(9000002, "JSON 格式錯誤"))
      return
    }
    let plain: string | undefined
    let data: Data | undefined
    try {
      plain = decryptData(String(env.Data ?? ""))
      data = JSON.parse(plain) as Data
    } catch {
      plain = undefined
    }
    received.push({ path, envelope: env, data, plain })
    const failure = failures.shift()
    if (failure !== undefined) {
      res.writeHead(failure).end()
      return
    }
    if (!String(req.headers["content-type"]).startsWith("application/json"))
      return reply(200, envelope(9000001, "Content-Type 錯誤"))
    if (data === undefined) return reply(200, envelope(9000003, "Data 解密失敗"))
    const header = env.RqHeader as { Timestamp?: unknown } | undefined
    const ts = Number(header?.Timestamp)
    if (!Number.isInteger(ts) || Math.abs(Date.now() / 1000 - ts) > 600)
      return reply(200, envelope(9000004, "Timestamp 逾時"))
    if (env.MerchantID !== STAGE.merchantId || data.MerchantID !== STAGE.merchantId)
      return reply(200, envelope(9000005, "MerchantID 錯誤"))
    const answer = handle(path, data)
    if (path === "/B2CInvoice/Issue" && loseIssue && answer.RtnCode === 1) {
      loseIssue = false
      res.writeHead(502).end()
      return
    }
    reply(200, envelope(1, "", answer))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    invoices,
    issuedCount: (relateNumber) => issued.get(relateNumber.toUpperCase()) ?? 0,
    failNext: (status, times = 1) => {
      failures = Array.from({ length: times }, () => status)
    },
    loseNextIssueAnswer: () => {
      loseIssue = true
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
