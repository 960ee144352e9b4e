/**
 * The page behind `GET /pay/:orderId`: turns a `PaymentStart` into a small HTML document. A
 * `Form` start becomes a form that posts itself to the gateway (with a button for browsers
 * without JavaScript); a `Redirect` start becomes a refresh and a link; `Instructions` are shown
 * as text. Every value is HTML-escaped. Pure string building: every gateway's start renders the
 * same way (`@kaituan/payments-ecpay` and `@kaituan/payments-newebpay` re-export it).
 *
 * @since 0.1.0
 */
import type { PaymentStart } from "./PaymentGateway.js"
import { Match } from "effect"

/** Escapes `& < > " '` for HTML text and attribute values. */
export const escapeHtml = (value: string): string =>
  value.replace(/[&<>"']/g, (c) => {
    switch (c) {
      case "&":
        return "&amp;"
      case "<":
        return "&lt;"
      case ">":
        return "&gt;"
      case '"':
        return "&quot;"
      default:
        return "&#39;"
    }
  })

/** Texts of the page; the defaults are Traditional Chinese with English. */
export interface PageOptions {
  readonly title?: string | undefined
  readonly lang?: string | undefined
  readonly buttonLabel?: string | undefined
}

/** The id of the form in the page. */
export const FORM_ID = "kaituan-checkout"

const page = (options: PageOptions, body: string, head = ""): string =>
  [
    "<!doctype html>",
    `<html lang="${escapeHtml(options.lang ?? "zh-Hant")}">`,
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    '<meta name="robots" content="noindex">',
    `<title>${escapeHtml(options.title ?? "前往付款 Redirecting to payment")}</title>`,
    head,
    "</head>",
    "<body>",
    body,
    "</body>",
    "</html>",
    ""
  ]
    .filter((line) => line !== "")
    .join("\n")

/**
 * Renders the checkout page for a payment start. Pure: the same start always gives the same page.
 */
export const renderCheckoutPage = (start: PaymentStart, options: PageOptions = {}): string =>
  Match.valueTags(start, {
    Form: (form) => {
      const inputs = Object.entries(form.fields).map(
        ([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`
      )
      return page(
        options,
        [
          `<form id="${FORM_ID}" method="post" action="${escapeHtml(form.action)}" accept-charset="UTF-8">`,
          ...inputs,
          `<p>正在前往付款頁面… Redirecting to the payment page…</p>`,
          `<button type="submit">${escapeHtml(options.buttonLabel ?? "前往付款 Continue to payment")}</button>`,
          "</form>",
          `<script>document.getElementById("${FORM_ID}").submit();</script>`
        ].join("\n")
      )
    },
    Redirect: (redirect) =>
      page(
        options,
        `<p><a href="${escapeHtml(redirect.url)}">${escapeHtml(options.buttonLabel ?? "前往付款 Continue to payment")}</a></p>`,
        `<meta http-equiv="refresh" content="0;url=${escapeHtml(redirect.url)}">`
      ),
    Instructions: (instructions) =>
      page(
        options,
        [
          "<main>",
          `<p>${escapeHtml(instructions.text)}</p>`,
          "<dl>",
          `<dt>銀行代碼 Bank code</dt><dd>${escapeHtml(instructions.bankCode)}</dd>`,
          `<dt>帳號 Account</dt><dd>${escapeHtml(instructions.account)}</dd>`,
          `<dt>金額 Amount</dt><dd>NT$${escapeHtml(instructions.amount.toLocaleString("en-US"))}</dd>`,
          "</dl>",
          "</main>"
        ].join("\n")
      )
  })
