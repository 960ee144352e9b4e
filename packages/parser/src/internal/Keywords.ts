/**
 * The fixed vocabulary of the parser (docs/parsing.md), written as people type it; every word is
 * folded (width, case, Traditional → Simplified) before it goes into the trie, so listing one
 * script is enough unless the two scripts use different characters (帳 / 账).
 */

export const K_FILLER = 1
/** A wanting word (我要, 想要…): a filler that also makes "我要A1" a review. */
export const K_WANT = 2
/** 幫 / 代 at the start: ordering for someone else. */
export const K_HELP = 3
export const K_QUESTION = 4
/** 呢: a question only at the end. */
export const K_QFINAL = 5
export const K_CONDITION = 6
export const K_CANCEL = 7
/** 不要 (without 了): a negation. */
export const K_NEG = 8
/** 不 (before a marker: "我不+1了"). */
export const K_NOT = 9
export const K_PAY = 10
/** 匯款 / 轉帳 without 已 or 了: about paying, not a report by itself. */
export const K_PAYWEAK = 11
export const K_LAST5 = 12
export const K_AMEND = 13
export const K_GE = 14
export const K_BUNDLE = 15
export const K_JIA = 16
export const K_REDUCE = 17
export const K_EXTRA_MARKER = 18
export const K_CURRENCY_PREFIX = 19
/** Words that contain digits but are never quantities (7-11, 3Q). */
export const K_NOISE = 20
/** 改善, 改變…: words that start with 改 but are not changes. */
export const K_SWAP = 21
/**
 * A hedge: the buyer only wishes to, or says why not ("但", "可是", "太貴", "算了", "下次",
 * "考慮", "不能", "+1不了", "好想"). Anywhere in a comment with a marker → review.
 */
export const K_HEDGE = 22
/** 沒 / 没有: a negation only right next to a marker ("沒+1", "+1沒"); elsewhere an ordinary word. */
export const K_NEGNEAR = 23
/** 跟 right before a marker ("跟+1": following someone else's comment); elsewhere an ordinary word. */
export const K_FOLLOW = 24
/** Words that point at another comment ("同上", "同樓上"): its content is elsewhere → review. */
export const K_POINT = 25
/** "Me too" fillers (我也, 也, me too): alone, without a marker or a name → review. */
export const K_METOO = 26
/** "Me too" wanting words (我也要, 也要): like {@link K_WANT}, and alone → review. */
export const K_METOO_WANT = 27

export const keywords: ReadonlyArray<readonly [number, ReadonlyArray<string>]> = [
  [
    K_FILLER,
    [
      "我",
      "再",
      "請",
      "麻煩",
      "麻煩你",
      "給我",
      "好",
      "喔",
      "哦",
      "噢",
      "啊",
      "呀",
      "啦",
      "囉",
      "咯",
      "了",
      "的",
      "唷",
      "喲",
      "耶",
      "哈",
      "哈哈",
      "嗨",
      "您好",
      "你好",
      "謝謝",
      "谢谢",
      "感謝",
      "感恩",
      "多謝",
      "謝啦",
      "訂單",
      "訂",
      "全部",
      "都",
      "一下",
      "抱歉",
      "不好意思",
      "對不起",
      "对不起",
      "團媽",
      "團主",
      "老闆",
      "闆娘",
      "老闆娘",
      "小幫手",
      "取貨",
      "面交",
      "宅配",
      "自取",
      "超商",
      "~",
      "thanks",
      "thank you",
      "thx",
      "ty",
      "tks",
      "pls",
      "please",
      "plz",
      "hi",
      "hello",
      "me",
      "i",
      "i want",
      "want"
    ]
  ],
  [
    K_WANT,
    ["要", "我要", "想", "想要", "我想", "我想要", "還要", "再要", "我還要", "我再要", "要買", "想買", "我要買"]
  ],
  [K_HELP, ["幫", "幫我", "代", "代訂", "代購", "幫忙", "幫朋友", "代朋友"]],
  [
    K_QUESTION,
    [
      "嗎",
      "吗",
      "還有",
      "多少",
      "幾",
      "有沒有",
      "有没有",
      "請問",
      "什麼",
      "甚麼",
      "怎麼",
      "為什麼",
      "哪",
      "是否",
      "是不是",
      "同問",
      "同问",
      "how much",
      "how many",
      "any left"
    ]
  ],
  [K_QFINAL, ["呢"]],
  [K_CONDITION, ["如果", "假如", "若", "要是", "的話", "如有", "萬一", "可能", "或許", "也許", "if", "maybe"]],
  [K_CANCEL, ["取消", "不要了", "退出", "cancel", "不跟了", "不買了", "退單", "退团", "退團"]],
  [K_NEG, ["不要", "不用", "別", "no"]],
  [K_NOT, ["不"]],
  [
    K_PAY,
    [
      "已匯款",
      "已匯",
      "已轉帳",
      "已转账",
      "已轉賬",
      "已轉",
      "匯了",
      "轉了",
      "已付款",
      "已付",
      "付款了",
      "付了",
      "匯款了",
      "轉帳了",
      "转账了",
      "已繳費",
      "已繳款",
      "paid"
    ]
  ],
  [K_PAYWEAK, ["匯款", "轉帳", "转账", "付款", "匯"]],
  [
    K_LAST5,
    ["後五碼", "末五碼", "後5碼", "末5碼", "帳號後五碼", "账号后五码", "後五", "末五", "後5", "末5", "last5", "last 5"]
  ],
  [K_AMEND, ["改", "改成", "改為", "改为", "改到", "修改", "更改", "修改成", "更改為", "換成", "換"]],
  [K_SWAP, ["改善", "改變", "改进", "改進"]],
  [
    K_HEDGE,
    [
      // negations that are words of their own
      "不了",
      "不能",
      "不行",
      "不可以",
      "不確定",
      "不一定",
      "先不",
      "先不要",
      "買不起",
      "买不起",
      "捨不得",
      "舍不得",
      "沒錢",
      "没钱",
      "沒有錢",
      "没有钱",
      "沒預算",
      "沒辦法",
      "没办法",
      // "but"
      "但",
      "但是",
      "可是",
      "不過",
      "不过",
      "可惜",
      // too expensive
      "太貴",
      "太贵",
      "好貴",
      "有點貴",
      "有点贵",
      // giving up, later, thinking it over
      "算了",
      "下次",
      "下回",
      "下一次",
      "下一團",
      "下一团",
      "改天",
      "改日",
      "以後再",
      "考慮",
      "考虑",
      "再考慮",
      "看看",
      "再看看",
      "想想",
      "再想想",
      "再說",
      "再说",
      "猶豫",
      "犹豫",
      // wishing
      "好想",
      "好想要",
      "很想",
      "很想要",
      "真想",
      "真想要",
      "can't",
      "can’t",
      "cannot",
      "but",
      "next time",
      "too expensive",
      "not sure"
    ]
  ],
  [K_NEGNEAR, ["沒", "没", "沒有", "没有"]],
  [K_FOLLOW, ["跟"]],
  [
    K_POINT,
    [
      "同上",
      "同樓上",
      "同楼上",
      "跟樓上",
      "跟楼上",
      "同上面",
      "跟上面",
      "同前",
      "同樓",
      "同楼",
      "和樓上一樣",
      "ditto",
      "same",
      "same as above"
    ]
  ],
  [K_METOO, ["也", "我也", "我也是", "我也一樣", "me too", "too"]],
  [K_METOO_WANT, ["也要", "我也要", "我也想", "我也想要", "也想要", "我也要買"]],
  [K_GE, ["各"]],
  [K_BUNDLE, ["包色", "包", "全色", "每色"]],
  [K_JIA, ["加"]],
  [K_REDUCE, ["減", "减"]],
  [K_CURRENCY_PREFIX, ["$", "nt", "nt$", "ntd", "twd"]],
  [K_NOISE, ["7-11", "711", "7-eleven", "seven", "3q", "3q3q", "88", "520", "1314", "24h", "24小時"]]
]

/** Units after a number: "2個" (docs/parsing.md's list plus a few common ones). */
export const units = "個个份盒包組组件箱瓶袋顆颗入斤雙双條条罐杯支片隻套張张本串盤"

/** Currency words after a number: "120元". */
export const currencySuffixes = ["元", "塊", "块", "圓", "圆", "円", "$", "nt", "ntd", "蚊", "dollars"]

/** Suffixes that make a number a date, a time or a measure, never a quantity. */
export const measureSuffixes = "月日號号点點時时分秒天岁歲樓楼度年週周折%％㎝公克斤"

/** Chinese numerals: value of each character (百/千 as multipliers). */
export const numeralValues: ReadonlyArray<readonly [string, number]> = [
  ["〇", 0],
  ["零", 0],
  ["一", 1],
  ["二", 2],
  ["兩", 2],
  ["两", 2],
  ["三", 3],
  ["四", 4],
  ["五", 5],
  ["六", 6],
  ["七", 7],
  ["八", 8],
  ["九", 9],
  ["十", 10],
  ["百", 100],
  ["千", 1000]
]
