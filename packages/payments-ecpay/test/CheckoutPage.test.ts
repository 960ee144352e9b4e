import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Redacted } from "effect"
import { type DefaultTreeAdapterMap, parse } from "parse5"
import { CheckMacValue, CheckoutPage, ECPay, renderCheckoutPage } from "../src/index.js"

type Node = DefaultTreeAdapterMap["node"]
type Element = DefaultTreeAdapterMap["element"]

const elements = (node: Node): Array<Element> => {
  const out: Array<Element> = []
  const walk = (n: Node) => {
    if ("tagName" in n) out.push(n)
    if ("childNodes" in n) for (const child of n.childNodes) walk(child)
    if ("content" in n && n.content !== undefined) walk(n.content as Node)
  }
  walk(node)
  return out
}
const attr = (el: Element, name: string) => el.attrs.find((a) => a.name === name)?.value
const textOf = (node: Node): string =>
  "value" in node && node.nodeName === "#text"
    ? node.value
    : "childNodes" in node
      ? node.childNodes.map(textOf).join("")
      : ""

/** What a browser would post: the form's action, method and hidden fields, read from the parsed page. */
const readForm = (html: string) => {
  const document = parse(html)
  const all = elements(document)
  const forms = all.filter((el) => el.tagName === "form")
  expect(forms).toHaveLength(1)
  const form = forms[0]!
  const inputs = elements(form).filter((el) => el.tagName === "input")
  const scripts = all.filter((el) => el.tagName === "script").map(textOf)
  return {
    id: attr(form, "id"),
    action: attr(form, "action"),
    method: attr(form, "method"),
    charset: attr(form, "accept-charset"),
    fields: inputs.map((input) => [attr(input, "name"), attr(input, "value"), attr(input, "type")] as const),
    scripts
  }
}

const keys = { hashKey: Redacted.make("pwFHCqoQZGmho4w6"), hashIV: Redacted.make("EkRm7iFT261dpevs") }

describe("renderCheckoutPage", () => {
  it.effect("the ECPay checkout page posts every signed field to AioCheckOut/V5 and submits itself", () =>
    Effect.gen(function* () {
      const gateway = yield* ECPay.make({ merchantId: "3002607", ...keys })
      const start = yield* gateway.start({
        merchantOrderNo: "GB20240501A1",
        orderId: "o1",
        amount: 1280,
        description: `芒果 "愛文" <禮盒> & 'more'`,
        notifyUrl: "https://shop.example/payments/ecpay/notify?x=1&y=2"
      })
      if (start._tag !== "Form") throw new Error("expected a form")
      const html = renderCheckoutPage(start)
      expect(html.startsWith("<!doctype html>")).toBe(true)
      const form = readForm(html)
      expect(form.action).toBe("https://payment-stage.ecpay.com.tw/Cashier/AioCheckOut/V5")
      expect(form.method).toBe("post")
      expect(form.charset).toBe("UTF-8")
      expect(form.fields).toEqual(Object.entries(start.fields).map(([k, v]) => [k, v, "hidden"]))
      expect(form.scripts.some((s) => s.includes(`getElementById("${form.id}").submit()`))).toBe(true)
      // what the browser posts still verifies
      const posted = Object.fromEntries(form.fields.map(([name, value]) => [name!, value!]))
      expect(posted.ItemName).toBe(`芒果 "愛文" <禮盒> & 'more'`)
      expect(CheckMacValue.verify(posted, keys)).toBe(true)
    })
  )

  it.prop(
    "escapes every name and value: the parsed form gives back exactly the fields",
    [fc.dictionary(fc.string({ minLength: 1 }), fc.string()), fc.webUrl()],
    ([fields, action]) => {
      const form = readForm(renderCheckoutPage({ _tag: "Form", action, method: "POST", fields }))
      expect(form.action).toBe(action)
      // HTML parsing normalises CR/CRLF and NUL in attribute values; compare what a browser would keep
      const norm = (s: string) => s.replace(/\r\n?/g, "\n").replace(/\0/g, "\uFFFD")
      expect(form.fields.map(([n, v]) => [n, v])).toEqual(Object.entries(fields).map(([n, v]) => [norm(n), norm(v)]))
    }
  )

  it("a hostile value cannot break out of the attribute", () => {
    const html = renderCheckoutPage({
      _tag: "Form",
      action: 'https://x.example/"><script>alert(1)</script>',
      method: "POST",
      fields: { a: '"><script>alert(2)</script>', "b'": "<img src=x onerror=alert(3)>" }
    })
    const document = parse(html)
    const all = elements(document)
    expect(all.filter((el) => el.tagName === "script")).toHaveLength(1)
    expect(all.filter((el) => el.tagName === "img")).toHaveLength(0)
    expect(html).not.toContain("<script>alert")
  })

  it("a redirect becomes a refresh and a link; instructions are shown as text", () => {
    const redirect = parse(renderCheckoutPage({ _tag: "Redirect", url: "https://pay.example/?a=1&b=2" }))
    const links = elements(redirect).filter((el) => el.tagName === "a")
    expect(links.map((a) => attr(a, "href"))).toEqual(["https://pay.example/?a=1&b=2"])
    const meta = elements(redirect).find((el) => attr(el, "http-equiv") === "refresh")
    expect(meta && attr(meta, "content")).toBe("0;url=https://pay.example/?a=1&b=2")

    const instructions = parse(
      renderCheckoutPage({
        _tag: "Instructions",
        bankCode: "822",
        account: "000123456789",
        amount: 1300,
        text: "請匯款 <NT$1,300>"
      })
    )
    const text = textOf(instructions)
    expect(text).toContain("請匯款 <NT$1,300>")
    expect(text).toContain("822")
    expect(text).toContain("000123456789")
    expect(text).toContain("NT$1,300")
  })

  it("escapeHtml escapes the five special characters", () => {
    expect(CheckoutPage.escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
  })
})
