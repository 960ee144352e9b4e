import { describe, expect, it } from "@effect/vitest"
import { Notification } from "@kaituan/core"
import { LineTemplates } from "../src/index.js"

const render = LineTemplates.render
const order = {
  buyerName: "王小明",
  round: "芒果團",
  lines: [
    { name: "愛文芒果", variant: "大", qty: 2, unitPrice: 650 },
    { sku: "LYCHEE", qty: 1, subtotal: 300 }
  ],
  total: 1600
}

describe("LineTemplates (zh-TW defaults)", () => {
  it("order confirmed lists the lines and the total", () => {
    expect(render("order-confirmed", order)).toBe(
      "王小明 您好，已成單 ✅（芒果團）\n・愛文芒果（大） ×2　NT$1,300\n・LYCHEE ×1　NT$300\n合計 NT$1,600"
    )
    expect(render("order-updated", order)).toContain("訂單已更新")
    expect(render("order-updated", order)).toContain("合計 NT$1,600")
  })

  it("not ordered says why: after the cutoff, sold out, over the cap, or a free reason", () => {
    expect(render("not-ordered", { reason: "after-cutoff", comment: "紅+1" })).toBe(
      "很抱歉，這則留言未成單：已過截單時間\n留言：「紅+1」"
    )
    expect(render("not-ordered", { reason: "sold-out", product: "愛文芒果" })).toBe(
      "很抱歉，這則留言未成單：商品已售完（愛文芒果）"
    )
    expect(render("not-ordered", { reason: "over-cap" })).toBe("很抱歉，這則留言未成單：已超過可訂購上限")
    expect(render("not-ordered", { reason: "團主取消" })).toBe("很抱歉，這則留言未成單：團主取消")
  })

  it("payment due gives the amount and how to pay (free text, bank account or link)", () => {
    expect(
      render("payment-due", {
        amount: 1300,
        bank: { name: "國泰世華", code: "013", account: "123-456-789012" },
        dueAt: "5/12"
      })
    ).toBe("請付款 NT$1,300 💰\n匯款至 國泰世華(013) 帳號 123-456-789012，付款後請回覆帳號後五碼\n請於 5/12 前完成付款")
    expect(render("payment-due", { amount: 500, howToPay: "面交付現" })).toBe("請付款 NT$500 💰\n面交付現")
    expect(render("payment-due", { amount: 500, paymentUrl: "https://pay.example/1" })).toContain(
      "線上付款：https://pay.example/1"
    )
  })

  it("payment received, shipped, pickup ready (with the pickup code), cancelled, review pending", () => {
    expect(render("payment-received", { amount: 1300 })).toBe("已收到您的付款 NT$1,300，謝謝！")
    expect(render("payment-received", { amount: 1000, remaining: 300 })).toBe(
      "已收到您的付款 NT$1,000，謝謝！\n尚需補款 NT$300"
    )
    expect(render("shipped", { carrier: "7-11", trackingNumber: "F123" })).toBe(
      "您的商品已出貨 📦\n物流：7-11\n追蹤碼：F123"
    )
    expect(render("pickup-ready", { pickupCode: "A-1234", place: "信義區面交點", until: "5/20" })).toBe(
      "您的商品已可取貨 🛍️\n取貨地點：信義區面交點\n取貨碼：A-1234\n請於 5/20 前取貨"
    )
    expect(render("order-cancelled", { reason: "sold-out" })).toBe("訂單已取消\n原因：商品已售完")
    expect(render("review-pending", { comment: "+1 還有嗎?" })).toContain("團主確認後會再通知您")
    expect(render("text", { text: "自由訊息" })).toBe("自由訊息")
  })

  it("every kind renders a non-empty text from typical data, in both languages", () => {
    const data = { ...order, reason: "sold-out", amount: 1600, pickupCode: "P1", trackingNumber: "T1", text: "hi" }
    for (const locale of ["zh-TW", "en"] as const) {
      for (const kind of Notification.MessageKind.literals) {
        expect(render(kind, data, { locale }).trim().length, `${locale} ${kind}`).toBeGreaterThan(0)
      }
    }
    expect(render("pickup-ready", { pickupCode: "P1" }, { locale: "en" })).toBe(
      "your order is ready for pickup 🛍️\nPickup code: P1"
    )
  })
})

describe("LineTemplates with the data core's use cases emit", () => {
  it("order confirmed: lines carry a label; not ordered: the comment is in text, the product in label", () => {
    expect(
      render("order-confirmed", {
        orderId: "o1",
        lines: [{ sku: "MANGO", label: "愛文芒果", qty: 2, unitPrice: 650 }],
        total: 1300
      })
    ).toBe("已成單 ✅\n・愛文芒果 ×2　NT$1,300\n合計 NT$1,300")
    expect(render("not-ordered", { reason: "sold-out", text: "紅+1", sku: "SOCK-R", label: "紅襪", qty: 1 })).toBe(
      "很抱歉，這則留言未成單：商品已售完（紅襪）\n留言：「紅+1」"
    )
  })

  it("payment due without amount uses the total; payment received works out what is left", () => {
    expect(render("payment-due", { orderId: "o1", lines: [], total: 1300 })).toBe("請付款 NT$1,300 💰")
    expect(render("payment-received", { orderId: "o1", amount: 1000, paid: 1000, total: 1300 })).toBe(
      "已收到您的付款 NT$1,000，謝謝！\n尚需補款 NT$300"
    )
    expect(render("payment-received", { orderId: "o1", amount: 1300, paid: 1300, total: 1300 })).toBe(
      "已收到您的付款 NT$1,300，謝謝！"
    )
  })

  it("shipped (trackingNo) and pickup ready list what was shipped", () => {
    expect(
      render("shipped", { orderId: "o1", shipmentId: "s1", lines: [{ sku: "MANGO", qty: 1 }], trackingNo: "TW1" })
    ).toBe("您的商品已出貨 📦\n・MANGO ×1\n追蹤碼：TW1")
    expect(
      render("pickup-ready", { orderId: "o1", shipmentId: "s1", lines: [{ sku: "MANGO", qty: 2 }], pickupCode: "K7P2" })
    ).toBe("您的商品已可取貨 🛍️\n・MANGO ×2\n取貨碼：K7P2")
  })
})

describe("LineTemplates overrides", () => {
  it("placeholder strings see formatted vars, then raw data; unknown names stay", () => {
    const templates = { "order-confirmed": "{buyerName}：{lines}\n總計{total}（訂單 {orderId}）{note}{missing}" }
    expect(render("order-confirmed", { ...order, orderId: "o-1", note: "!" }, { templates })).toBe(
      "王小明：・愛文芒果（大） ×2　NT$1,300\n・LYCHEE ×1　NT$300\n總計NT$1,600（訂單 o-1）!{missing}"
    )
    expect(render("pickup-ready", { pickupCode: 1234 }, { templates: { "pickup-ready": "取貨碼 {pickupCode}" } })).toBe(
      "取貨碼 1234"
    )
  })

  it("function templates get the data and the formatted vars; other kinds keep the defaults", () => {
    const templates: LineTemplates.Templates = {
      "payment-due": (data, v) => `${String(data["buyerName"])} 請付 ${v.amount}`
    }
    expect(render("payment-due", { buyerName: "阿美", amount: 99 }, { templates })).toBe("阿美 請付 NT$99")
    expect(render("payment-received", { amount: 99 }, { templates })).toBe("已收到您的付款 NT$99，謝謝！")
  })

  it("money formatting and LINE's 5,000-character limit", () => {
    expect(LineTemplates.money(0)).toBe("NT$0")
    expect(LineTemplates.money(1234567)).toBe("NT$1,234,567")
    expect(LineTemplates.money(-300)).toBe("-NT$300")
    const long = render("text", { text: "芒".repeat(6000) })
    expect(long).toHaveLength(LineTemplates.MAX_TEXT_LENGTH)
    expect(long.endsWith("…")).toBe(true)
  })
})
