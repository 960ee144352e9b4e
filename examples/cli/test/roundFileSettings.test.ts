/**
 * The round settings of CLI.md ("Round settings", issue 16) through the strict round-file reader:
 * every documented field is accepted and kept, even where no service acts on it yet; a misspelt
 * key at any depth is exit 2 with its path and the key meant.
 */
import fs from "node:fs"
import path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { main } from "../src/main.js"
import { decodeRound } from "../src/RoundFile.js"
import { fixtures, runIo, tmpDir } from "./support.js"

const socks = JSON.parse(fs.readFileSync(path.join(fixtures, "socks.round.json"), "utf8"))

/** CLI.md's "Round settings" example, over the socks round. */
const withSettings = () => ({
  ...structuredClone(socks),
  listens: [
    { channel: "line", conversation: "C1234" },
    { channel: "telegram", conversation: "-100123" }
  ],
  payment: { bank: { code: "822", account: "123456789012", name: "王小美" }, gateways: ["ecpay"] },
  payWithin: "P3D",
  unpaid: "cancel",
  remindBeforeCutoff: "PT10M",
  waitlist: true,
  products: [
    ...structuredClone(socks.products),
    { sku: "EGG2", name: "蛋黃酥禮盒", price: 300, stock: 20, limitPerBuyer: 2, minimum: 10, cost: 180 }
  ]
})

const parseWith = (round: unknown) => {
  const dir = tmpDir()
  fs.writeFileSync(path.join(dir, "r.json"), JSON.stringify(round, null, 2))
  return runIo(main, ["parse", "--round", "r.json"], { cwd: dir, stdin: '{"id":"1","text":"紅+1"}\n' })
}

describe("round settings", () => {
  it("every documented setting is accepted and kept", async () => {
    const { spec } = decodeRound("r.json", withSettings())
    expect(spec).toMatchObject({
      payment: { bank: { code: "822", account: "123456789012", name: "王小美" }, gateways: ["ecpay"] },
      payWithin: "P3D",
      unpaid: "cancel",
      remindBeforeCutoff: "PT10M",
      waitlist: true
    })
    expect(spec.products.at(-1)).toMatchObject({ limitPerBuyer: 2, minimum: 10, cost: 180 })
    const variant = { ...socks.products[0].variants[0], limitPerBuyer: 1, cost: 60 }
    const round = withSettings()
    round.products[0].variants[0] = variant
    expect(decodeRound("r.json", round).spec.products[0]!.variants![0]).toMatchObject({ limitPerBuyer: 1, cost: 60 })
    const r = await parseWith(withSettings())
    expect(r.code).toBe(0)
  })

  it("a misspelt setting, however deep, is exit 2 with its path and the key meant", async () => {
    const round = withSettings() as any
    round.waitlst = round.waitlist
    delete round.waitlist
    round.payment.bank.acount = round.payment.bank.account
    delete round.payment.bank.account
    round.products.at(-1).limitPerByer = 2
    const r = await parseWith(round)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe("")
    expect(r.stderr).toContain('waitlst: unknown key "waitlst" (did you mean "waitlist"?)')
    expect(r.stderr).toContain('payment.bank.acount: unknown key "acount" (did you mean "account"?)')
    expect(r.stderr).toContain('products[3].limitPerByer: unknown key "limitPerByer" (did you mean "limitPerBuyer"?)')
    expect(r.stderr).toContain("payment.bank.account: missing")
    // No value of the file in the message (the account digits are personal data).
    expect(r.stderr).not.toContain("123456789012")
  })

  it("a setting with a wrong value names it", async () => {
    const round = { ...withSettings(), payWithin: "3 days", unpaid: "delete", remindBeforeCutoff: "10" }
    const r = await parseWith(round)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/payWithin: expected an ISO 8601 duration/)
    expect(r.stderr).toMatch(/unpaid: .*"cancel".*"flag"/)
    expect(r.stderr).toMatch(/remindBeforeCutoff: expected an ISO 8601 duration/)
  })
})
