/**
 * A labelled table of comments across catalogues and modes (docs/parsing.md, rule by rule).
 * Each row: catalogue, mode, text, intent, and (when given) the exact lines and `likely`.
 */
import { describe, expect, it } from "@effect/vitest"
import type { Catalogue } from "@kaituan/core"
import { Parser } from "../src/index.js"
import * as C from "./catalogues.js"

type Cat = "single" | "colours" | "sizes" | "numbered" | "codes" | "mixed"
type Mode = "marker" | "lenient"
type Intent = "order" | "amend" | "cancel" | "payment" | "review" | "none"
type L = ReadonlyArray<readonly [string | null, number]>
type Row = readonly [Cat, Mode, string, Intent, (L | undefined)?, string?]

const catalogues: Record<Cat, Catalogue.Catalogue> = C
const parsers = new Map<string, Parser.CompiledParser>()
const parserFor = (cat: Cat, mode: Mode) => {
  const key = `${cat}/${mode}`
  let p = parsers.get(key)
  if (p === undefined) {
    p = Parser.compile({ catalogue: catalogues[cat], settings: { mode } })
    parsers.set(key, p)
  }
  return p
}

const B = "marker" as const
const N = "lenient" as const

// ── markers and quantities ──
const markers: ReadonlyArray<Row> = [
  ["single", B, "+1", "order", [["EGG", 1]]],
  ["single", B, "+ 1", "order", [["EGG", 1]]],
  ["single", B, "＋1", "order", [["EGG", 1]]],
  ["single", B, "＋２", "order", [["EGG", 2]]],
  ["single", B, "+１０", "order", [["EGG", 10]]],
  ["single", B, "加1", "order", [["EGG", 1]]],
  ["single", B, "加一", "order", [["EGG", 1]]],
  ["single", B, "加兩個", "order", [["EGG", 2]]],
  ["single", B, "+二", "order", [["EGG", 2]]],
  ["single", B, "+两", "order", [["EGG", 2]]],
  ["single", B, "+十", "order", [["EGG", 10]]],
  ["single", B, "+十二", "order", [["EGG", 12]]],
  ["single", B, "+二十", "order", [["EGG", 20]]],
  ["single", B, "+三十五", "order", [["EGG", 35]]],
  ["single", B, "+1️⃣", "order", [["EGG", 1]]],
  ["single", B, "+3⃣", "order", [["EGG", 3]]],
  ["single", B, "+🔟", "order", [["EGG", 10]]],
  ["single", B, "+2份", "order", [["EGG", 2]]],
  ["single", B, "+1 個", "order", [["EGG", 1]]],
  ["single", B, "➕1", "order", [["EGG", 1]]],
  ["single", B, "+50", "order", [["EGG", 50]]],
  ["single", B, "+51", "review", [["EGG", 51]], "order"],
  ["single", B, "+99", "review", undefined, "order"],
  ["single", B, "+100", "review", undefined, "order"],
  ["single", B, "+0", "review", undefined, "order"],
  ["single", B, "+", "review", undefined, "order"],
  ["single", B, "+1+1", "review", undefined, "order"],
  ["single", B, "+1 +1", "review", undefined, "order"],
  ["single", B, "+1\n+1", "review", undefined, "order"],
  ["single", B, "1+1", "review", undefined, "order"],
  ["single", B, "十1", "review", [], "order"],
  ["single", B, "蛋黃酥十2", "review", [], "order"],
  ["single", B, "蛋黃酥+2", "order", [["EGG", 2]]],
  ["single", B, "蛋黄酥+2", "order", [["EGG", 2]]],
  ["single", B, "蛋黃酥 +2", "order", [["EGG", 2]]],
  ["single", B, "+2 蛋黃酥", "order", [["EGG", 2]]],
  ["single", B, "2", "review", [], "order"],
  ["single", B, "蛋黃酥 2", "review", [], "order"],
  ["single", B, "我要兩份", "review", [], "order"],
  ["single", B, "2個", "review", [], "order"],
  ["single", B, "我要蛋黃酥", "review", [], "order"],
  ["single", B, "蛋黃酥", "none", []],
  ["single", B, "蛋黃酥好好吃", "none", []],
  ["single", B, "+1 white pls", "order", [["EGG", 1]]],
  ["single", B, "+1 thanks", "order", [["EGG", 1]]]
]

// ── fillers, mentions, noise ──
const fillers: ReadonlyArray<Row> = [
  ["single", B, "我+1", "order", [["EGG", 1]]],
  ["single", B, "我要+1", "order", [["EGG", 1]]],
  ["single", B, "要+1", "order", [["EGG", 1]]],
  ["single", B, "想要+1", "order", [["EGG", 1]]],
  ["single", B, "我也+1", "order", [["EGG", 1]]],
  ["single", B, "我也要+1", "order", [["EGG", 1]]],
  ["single", B, "我也要我也要+2", "order", [["EGG", 2]]],
  ["single", B, "再+1", "order", [["EGG", 1]]],
  ["single", B, "也+1", "order", [["EGG", 1]]],
  ["single", B, "幫小美+1", "order", [["EGG", 1]]],
  ["single", B, "幫我媽媽+2", "order", [["EGG", 2]]],
  ["single", B, "代訂 王太太 +1", "order", [["EGG", 1]]],
  ["single", B, "@小美 +1", "order", [["EGG", 1]]],
  ["single", B, "@Amy_Lin +1", "order", [["EGG", 1]]],
  ["single", B, "+1 謝謝", "order", [["EGG", 1]]],
  ["single", B, "+1 感謝團媽🙏🙏", "order", [["EGG", 1]]],
  ["single", B, "+1😍", "order", [["EGG", 1]]],
  ["single", B, "好可愛+1", "review", undefined, "order"],
  ["single", B, "姐姐+1", "review", undefined, "order"],
  ["single", B, "蛋黃酥 好吃+1", "review", undefined, "order"],
  ["single", B, "7-11取貨 +1", "order", [["EGG", 1]]],
  ["single", B, "+1 0912345678", "order", [["EGG", 1]]],
  ["single", B, "+1 0912-345-678", "order", [["EGG", 1]]],
  ["single", B, "+886912345678", "none", []],
  ["single", B, "12/5 面交 +1", "order", [["EGG", 1]]],
  ["single", B, "+1 10:30取", "order", [["EGG", 1]]],
  ["single", B, "+1 $300", "order", [["EGG", 1]]],
  ["single", B, "+1 300元", "order", [["EGG", 1]]],
  ["single", B, "蛋黃酥 300元", "none", []],
  ["single", B, "300塊", "none", []],
  ["single", B, "NT$300", "none", []],
  ["single", B, "+100元", "none", []],
  ["single", B, "3Q", "none", []],
  ["single", B, "謝謝團媽", "none", []],
  ["single", B, "😍😍😍", "none", []],
  ["single", B, "", "none", []],
  ["single", B, "   ", "none", []],
  ["single", B, "笑死 666", "none", []],
  ["single", B, "一起加油", "none", []],
  ["single", B, "一起+1", "review", undefined, "order"]
]

// ── which product ──
const products: ReadonlyArray<Row> = [
  ["colours", B, "紅+1", "order", [["SOCK-R", 1]]],
  ["colours", B, "紅色+1", "order", [["SOCK-R", 1]]],
  ["colours", B, "红色+1", "order", [["SOCK-R", 1]]],
  ["colours", B, "RED+1", "order", [["SOCK-R", 1]]],
  ["colours", B, "ｒｅｄ＋１", "order", [["SOCK-R", 1]]],
  ["colours", B, "毛襪 紅 +2", "order", [["SOCK-R", 2]]],
  ["colours", B, "韓國 毛襪 紅+1", "order", [["SOCK-R", 1]]],
  [
    "colours",
    B,
    "紅+1 白+2",
    "order",
    [
      ["SOCK-R", 1],
      ["SOCK-W", 2]
    ]
  ],
  [
    "colours",
    B,
    "紅+1，白+2",
    "order",
    [
      ["SOCK-R", 1],
      ["SOCK-W", 2]
    ]
  ],
  [
    "colours",
    B,
    "紅+1、白+2、黑+3",
    "order",
    [
      ["SOCK-R", 1],
      ["SOCK-W", 2],
      ["SOCK-B", 3]
    ]
  ],
  [
    "colours",
    B,
    "紅+1;白+2",
    "order",
    [
      ["SOCK-R", 1],
      ["SOCK-W", 2]
    ]
  ],
  [
    "colours",
    B,
    "紅+1/白+2",
    "order",
    [
      ["SOCK-R", 1],
      ["SOCK-W", 2]
    ]
  ],
  [
    "colours",
    B,
    "紅+1\n白+2",
    "order",
    [
      ["SOCK-R", 1],
      ["SOCK-W", 2]
    ]
  ],
  ["colours", B, "+2 紅", "order", [["SOCK-R", 2]]],
  ["colours", B, "+1 white", "order", [["SOCK-W", 1]]],
  ["colours", B, "+1", "review", [], "order"],
  ["colours", B, "毛襪+1", "review", [], "order"],
  ["colours", B, "紫色+1", "review", [], "order"],
  ["colours", B, "紅白+1", "review", [], "order"],
  ["colours", B, "紅+1 紅+1", "review", undefined, "order"],
  ["colours", B, "紅+1 紅+2", "review", undefined, "order"],
  ["colours", B, "紅+1 白", "review", undefined, "order"],
  [
    "colours",
    B,
    "紅白各+1",
    "order",
    [
      ["SOCK-R", 1],
      ["SOCK-W", 1]
    ]
  ],
  [
    "colours",
    B,
    "紅 白 黑 各+2",
    "order",
    [
      ["SOCK-R", 2],
      ["SOCK-W", 2],
      ["SOCK-B", 2]
    ]
  ],
  ["colours", B, "紅白各1", "review", undefined, "order"],
  [
    "colours",
    B,
    "包色+1",
    "order",
    [
      ["SOCK-R", 1],
      ["SOCK-W", 1],
      ["SOCK-B", 1]
    ]
  ],
  [
    "colours",
    B,
    "包+2",
    "order",
    [
      ["SOCK-R", 2],
      ["SOCK-W", 2],
      ["SOCK-B", 2]
    ]
  ],
  ["colours", B, "紅x2", "review", undefined, "order"],
  ["colours", B, "紅色2雙", "review", undefined, "order"],
  ["colours", B, "紅 2", "review", [], "order"],
  ["colours", B, "我要紅色", "review", [], "order"],
  ["colours", B, "紅色好看", "none", []],
  ["sizes", B, "黑L+1", "order", [["TEE-B-L", 1]]],
  ["sizes", B, "L黑+1", "order", [["TEE-B-L", 1]]],
  ["sizes", B, "L號 黑色 +1", "order", [["TEE-B-L", 1]]],
  ["sizes", B, "黑色L號+2", "order", [["TEE-B-L", 2]]],
  ["sizes", B, "黑色 L碼 +1", "order", [["TEE-B-L", 1]]],
  ["sizes", B, "+2 黑 L", "order", [["TEE-B-L", 2]]],
  ["sizes", B, "黑色 M +1", "order", [["TEE-B-M", 1]]],
  ["sizes", B, "black m +1", "order", [["TEE-B-M", 1]]],
  ["sizes", B, "Ｌ黑＋１", "order", [["TEE-B-L", 1]]],
  ["sizes", B, "t恤 黑L+1", "order", [["TEE-B-L", 1]]],
  ["sizes", B, "TEE 白 XL +1", "order", [["TEE-W-XL", 1]]],
  ["sizes", B, "白XL+1", "order", [["TEE-W-XL", 1]]],
  ["sizes", B, "黑XL+1", "review", [], "order"],
  ["sizes", B, "黑+1", "review", [], "order"],
  ["sizes", B, "L+1", "review", [], "order"],
  ["sizes", B, "黑白L+1", "review", [], "order"],
  [
    "sizes",
    B,
    "黑L+1 白M+2",
    "order",
    [
      ["TEE-B-L", 1],
      ["TEE-W-M", 2]
    ]
  ],
  [
    "sizes",
    B,
    "黑 S/M各+1",
    "order",
    [
      ["TEE-B-S", 1],
      ["TEE-B-M", 1]
    ]
  ],
  [
    "sizes",
    B,
    "L 包色+1",
    "order",
    [
      ["TEE-B-L", 1],
      ["TEE-W-L", 1]
    ]
  ],
  ["sizes", B, "黑L 2", "review", [], "order"],
  ["sizes", B, "黑Lx2", "review", undefined, "order"],
  ["numbered", B, "#2+1", "order", [["PINE", 1]]],
  ["numbered", B, "＃2 +3", "order", [["PINE", 3]]],
  [
    "numbered",
    B,
    "#1+1 #3+2",
    "order",
    [
      ["MANGO", 1],
      ["NOUGAT", 2]
    ]
  ],
  ["numbered", B, "#4+1", "review", [], "order"],
  ["numbered", B, "#0+1", "review", [], "order"],
  ["numbered", B, "#2 2", "review", [], "order"],
  ["numbered", B, "#2", "review", [], "order"],
  ["numbered", B, "鳳梨酥+1", "order", [["PINE", 1]]],
  ["numbered", B, "凤梨酥+1", "order", [["PINE", 1]]],
  [
    "numbered",
    B,
    "芒果乾 +2、牛軋糖 +1",
    "order",
    [
      ["MANGO", 2],
      ["NOUGAT", 1]
    ]
  ],
  [
    "numbered",
    B,
    "芒果乾牛軋糖各+1",
    "order",
    [
      ["MANGO", 1],
      ["NOUGAT", 1]
    ]
  ],
  ["numbered", B, "芒果乾 牛軋糖 +1", "review", [], "order"],
  ["numbered", B, "+1", "review", [], "order"],
  ["numbered", B, "芒果+1", "review", [], "order"],
  ["codes", B, "CK50+2", "order", [["CK50", 2]]],
  ["codes", B, "ck50 +1", "order", [["CK50", 1]]],
  ["codes", B, "CK50 2", "review", [], "order"],
  ["codes", B, "CK500+1", "review", [], "order"],
  [
    "codes",
    B,
    "A1+1 A2+2",
    "order",
    [
      ["A1", 1],
      ["A2", 2]
    ]
  ],
  ["codes", B, "a1 +1", "order", [["A1", 1]]],
  ["codes", B, "Ａ１＋１", "order", [["A1", 1]]],
  [
    "codes",
    B,
    "A1A2各+1",
    "order",
    [
      ["A1", 1],
      ["A2", 1]
    ]
  ],
  ["codes", B, "A3+1", "review", [], "order"],
  ["codes", B, "我要A1", "review", [], "order"],
  ["codes", B, "A1", "none", []],
  ["codes", B, "洗碗海綿2入+1", "order", [["SPONGE", 1]]],
  ["codes", B, "海綿+2", "order", [["SPONGE", 2]]],
  [
    "codes",
    B,
    "草莓+1 藍莓+1",
    "order",
    [
      ["A1", 1],
      ["A2", 1]
    ]
  ],
  ["mixed", B, "紅+1", "order", [["SOCK-R", 1]]],
  ["mixed", B, "毛襪紅+1", "order", [["SOCK-R", 1]]],
  [
    "mixed",
    B,
    "蛋黃酥+2 保溫杯+1",
    "order",
    [
      ["EGG", 2],
      ["CUP", 1]
    ]
  ],
  [
    "mixed",
    B,
    "紅色+1 white+1",
    "order",
    [
      ["SOCK-R", 1],
      ["SOCK-W", 1]
    ]
  ],
  ["mixed", B, "+1", "review", [], "order"],
  ["mixed", B, "芒果+1", "review", [], "order"]
]

// ── lenient mode ──
const lenient: ReadonlyArray<Row> = [
  ["single", N, "+1", "order", [["EGG", 1]]],
  ["single", N, "蛋黃酥x2", "order", [["EGG", 2]]],
  ["single", N, "蛋黃酥 X2", "order", [["EGG", 2]]],
  ["single", N, "蛋黃酥×3", "order", [["EGG", 3]]],
  ["single", N, "蛋黃酥✖2", "order", [["EGG", 2]]],
  ["single", N, "蛋黃酥✖️2", "order", [["EGG", 2]]],
  ["single", N, "蛋黃酥*2", "order", [["EGG", 2]]],
  ["single", N, "蛋黃酥＊2", "order", [["EGG", 2]]],
  ["single", N, "蛋黃酥2盒", "order", [["EGG", 2]]],
  ["single", N, "蛋黃酥 一盒", "order", [["EGG", 1]]],
  ["single", N, "蛋黃酥兩個", "order", [["EGG", 2]]],
  ["single", N, "蛋黃酥3份", "order", [["EGG", 3]]],
  ["single", N, "蛋黃酥1组", "order", [["EGG", 1]]],
  ["single", N, "蛋黃酥 2 個", "order", [["EGG", 2]]],
  ["single", N, "x2", "review", undefined, "order"],
  ["single", N, "2個", "review", [], "order"],
  ["single", N, "我要兩份", "review", [], "order"],
  ["single", N, "蛋黃酥 2", "review", [], "order"],
  ["single", N, "蛋黃酥x0", "review", undefined, "order"],
  ["single", N, "蛋黃酥x60", "review", undefined, "order"],
  ["single", N, "蛋黃酥x2還有嗎", "review", [], "order"],
  ["colours", N, "紅x2", "order", [["SOCK-R", 2]]],
  ["colours", N, "紅色 1雙", "order", [["SOCK-R", 1]]],
  [
    "colours",
    N,
    "紅白各1",
    "order",
    [
      ["SOCK-R", 1],
      ["SOCK-W", 1]
    ]
  ],
  [
    "colours",
    N,
    "紅白各一雙",
    "order",
    [
      ["SOCK-R", 1],
      ["SOCK-W", 1]
    ]
  ],
  [
    "colours",
    N,
    "紅白各+1",
    "order",
    [
      ["SOCK-R", 1],
      ["SOCK-W", 1]
    ]
  ],
  [
    "colours",
    N,
    "紅x1 白x2",
    "order",
    [
      ["SOCK-R", 1],
      ["SOCK-W", 2]
    ]
  ],
  [
    "colours",
    N,
    "紅x1 白+2",
    "order",
    [
      ["SOCK-R", 1],
      ["SOCK-W", 2]
    ]
  ],
  ["colours", N, "紫x1", "review", undefined, "order"],
  ["sizes", N, "黑L x2", "order", [["TEE-B-L", 2]]],
  ["sizes", N, "黑Lx2", "order", [["TEE-B-L", 2]]],
  ["sizes", N, "黑L 2件", "order", [["TEE-B-L", 2]]],
  [
    "sizes",
    N,
    "黑 S/M各1",
    "order",
    [
      ["TEE-B-S", 1],
      ["TEE-B-M", 1]
    ]
  ],
  ["sizes", N, "S/M各1", "review", [], "order"],
  ["sizes", N, "黑XLx1", "review", [], "order"],
  ["codes", N, "CK50 x2", "order", [["CK50", 2]]],
  [
    "codes",
    N,
    "A1x1 A2x3",
    "order",
    [
      ["A1", 1],
      ["A2", 3]
    ]
  ],
  ["codes", N, "CK50 2", "review", [], "order"],
  ["codes", N, "洗碗海綿2入", "none", []],
  ["codes", N, "海綿2入", "order", [["SPONGE", 2]]],
  ["numbered", N, "#2x3", "order", [["PINE", 3]]]
]

// ── questions and conditions ──
const questions: ReadonlyArray<Row> = [
  ["colours", B, "紅色還有嗎?", "none", []],
  ["colours", B, "紅色還有嗎", "none", []],
  ["colours", B, "还有红色吗", "none", []],
  ["colours", B, "紅色多少錢", "none", []],
  ["colours", B, "幾號出貨", "none", []],
  ["colours", B, "有沒有黑色", "none", []],
  ["colours", B, "可以寄7-11嗎", "none", []],
  ["colours", B, "紅色呢", "none", []],
  ["colours", B, "紅色?", "none", []],
  ["colours", B, "紅色？", "none", []],
  ["colours", B, "how much?", "none", []],
  ["colours", B, "請問紅色+1是多少錢", "review", [], "order"],
  ["colours", B, "紅+1 還有嗎?", "review", [], "order"],
  ["colours", B, "紅+1?", "review", [], "order"],
  ["colours", B, "紅+1嗎", "review", [], "order"],
  ["colours", B, "可以取消嗎", "review", [], "cancel"],
  ["colours", B, "可以改成3雙嗎", "review", [], "amend"],
  ["single", B, "+1 可以嗎", "review", [], "order"],
  ["single", B, "如果有紅色我就+1", "review", [], "order"],
  ["single", B, "有的話+1", "review", [], "order"],
  ["single", B, "有貨的話+2", "review", [], "order"],
  ["single", B, "考慮+1", "review", [], "order"],
  ["single", B, "如果便宜一點", "none", []],
  ["single", N, "如果有的話蛋黃酥x2", "review", [], "order"]
]

// ── cancellations ──
const cancels: ReadonlyArray<Row> = [
  ["colours", B, "取消", "cancel", []],
  ["colours", B, "我要取消", "cancel", []],
  ["colours", B, "不要了", "cancel", []],
  ["colours", B, "我不要了", "cancel", []],
  ["colours", B, "退出", "cancel", []],
  ["colours", B, "我不+1了", "cancel", []],
  ["colours", B, "cancel", "cancel", []],
  ["colours", B, "Cancel pls", "cancel", []],
  ["colours", B, "取消訂單", "cancel", []],
  ["colours", B, "抱歉 取消", "cancel", []],
  ["colours", B, "取消紅色", "review", [], "cancel"],
  ["colours", B, "紅色不要了", "review", [], "cancel"],
  ["colours", B, "取消 +1", "review", [], "cancel"],
  ["colours", B, "退出 2", "review", [], "cancel"],
  ["colours", B, "不要", "review", [], "cancel"],
  ["colours", B, "紅-1", "cancel", [["SOCK-R", 1]]],
  ["colours", B, "紅色 -2", "cancel", [["SOCK-R", 2]]],
  ["colours", B, "紅－1", "cancel", [["SOCK-R", 1]]],
  ["colours", B, "紅色減一", "cancel", [["SOCK-R", 1]]],
  ["colours", B, "紅減1", "cancel", [["SOCK-R", 1]]],
  ["colours", B, "-1", "cancel", [[null, 1]]],
  ["colours", B, "減1", "cancel", [[null, 1]]],
  [
    "colours",
    B,
    "紅-1 白-1",
    "cancel",
    [
      ["SOCK-R", 1],
      ["SOCK-W", 1]
    ]
  ],
  ["colours", B, "紅+1 白-1", "review", undefined, "amend"],
  ["colours", B, "紫-1", "review", undefined, "cancel"],
  ["colours", B, "紅-0", "review", undefined, "cancel"],
  ["single", B, "-1", "cancel", [["EGG", 1]]],
  ["single", B, "－２", "cancel", [["EGG", 2]]],
  ["single", B, "蛋黃酥 -1", "cancel", [["EGG", 1]]],
  ["mixed", B, "蛋黃酥-1", "cancel", [["EGG", 1]]],
  ["mixed", B, "-1", "cancel", [[null, 1]]]
]

// ── amendments ──
const amends: ReadonlyArray<Row> = [
  ["single", B, "改+3", "amend", [["EGG", 3]]],
  ["single", B, "改成3", "amend", [["EGG", 3]]],
  ["single", B, "改為3", "amend", [["EGG", 3]]],
  ["single", B, "改为3", "amend", [["EGG", 3]]],
  ["single", B, "改3個", "amend", [["EGG", 3]]],
  ["single", B, "改成兩盒", "amend", [["EGG", 2]]],
  ["colours", B, "改+3", "amend", [[null, 3]]],
  ["colours", B, "改成2", "amend", [[null, 2]]],
  ["colours", B, "紅改+3", "amend", [["SOCK-R", 3]]],
  ["colours", B, "紅色改成2", "amend", [["SOCK-R", 2]]],
  [
    "colours",
    B,
    "紅改3 白改1",
    "amend",
    [
      ["SOCK-R", 3],
      ["SOCK-W", 1]
    ]
  ],
  ["colours", B, "紅色改白色", "review", [], "amend"],
  ["colours", B, "改成白色", "review", [], "amend"],
  ["colours", B, "改", "review", [], "amend"],
  ["colours", B, "改成0", "review", undefined, "amend"],
  ["colours", B, "改成99", "review", undefined, "amend"],
  ["colours", B, "紫色改2", "review", undefined, "amend"],
  ["sizes", B, "黑L改+2", "amend", [["TEE-B-L", 2]]],
  ["sizes", B, "黑L改成白L", "review", [], "amend"],
  ["colours", B, "改天再+1", "review", undefined, "order"]
]

// ── payments ──
const payments: ReadonlyArray<Row> = [
  ["single", B, "已匯款", "payment", []],
  ["single", B, "已匯款 980", "payment", []],
  ["single", B, "已匯款 980 後五碼12345", "payment", []],
  ["single", B, "已转账 980 后五码 12345", "payment", []],
  ["single", B, "已轉帳1,300元 末五碼 54321", "payment", []],
  ["single", B, "匯了 後5碼:00123", "payment", []],
  ["single", B, "轉了喔 $600", "payment", []],
  ["single", B, "已付款 NT$1,200", "payment", []],
  ["single", B, "已汇款", "payment", []],
  ["single", B, "後五碼12345", "payment", []],
  ["single", B, "已匯款了嗎?", "review", [], "payment"],
  ["single", B, "已匯款 +1", "review", [], "payment"],
  ["single", B, "匯款帳號是多少?", "none", []],
  ["single", B, "匯款980", "review", [], "payment"]
]

const all: ReadonlyArray<Row> = [
  ...markers,
  ...fillers,
  ...products,
  ...lenient,
  ...questions,
  ...cancels,
  ...amends,
  ...payments
]

describe("labelled examples", () => {
  it("has at least 200 rows", () => {
    expect(all.length).toBeGreaterThanOrEqual(200)
  })
  for (const row of all) {
    const [cat, mode, text, intent, lines, likely] = row
    it(`${cat}/${mode} ${JSON.stringify(text)} → ${intent}`, () => {
      const r = parserFor(cat, mode).parse(text)
      expect({ intent: r.intent, reason: r.reason }).toMatchObject({ intent })
      expect(r.reason.length).toBeGreaterThan(0)
      if (lines !== undefined) expect(r.lines).toEqual(lines.map(([sku, qty]) => ({ sku, qty })))
      // A review names the likely intent exactly (none when the row gives none).
      if (intent === "review" || likely !== undefined) expect(r.likely).toBe(likely)
      for (const s of r.spans) {
        expect(s.start).toBeGreaterThanOrEqual(0)
        expect(s.end).toBeLessThanOrEqual(text.length)
        expect(s.start).toBeLessThan(s.end)
      }
    })
  }
})

describe("payments carry amount and last5", () => {
  const p = parserFor("single", "marker")
  it.each([
    ["已匯款 980 後五碼12345", 980, "12345"],
    ["已转账 980 后五码 12345", 980, "12345"],
    ["已轉帳1,300元 末五碼 54321", 1300, "54321"],
    ["匯了 後5碼:00123", undefined, "00123"],
    ["轉了喔 $600", 600, undefined],
    ["已付款 NT$1,200", 1200, undefined],
    ["已匯款", undefined, undefined],
    ["12/5 已匯款 1500", 1500, undefined],
    ["已匯款 12345", undefined, undefined]
  ] as const)("%s", (text, amount, last5) => {
    const r = p.parse(text)
    expect(r.intent).toBe("payment")
    expect(r.amount).toBe(amount)
    expect(r.last5).toBe(last5)
  })
})
