import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { type DefaultTreeAdapterMap, parse } from "parse5"
import { CheckoutPage } from "../src/index.js"

const { renderCheckoutPage } = CheckoutPage

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

describe("renderCheckoutPage", () => {
  it("a form start posts every field to the action, once, and submits itself", () => {
    const fields = { MerchantID: "3002607", ItemName: `芒果 "愛文" <禮盒> & 'more'`, CheckMacValue: "ABC" }
    const html = renderCheckoutPage({
      _tag: "Form",
      action: "https://pay.example/checkout?x=1&y=2",
      method: "POST",
      fields
    })
    expect(html.startsWith("<!doctype html>")).toBe(true)
    const form = readForm(html)
    expect(form.id).toBe(CheckoutPage.FORM_ID)
    expect(form.action).toBe("https://pay.example/checkout?x=1&y=2")
    expect(form.method).toBe("post")
    expect(form.charset).toBe("UTF-8")
    expect(form.fields).toEqual(Object.entries(fields).map(([k, v]) => [k, v, "hidden"]))
    expect(form.scripts.some((s) => s.includes(`getElementById("${form.id}").submit()`))).toBe(true)
  })

  it("page options set the language, title and button label", () => {
    const document = parse(
      renderCheckoutPage(
        { _tag: "Redirect", url: "https://pay.example/" },
        { lang: "en", title: "Pay <now>", buttonLabel: "Go & pay" }
      )
    )
    const all = elements(document)
    expect(attr(all.find((el) => el.tagName === "html")!, "lang")).toBe("en")
    expect(textOf(all.find((el) => el.tagName === "title")!)).toBe("Pay <now>")
    expect(textOf(all.find((el) => el.tagName === "a")!)).toBe("Go & pay")
  })

  it("escapes every name and value: the parsed form gives back exactly the fields", () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.dictionary(fc.string({ minLength: 1 }), fc.string()), fc.webUrl()),
        ([fields, action]) => {
          const form = readForm(renderCheckoutPage({ _tag: "Form", action, method: "POST", fields }))
          expect(form.action).toBe(action)
          // HTML parsing normalises CR/CRLF and NUL in attribute values; compare what a browser would keep
          const norm = (s: string) => s.replace(/\r\n?/g, "\n").replace(/\0/g, "\uFFFD")
          expect(form.fields.map(([n, v]) => [n, v])).toEqual(
            Object.entries(fields).map(([n, v]) => [norm(n), norm(v)])
          )
        }
      )
    )
  })

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
