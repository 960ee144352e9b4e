import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { MessageTemplates as Templates, Notification } from "../src/index.js"

const kinds = Notification.MessageKind.literals

const data = {
  buyerName: "小明",
  round: "芒果團",
  lines: [
    { name: "愛文", variant: "大", qty: 2, unitPrice: 650 },
    { sku: "EGG", qty: 1, subtotal: 300 }
  ],
  total: 1600,
  amount: 1600,
  remaining: 100,
  reason: "after-cutoff",
  comment: "+1 芒果",
  bank: { name: "國泰世華", code: "013", account: "1234-5678" },
  dueAt: "5/10",
  carrier: "7-11",
  trackingNumber: "F123",
  place: "永和店",
  pickupCode: "8899",
  until: "5/20",
  text: "自訂"
}

describe("MessageTemplates", () => {
  it("has a Traditional Chinese default for every message kind", () => {
    const out = Object.fromEntries(kinds.map((k) => [k, Templates.render(k, data)]))
    expect(out).toEqual({
      "order-confirmed": "小明 您好，已成單 ✅（芒果團）\n・愛文（大） ×2　NT$1,300\n・EGG ×1　NT$300\n合計 NT$1,600",
      "order-updated": "小明 您好，訂單已更新 ✏️（芒果團）\n・愛文（大） ×2　NT$1,300\n・EGG ×1　NT$300\n合計 NT$1,600",
      "order-cancelled": "小明 您好，訂單已取消（芒果團）\n原因：已過截單時間",
      "order-refunded": "小明 您好，已退款 NT$1,600（芒果團）\n原因：已過截單時間",
      "not-ordered": "小明 您好，很抱歉，這則留言未成單：已過截單時間\n留言：「+1 芒果」",
      "review-pending": "小明 您好，已收到您的留言，團主確認後會再通知您 🙏\n留言：「+1 芒果」",
      "payment-due":
        "小明 您好，請付款 NT$1,600 💰\n匯款至 國泰世華(013) 帳號 1234-5678，付款後請回覆帳號後五碼\n請於 5/10 前完成付款",
      "payment-reported": "小明 您好，收到您的付款通知 NT$1,600，核對後通知您 🙏",
      "payment-received": "小明 您好，已收到您的付款 NT$1,600，謝謝！\n尚需補款 NT$100",
      shipped:
        "小明 您好，您的商品已出貨 📦（芒果團）\n・愛文（大） ×2　NT$1,300\n・EGG ×1　NT$300\n物流：7-11\n追蹤碼：F123",
      "pickup-ready":
        "小明 您好，您的商品已可取貨 🛍️\n・愛文（大） ×2　NT$1,300\n・EGG ×1　NT$300\n取貨地點：永和店\n取貨碼：8899\n請於 5/20 前取貨",
      "round-announcement": "📣 開團：芒果團",
      "cutoff-reminder": "⏰ 截單提醒：芒果團\n即將截單，要買的朋友請把握時間！",
      "sold-out": "❌ 商品 已售完（芒果團），謝謝大家支持！",
      text: "自訂",
      "waitlist-joined":
        "小明 您好，商品 目前已售完，已為您登記候補 🙋\n有人取消或補貨時，會依登記順序為您遞補並通知您",
      "waitlist-promoted":
        "小明 您好，候補成功 🎉 商品 已加入您的訂單（芒果團）\n・愛文（大） ×2　NT$1,300\n・EGG ×1　NT$300\n合計 NT$1,600",
      "preorder-arrived":
        "小明 您好，您預購的商品已到貨 📦（芒果團）\n・愛文（大） ×2　NT$1,300\n・EGG ×1　NT$300\n將盡快為您出貨，謝謝耐心等候！",
      "choose-store": "小明 您好，請選擇取貨門市 🏪（7-11）\n・愛文（大） ×2　NT$1,300\n・EGG ×1　NT$300",
      "arrived-at-store":
        "小明 您好，您的包裹已送達門市 🏪\n・愛文（大） ×2　NT$1,300\n・EGG ×1　NT$300\n取貨門市：永和店\n寄件編號：F123\n請於 5/20 前取貨，逾期將退回",
      "picked-up": "小明 您好，已完成取貨，謝謝您的支持！🙏\n・愛文（大） ×2　NT$1,300\n・EGG ×1　NT$300",
      "order-partly-refunded":
        "小明 您好，已部分退款 NT$1,600（芒果團）\n・愛文（大） ×2　NT$1,300\n・EGG ×1　NT$300\n原因：已過截單時間",
      "order-returned":
        "小明 您好，已收到退回的商品 📦（芒果團）\n・愛文（大） ×2　NT$1,300\n・EGG ×1　NT$300\n原因：已過截單時間\n將退款 NT$1,600，完成後會再通知您",
      "invoice-carrier": "小明 您好，已記錄您的發票資訊 🧾\n之後的電子發票將依此開立"
    })
    expect(Templates.render("invoice-carrier", { mobileBarcode: "/ABC+123", taxId: "12345678" })).toBe(
      "已記錄您的發票資訊 🧾\n手機條碼：/ABC+123\n統一編號：12345678\n之後的電子發票將依此開立"
    )
    expect(Templates.render("invoice-carrier", { valid: false })).toBe(
      "您的發票載具格式不正確 🙏\n手機條碼為「/」加 7 碼英數字（例：載具 /ABC+123），捐贈碼為 3–7 位數字，統編為 8 位數字，請再傳一次"
    )
    expect(Templates.render("waitlist-joined", { qty: 2, position: 3, label: "毛襪 紅" })).toBe(
      "毛襪 紅 ×2 目前已售完，已為您登記候補 🙋（第 3 位）\n有人取消或補貨時，會依登記順序為您遞補並通知您"
    )
  })

  it("has English defaults too, and every default reads without optional data", () => {
    expect(Templates.render("order-confirmed", { total: 300 }, { locale: "en" })).toBe(
      "your order is confirmed ✅\nTotal NT$300"
    )
    for (const k of kinds.filter((k) => k !== "text")) {
      for (const locale of ["zh-TW", "en"] as const) {
        const text = Templates.render(k, {}, { locale })
        expect(text.trim().length).toBeGreaterThan(0)
        expect(text).not.toMatch(/undefined|NaN|\{/)
      }
    }
  })

  it("string templates fill formatted vars, then raw data; unknown placeholders stay visible", () => {
    const t = "{buyerName}：{lines} 共{total} {reasonText} {orderId} {note}{missing}"
    expect(
      Templates.fill(t, { ...data, orderId: "o-1", note: "!" }, Templates.vars({ ...data, orderId: "o-1", note: "!" }))
    ).toBe("小明：・愛文（大） ×2　NT$1,300\n・EGG ×1　NT$300 共NT$1,600 已過截單時間 o-1 !{missing}")
    expect(Templates.money(-1234567)).toBe("-NT$1,234,567")
  })

  it("organiser templates override only their kind; functions get the data and the formatted vars", () => {
    const templates: Templates.Templates = {
      "order-cancelled": "{buyerName} 取消了",
      text: (d, v) => `» ${String(d["text"])} ${v.greeting}`
    }
    expect(Templates.render("order-cancelled", { buyerName: "A" }, { templates })).toBe("A 取消了")
    expect(Templates.render("text", { text: "hi", buyerName: "B" }, { templates })).toBe("» hi B 您好，")
    expect(Templates.render("review-pending", {}, { templates })).toBe("已收到您的留言，團主確認後會再通知您 🙏")
  })
  it("cuts a text to the platform's limit only when given one, never splitting a surrogate pair", () => {
    const long = "芒".repeat(30)
    expect(Templates.render("text", { text: long })).toBe(long)
    const cut = Templates.render("text", { text: long }, { maxLength: 10 })
    expect(cut).toHaveLength(10)
    expect(cut).toBe(`${"芒".repeat(9)}…`)
    expect(Templates.clamp("abc", 3)).toBe("abc")
    // 9 units would end on the high half of the fifth 😀: the cut drops the whole pair
    expect(Templates.clamp("😀".repeat(10), 10)).toBe(`${"😀".repeat(4)}…`)
  })

  it("a clamped text fits the limit, keeps its start and ends on a whole character", () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.string({ unit: "binary", maxLength: 80 }), fc.integer({ min: 1, max: 60 })),
        ([text, max]) => {
          const out = Templates.clamp(text, max)
          expect(out.length).toBeLessThanOrEqual(Math.max(max, 1))
          if (text.length <= max) expect(out).toBe(text)
          else {
            expect(out.endsWith("…")).toBe(true)
            const kept = out.slice(0, -1)
            expect(text.startsWith(kept)).toBe(true)
            expect(kept).not.toMatch(/[\uD800-\uDBFF]$/)
          }
        }
      )
    )
  })
})
