import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import iconv from "iconv-lite"
import writeXlsxFile from "write-excel-file/node"
import { Statement, StatementFile } from "../src/index.js"

const fixture = (name: string): Uint8Array =>
  readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)))
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
const parse = (bytes: Uint8Array, options?: Statement.Options): Statement.Statement =>
  Result.getOrThrowWith(Statement.parseCsv(bytes, options), (e) => new Error(e.message))
const withoutIds = (s: Statement.Statement) => s.transactions.map(({ id: _id, ...rest }) => rest)

// The three example exports hold the same four transfers of one account, in different orders.
const transfers = {
  mango: {
    date: "2024-04-03",
    amount: 1950,
    balance: 22900,
    bankCode: "700",
    last5: "54321",
    description: "轉帳存入",
    memo: "王小明 芒果3箱"
  },
  out: {
    date: "2024-04-03",
    amount: -1000,
    balance: 20950,
    bankCode: "013",
    last5: "89012",
    description: "網銀轉出",
    memo: "貨款"
  },
  atm: {
    date: "2024-04-02",
    amount: 650,
    balance: 21950,
    bankCode: "812",
    last5: "12345",
    description: "ATM轉入",
    memo: ""
  },
  interbank: {
    date: "2024-04-02",
    amount: 1300,
    balance: 21300,
    bankCode: "822",
    last5: "45678",
    description: "跨行轉入",
    memo: ""
  }
} as const
/** The transaction a transfer gives on line `row` (with its time, when the export has one). */
const onRow = (row: number, t: (typeof transfers)[keyof typeof transfers], time?: string) => ({
  source: "statement",
  row,
  ...t,
  ...(time === undefined ? {} : { time }),
  at: `${t.date}T${time ?? "00:00:00"}+08:00`
})

describe("the three bank layouts", () => {
  it("reads the Cathay export (Big5, CRLF, preamble, newest first)", () => {
    const s = parse(fixture("example-cathay.csv"))
    expect(s.layout).toBe("cathay")
    expect(s.encoding).toBe("big5")
    expect(s.account).toBe("123456789012")
    expect(s.headerLine).toBe(4)
    expect(s.unreadable).toEqual([])
    const { mango, out, atm, interbank } = transfers
    expect(withoutIds(s)).toEqual([onRow(5, mango), onRow(6, out), onRow(7, atm), onRow(8, interbank)])
  })

  it("reads the CTBC export (UTF-8 with BOM, quoted thousands, masked accounts)", () => {
    const s = parse(fixture("example-ctbc.csv"))
    expect(s.layout).toBe("ctbc")
    expect(s.encoding).toBe("utf-8-bom")
    expect(s.account).toBe("123456789012")
    expect(s.headerLine).toBe(3)
    expect(s.unreadable).toEqual([])
    const { mango, out, atm, interbank } = transfers
    expect(withoutIds(s)).toEqual([onRow(4, interbank), onRow(5, atm), onRow(6, out), onRow(7, mango)])
  })

  it('reads the Post office export (ROC date-times, ="…" cells, footer rows)', () => {
    const s = parse(fixture("example-post.csv"))
    expect(s.layout).toBe("post")
    expect(s.encoding).toBe("utf-8")
    expect(s.account).toBe("70012345678901")
    expect(s.headerLine).toBe(2)
    expect(s.unreadable).toEqual([])
    expect(s.skipped).toEqual([
      { line: 7, text: "共 4 筆" },
      { line: 8, text: "列印日期:113/05/31" }
    ])
    const { mango, out, atm, interbank } = transfers
    expect(withoutIds(s)).toEqual([
      onRow(3, interbank, "10:00:00"),
      onRow(4, atm, "10:00:00"),
      onRow(5, out, "10:00:00"),
      onRow(6, mango, "10:00:00")
    ])
  })

  it("gives every row a stable id: the same on re-import and whatever the file's row order", () => {
    const a = parse(fixture("example-cathay.csv"))
    const b = parse(fixture("example-cathay.csv"))
    expect(b.transactions.map((t) => t.id)).toEqual(a.transactions.map((t) => t.id))
    expect(new Set(a.transactions.map((t) => t.id)).size).toBe(4)
    for (const t of a.transactions) expect(t.id).toMatch(/^tx_[0-9a-f]{16}$/)
    // CTBC lists the same four transfers of the same account oldest first.
    const c = parse(fixture("example-ctbc.csv"))
    expect(new Set(c.transactions.map((t) => t.id))).toEqual(new Set(a.transactions.map((t) => t.id)))
  })

  it("tells identical rows apart by their occurrence, stably", () => {
    const text = "日期,金額,備註\n2024/04/02,500,\n2024/04/02,500,\n2024/04/02,500,王\n"
    const s = parse(utf8(text))
    expect(new Set(s.transactions.map((t) => t.id)).size).toBe(3)
    expect(parse(utf8(text)).transactions.map((t) => t.id)).toEqual(s.transactions.map((t) => t.id))
  })

  it("recognises each layout when forced, and refuses a file that does not have it", () => {
    expect(parse(fixture("example-post.csv"), { format: "post" }).transactions).toHaveLength(4)
    const wrong = Statement.parseCsv(fixture("example-post.csv"), { format: "cathay" })
    expect(Result.isFailure(wrong)).toBe(true)
    if (Result.isFailure(wrong)) {
      expect(wrong.failure.reason).toBe("no-header")
      expect(wrong.failure.message).toContain("cathay")
    }
  })
})

describe("encodings", () => {
  const text =
    "交易日期,說明,提出,存入,餘額,交易資訊,備註\r\n2024/04/03,轉帳存入,,1950,22900,(700)0000000000054321,王小明\r\n"

  it("detects Big5, UTF-8 with and without BOM, and UTF-16 with BOM", () => {
    const variants: ReadonlyArray<readonly [Uint8Array, string]> = [
      [iconv.encode(text, "cp950"), "big5"],
      [utf8(text), "utf-8"],
      [new Uint8Array([0xef, 0xbb, 0xbf, ...utf8(text)]), "utf-8-bom"],
      [new Uint8Array(iconv.encode(text, "utf-16le", { addBOM: true })), "utf-16le"]
    ]
    for (const [bytes, enc] of variants) {
      const s = parse(bytes)
      expect(s.encoding).toBe(enc)
      expect(s.transactions[0]?.memo).toBe("王小明")
      expect(s.transactions[0]?.amount).toBe(1950)
    }
  })

  it("takes the encoding when told", () => {
    expect(parse(iconv.encode(text, "cp950"), { encoding: "big5" }).transactions[0]?.memo).toBe("王小明")
  })
})

describe("broken rows", () => {
  it("reports each unreadable row with its line number and reason, and imports the rest", () => {
    const text = [
      "帳號：123-456789012,新臺幣活期存款", // 1
      "日期,摘要,支出,存入,餘額,備註,轉出入帳號,註記", // 2
      '2024/04/02,跨行轉入,,"1,300","21,300",,822-*********45678,', // 3
      "2024/13/02,ATM轉入,,650,21950,,812-*********12345,", // 4 bad date
      "2024/04/02,ATM轉入,,6x0,21950,,812-*********12345,", // 5 bad amount
      "2024/04/02,ATM轉入,,,21950,,812-*********12345,", // 6 no amount
      "2024/04/02,轉帳,100,200,21950,,812-*********12345,", // 7 both
      "", // 8 blank
      ",ATM轉入,,650,21950,,,", // 9 no date
      "2024/04/03,轉帳存入,,12.5,22900,,700-*********54321,", // 10 cents
      '2024/04/03,轉帳存入,,"1,950","22,900",王小明,700-*********54321,' // 11
    ].join("\n")
    const s = parse(utf8(text))
    expect(s.transactions.map((t) => [t.row, t.amount])).toEqual([
      [3, 1300],
      [11, 1950]
    ])
    expect(s.unreadable.map((u) => [u.line, u.reason])).toEqual([
      [4, "bad-date"],
      [5, "bad-amount"],
      [6, "no-amount"],
      [7, "in-and-out"],
      [9, "no-date"],
      [10, "bad-amount"]
    ])
    expect(s.unreadable[0]?.message).toContain("2024/13/02")
    expect(s.unreadable[0]?.text).toContain("ATM轉入")
  })

  it("keeps line numbers right across a quoted memo that spans two lines", () => {
    const text = '日期,金額,備註\n2024/04/02,500,"第一行\n第二行"\n2024/04/02,xx,\n2024/04/03,600,\n'
    const s = parse(utf8(text))
    expect(s.transactions.map((t) => t.row)).toEqual([2, 5])
    expect(s.unreadable.map((u) => u.line)).toEqual([4])
  })

  it("survives an unclosed quote: that line is reported, the others import", () => {
    const text = '日期,金額,備註\n2024/04/02,500,ok\n2024/04/02,600,"broken\n2024/04/03,700,fine\n'
    const s = parse(utf8(text))
    expect(s.transactions.map((t) => [t.row, t.amount])).toEqual([
      [2, 500],
      [4, 700]
    ])
    expect(s.unreadable.map((u) => [u.line, u.reason])).toEqual([[3, "malformed-csv"]])
  })

  it("fails on an empty file or a file without a header", () => {
    const empty = Statement.parseCsv(new Uint8Array())
    expect(Result.isFailure(empty) && empty.failure.reason).toBe("empty")
    const noHeader = Statement.parseCsv(utf8("hello,world\n1,2\n"))
    expect(Result.isFailure(noHeader) && noHeader.failure.reason).toBe("no-header")
  })
})

describe("other layouts", () => {
  it("infers a Richart-style signed amount column with NT$", () => {
    const text =
      '交易日期,帳務日期,帳戶餘額,金額,摘要,類別,備註,備忘錄,轉帳說明\n2024-04-02,2024-04-03,"NT$21,300","NT$1,300",跨行轉入,轉帳,陳大華,,822-*****45678\n2024-04-02,2024-04-02,NT$20000,-NT$100,手續費,費用,,,\n'
    const s = parse(utf8(text))
    expect(s.layout).toBe("generic")
    expect(withoutIds(s)).toEqual([
      {
        source: "statement",
        row: 2,
        date: "2024-04-02",
        at: "2024-04-02T00:00:00+08:00",
        amount: 1300,
        balance: 21300,
        bankCode: "822",
        last5: "45678",
        description: "跨行轉入",
        memo: "陳大華",
        postingDate: "2024-04-03"
      },
      {
        source: "statement",
        row: 3,
        date: "2024-04-02",
        at: "2024-04-02T00:00:00+08:00",
        amount: -100,
        balance: 20000,
        description: "手續費",
        memo: ""
      }
    ])
  })

  it("reads a tab-separated export with a separate time column and full-width digits", () => {
    const text =
      "交易日期\t時間\t摘要\t提\t存\t帳戶餘額\t對方銀行代碼/帳號\t轉帳留言\n２０２４／０４／０２\t18:05:16\t轉入\t\t１，３００\t5000\t(812)0000009876512345\t小美 團購\n"
    const s = parse(utf8(text))
    expect(withoutIds(s)).toEqual([
      {
        source: "statement",
        row: 2,
        date: "2024-04-02",
        time: "18:05:16",
        at: "2024-04-02T18:05:16+08:00",
        amount: 1300,
        balance: 5000,
        bankCode: "812",
        last5: "12345",
        description: "轉入",
        memo: "小美 團購"
      }
    ])
  })

  it("uses an explicit column mapping by header names", () => {
    const text = "明細表\n入帳時間,入帳金額,付款人,末五碼\n2024/04/02 09:00,1300,王小明,45678\n"
    const s = parse(utf8(text), {
      format: "generic",
      mapping: { date: "入帳時間", amount: "入帳金額", memo: "付款人", account: "末五碼" }
    })
    expect(s.headerLine).toBe(2)
    expect(withoutIds(s)).toEqual([
      {
        source: "statement",
        row: 3,
        date: "2024-04-02",
        time: "09:00:00",
        at: "2024-04-02T09:00:00+08:00",
        amount: 1300,
        last5: "45678",
        memo: "王小明"
      }
    ])
  })

  it("uses an explicit column mapping by indexes, without a header", () => {
    const text = "20240402;1300;822-45678\n20240403;-50;\n"
    const s = parse(utf8(text), { mapping: { date: 0, amount: 1, account: 2 }, headerLine: 0, account: "my-account" })
    expect(s.account).toBe("my-account")
    expect(s.transactions.map((t) => [t.row, t.date, t.amount, t.bankCode, t.last5])).toEqual([
      [1, "2024-04-02", 1300, "822", "45678"],
      [2, "2024-04-03", -50, undefined, undefined]
    ])
  })

  it("refuses a mapping whose columns are not in the file", () => {
    const r = Statement.parseCsv(utf8("a,b\n1,2\n"), { mapping: { date: "日期", amount: "金額" } })
    expect(Result.isFailure(r) && r.failure.message).toContain('"日期"')
  })

  it("refuses a mapping without an amount", () => {
    const r = Statement.parseCsv(utf8("日期,x\n2024/01/01,2\n"), { mapping: { date: "日期" } })
    expect(Result.isFailure(r) && r.failure.reason).toBe("bad-mapping")
  })
})

describe(".xlsx", () => {
  it.effect("reads a generated spreadsheet: preamble, date cells, numbers, a broken row", () =>
    Effect.gen(function* () {
      const buffer = yield* Effect.promise(() =>
        writeXlsxFile(
          [
            ["帳號 0141979137701 臺幣綜存"],
            ["查詢期間 2024/04/01 ~ 2024/04/30"],
            ["交易日期", "摘要", "提", "存", "帳戶餘額", "對方帳號", "轉帳留言"],
            [new Date(Date.UTC(2024, 3, 2, 10, 20, 30)), "跨行轉入", null, 1300, 21300, "822-*********45678", "王小明"],
            ["2024/04/03", "ATM轉入", null, 650, 21950, "812-*********12345", null],
            ["not a date", "ATM轉入", null, 650, 21950, null, null],
            [new Date(Date.UTC(2024, 3, 4)), "網銀轉出", 1000, null, 20950, null, "貨款"]
          ],
          { dateFormat: "yyyy/mm/dd hh:mm:ss" }
        ).toBuffer()
      )
      const s = yield* Statement.parse(new Uint8Array(buffer))
      expect(s.encoding).toBe("xlsx")
      expect(s.headerLine).toBe(3)
      expect(s.account).toBe("0141979137701")
      expect(s.transactions.map((t) => [t.row, t.at, t.amount, t.bankCode, t.last5, t.memo])).toEqual([
        [4, "2024-04-02T10:20:30+08:00", 1300, "822", "45678", "王小明"],
        [5, "2024-04-03T00:00:00+08:00", 650, "812", "12345", ""],
        [7, "2024-04-04T00:00:00+08:00", -1000, undefined, undefined, "貨款"]
      ])
      expect(s.unreadable.map((u) => [u.line, u.reason])).toEqual([[6, "bad-date"]])
    })
  )

  it.effect("fails with a StatementError on a corrupt spreadsheet", () =>
    Effect.gen(function* () {
      const bytes = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3, 4, 5])
      const e = yield* Effect.flip(Statement.parse(bytes))
      expect(e._tag).toBe("StatementError")
      expect(e.reason).toBe("unreadable-file")
    })
  )
})

describe("StatementFile", () => {
  it.effect("reads a file from disk", () =>
    Effect.gen(function* () {
      const s = yield* StatementFile.read(fileURLToPath(new URL("./fixtures/example-post.csv", import.meta.url)))
      expect(s.transactions).toHaveLength(4)
    })
  )

  it.effect("names the path of a missing file", () =>
    Effect.gen(function* () {
      const e = yield* Effect.flip(StatementFile.read("/nonexistent/statement.csv"))
      expect(e.reason).toBe("unreadable-file")
      expect(e.message).toContain("/nonexistent/statement.csv")
    })
  )
})
