/** The vectors of ../shared/docs/research/invoicing.md §5 (key/IV of the stage merchant, §4), verbatim. */
export const STAGE = { merchantId: "2000132", hashKey: "ejCk326UnaZWKisg", hashIV: "q9jcZX8Ib9LM8wYk" }

export const published = [
  // ECPay doc 參數加密方式說明 example ✅
  {
    plain: `{"Name":"Test","ID":"A123456789"}`,
    url: "%7B%22Name%22%3A%22Test%22%2C%22ID%22%3A%22A123456789%22%7D",
    data: "uvI4yrErM37XNQkXGAgRgJAgHn2t72jahaMZzYhWL1HmvH4WV18VJDP2i9pTbC+tby5nxVExLLFyAkbjbS2Dvg=="
  },
  {
    plain: `{"MerchantID":"2000132","BarCode":"/1234567"}`,
    data: "XeEOdHpTRvxKEqs/JD9RSd16s7VtpyWVCN6AV44pKTW3DVa6yI7vKmjBRp2eulDhXoru/qBqFDBH3fEqlkMn3bbJfJBfGAq+v+SvttutYnc="
  },
  {
    plain: `{"BarCode":"/1234567","MerchantID":"2000132"}`,
    data: "r0JSyF9wVmywUav725b3rdJs3xp/ekrC/7PGb18zhKyXkPsamV9l4rPnBkaaraPcHtMSwrmSPP3wuS7b8g/aAKGs0iGiknpgpbdXKXvFrYM="
  },
  {
    plain: `{"Name":"test!*'()~value"}`,
    url: "%7B%22Name%22%3A%22test%21%2A%27%28%29%7Evalue%22%7D",
    data: "uvI4yrErM37XNQkXGAgRgBuDOiJoVs72Xn/rum9Ejl1DSna4HyLSoY7764PmhTR7JXb9jJWLSjCGcZEDeFiABg=="
  },
  // 32 bytes of urlencoded text: a full padding block
  { plain: `{"N":"1234567890"}`, data: "gVwWJnIpl1m3ZDypcRAjiCctilYnQhHn4h8OzJP5IxQPov7HuysXX+jPONvrHS7Z" }
] as const

/** Another key pair (moroz/elixir_ecpay_invoice), the doc's plain text. */
export const otherKeys = {
  hashKey: "A123456789012345",
  hashIV: "B123456789012345",
  plain: `{"Name":"Test","ID":"A123456789"}`,
  data: "7woM9RorZKAtXJRVccAb0qhHYm+5lnlhBzyfh5EZdNck7PacNsRHgv/Jvp//ajJidqcQcs0UmAgPQVjXQHeziw=="
}

/** 📐 Issue, group-buy order, mobile barcode. */
export const issue = {
  plain: `{"MerchantID":"2000132","RelateNumber":"GB20240501A001","CustomerEmail":"buyer@example.com","Print":"0","Donation":"0","CarrierType":"3","CarrierNum":"/ABC+123","TaxType":"1","SalesAmount":1180,"Items":[{"ItemName":"芒果(愛文)","ItemCount":2,"ItemWord":"箱","ItemPrice":590,"ItemTaxType":"1","ItemAmount":1180}],"InvType":"07","vat":"1"}`,
  url: "%7B%22MerchantID%22%3A%222000132%22%2C%22RelateNumber%22%3A%22GB20240501A001%22%2C%22CustomerEmail%22%3A%22buyer%40example.com%22%2C%22Print%22%3A%220%22%2C%22Donation%22%3A%220%22%2C%22CarrierType%22%3A%223%22%2C%22CarrierNum%22%3A%22%2FABC%2B123%22%2C%22TaxType%22%3A%221%22%2C%22SalesAmount%22%3A1180%2C%22Items%22%3A%5B%7B%22ItemName%22%3A%22%E8%8A%92%E6%9E%9C%28%E6%84%9B%E6%96%87%29%22%2C%22ItemCount%22%3A2%2C%22ItemWord%22%3A%22%E7%AE%B1%22%2C%22ItemPrice%22%3A590%2C%22ItemTaxType%22%3A%221%22%2C%22ItemAmount%22%3A1180%7D%5D%2C%22InvType%22%3A%2207%22%2C%22vat%22%3A%221%22%7D",
  data: "XeEOdHpTRvxKEqs/JD9RSd16s7VtpyWVCN6AV44pKTV7XoPByaStato0iqOI39rI7Qmxv3nyMKLcFpkBFW/KMfkqswyHwsPjP5lt80TU9wL6jZnAHicyVtcKEuJttb1nmRZqsWDdfo4PH+s/g6HHXRxQpkY3UMB6EEMWFE25bZeFhzSgMwirwyqeSJGGoNFdmjukPi1nlvmRN1LWButqMkdxo+NRMbODIs/cwzN0uFuEl9PNLTt3fMx9q6tf0p/ZH9fuDs/84tocIrXr6HvdPyExfQPRsqtY3SVAl7Fym2fBo740+6+CcNXNEobHCRVk3O4nnyPSReTGrjdk+uS9IbBDjjLFrQppUkE1mLzvTHGCoQt1MH555fo+5/mXSGlE9P3MTQPXNQfXxVla1mHstqbUmJimFXr5FKfZf3XBJ/DyH2T/m0sik3+ju7mRiu+didleuEHJRhBedDL7eOdpIX3rJICjc04FBfPem7hXgMHxzD59n1SXSPz92+Dlz5E7Ztjr00uRaxMM8R4CD9PGhAwHL0KbD3iMd9U/YQcvNy0/Jz5hYFgJkWFjULCazJqwSr7wTp3Bxn1TAGRp15dOyh8TWxgiF+K8tdaVQjfqP+EmKnR8PaDiBglY1TpRyMSIOne4KexJz3Z9PEDQZxEmwvTTJWY9ZWROGEo1I//OJpsO633HI8AaRkjOmuSKYFaEPGPlyDD/Mg8y2QkeAiCw2S/1XjRJb3TDxZ3HMJ1XPlthROsoI56DScI5C5gQd0I4uAKS++Z7QYVye6s/nOvKXw=="
}

/** 📐 Invalid. */
export const invalid = {
  plain: `{"MerchantID":"2000132","InvoiceNo":"UV11100012","InvoiceDate":"2019-09-17","Reason":"團購取消"}`,
  data: "XeEOdHpTRvxKEqs/JD9RSd16s7VtpyWVCN6AV44pKTUBUbt3mZEoyD3XQjjBRhcwWWpTq4x/kvcK5h4Rfv3hd1UP8S64C2a8kjNzTWz36/khXJ3WpGSc/KjPnDhaZJaA10gHLzgkS4RowOQwG0HFplHIq3ZSGTb1snE1o0vdJG9O5YI1liq29eye+4yS8Mtbpt0WC2qZgtg/VnUwM3iofR1+Enk1XEoYOpr0vwsN5vI="
}

/** 📐 A response Data shaped like the documented Issue response. */
export const issueResponse = {
  data: "vvdAMLz9ExDnnpaFkuViYPSatH9S6psFksGPOsEt6BWBpEsAfJ+Mfx6I1zUJH7gwKD7xOth9Xx0KNwT9Q3IMdsA+1mBXOJnRH9rCGO5SwAy0Djq4/4bso5oXbMS6lKNUVNIpLJbRoddf9yFCRDW8WFzaSXyIa322Sj9++NoSx9YykTRUA8N5vJ07lT7ZC9rxNx4PbKE82XgS3UUea/dz7eEvbejULSsi+zGjvKqSlsPgn99dvWr1LKiHPcQlVaFANH592PlEljbCcqNT7AKxdE2g4bhRTg89nuDy3n4fqeDskvfRyuBoMA9U6Fu8iRW/",
  json: `{"RtnCode":1,"RtnMsg":"開立發票成功","InvoiceNo":"UV11100012","InvoiceDate":"2019-09-17 17:17:31","RandomNumber":"6866"}`
}
