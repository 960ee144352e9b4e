/**
 * ECPay's logistics status notification (物流狀態通知): a server POST to the order's
 * `ServerReplyURL`, `application/x-www-form-urlencoded`, signed with an MD5 `CheckMacValue`
 * (protocols.md §6.3): `MerchantID, MerchantTradeNo, RtnCode, RtnMsg, AllPayLogisticsID,
 * LogisticsType, LogisticsSubType, GoodsAmount, UpdateStatusDate, ReceiverName, ReceiverPhone,
 * ReceiverCellPhone, ReceiverEmail, ReceiverAddress, CVSPaymentNo, CVSValidationNo, BookingNote`.
 * ECPay sends it again until it is answered `1|OK`.
 *
 * The CheckMacValue is checked (constant time) before anything else is read. The receiver's
 * fields are personal data: they are covered by the MAC but never decoded, kept or logged.
 *
 * `RtnCode` → {@link Logistics.StatusKind} ({@link KINDS}). protocols.md has no status table (an
 * open item); these codes are the ones ECPay's legacy logistics SDK examples and several public
 * ECPay integrations agree on:
 *
 * | kind | codes |
 * | --- | --- |
 * | `in-transit` | `300` order received, `2001` file sent, `2068` 7-ELEVEN C2C dropped off at the store, `2030` / `3024` at the logistics centre (7-ELEVEN, Hi-Life / FamilyMart, Hi-Life, OK) |
 * | `arrived-at-store` | `2073` 7-ELEVEN C2C, `2063` 7-ELEVEN B2C / Hi-Life, `3018` FamilyMart / Hi-Life / OK |
 * | `picked-up` | `2067` 7-ELEVEN / Hi-Life, `3022` FamilyMart / Hi-Life / OK |
 * | `unclaimed` | `2074` 7-ELEVEN / Hi-Life, `3020` FamilyMart / Hi-Life / OK (消費者七天未取件) |
 * | `delivered` | `3003` TCAT delivered (配完) |
 *
 * Every other code is `other`: kept with its text, never acted on, never an error. The codes for
 * "not picked up" name the pick-up window: a parcel that arrives at a store waits seven days, so
 * `pickUpBy` of an arrival is {@link PICKUP_DAYS} days after its `UpdateStatusDate`.
 *
 * @since 0.3.0
 */
import { FormBody, type Http, Logistics, TaipeiTime } from "@kaituan/core"
import { CheckMacValue } from "@kaituan/payments-ecpay"
import { Result } from "effect"

/** `RtnCode` → normalised kind (see the module comment for the sources). */
export const KINDS: Readonly<Record<string, Logistics.StatusKind>> = {
  "300": "in-transit",
  "2001": "in-transit",
  "2068": "in-transit",
  "2030": "in-transit",
  "3024": "in-transit",
  "2073": "arrived-at-store",
  "2063": "arrived-at-store",
  "3018": "arrived-at-store",
  "2067": "picked-up",
  "3022": "picked-up",
  "2074": "unclaimed",
  "3020": "unclaimed",
  "3003": "delivered"
}

/** The kind of an `RtnCode`: `other` for a code this version does not know. */
export const kindOf = (rtnCode: string): Logistics.StatusKind => KINDS[rtnCode] ?? "other"

/** Days a parcel waits at the store (the "七天未取" codes 2074 and 3020). */
export const PICKUP_DAYS = 7

/** ECPay's answer to an accepted notification: exactly `1|OK`. */
export const ACCEPTED = "1|OK"

/** ECPay's answer to a refused notification: `0|` and a message (no `|`, CR or LF in it). */
export const refusal = (message = "ErrorMessage"): string => `0|${message.replace(/[|\r\n]/g, " ")}`

/** The answer to a notification: `1|OK` (200) when accepted, `0|…` (400) when refused. */
export const acknowledge = (accepted: boolean): Http.PlainResponse => ({
  status: accepted ? 200 : 400,
  headers: { "content-type": "text/plain; charset=utf-8" },
  body: accepted ? ACCEPTED : refusal()
})

const fail = (reason: Logistics.LogisticsError["reason"], message: string) =>
  Result.fail(new Logistics.LogisticsError({ reason, message }))

const present = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === "" ? undefined : value.trim()

const REFERENCE = /^[A-Za-z0-9]{1,20}$/
const IDENTIFIER = /^[\x21-\x7e]{1,64}$/
const DAY_MS = 86_400_000

/** The status fields as a `StatusUpdate` (the MAC checked already). */
export const toStatusUpdate = (
  fields: FormBody.Fields,
  merchantId: string
): Result.Result<Logistics.StatusUpdate, Logistics.LogisticsError> => {
  const merchant = present(fields.MerchantID)
  if (merchant !== merchantId)
    return fail("unauthorized", `the notification is for merchant ${merchant ?? "(none)"}, not ${merchantId}`)
  const code = present(fields.RtnCode)
  const reference = present(fields.MerchantTradeNo)
  const carrierOrderId = present(fields.AllPayLogisticsID)
  if (code === undefined || reference === undefined || carrierOrderId === undefined)
    return fail("invalid-payload", "the notification lacks RtnCode, MerchantTradeNo or AllPayLogisticsID")
  if (!REFERENCE.test(reference)) return fail("invalid-payload", "MerchantTradeNo is not 1–20 letters or digits")
  if (!IDENTIFIER.test(carrierOrderId) || !/^\d{1,12}$/.test(code))
    return fail("invalid-payload", "AllPayLogisticsID or RtnCode is malformed")
  const kind = kindOf(code)
  const updated = present(fields.UpdateStatusDate)
  const at = updated === undefined ? undefined : TaipeiTime.taipeiToIso(updated)
  const pickUpBy =
    kind === "arrived-at-store" && at !== undefined
      ? new Date(Date.parse(at) + PICKUP_DAYS * DAY_MS).toISOString()
      : undefined
  const message = present(fields.RtnMsg)
  return Result.succeed({
    reference,
    carrierOrderId,
    kind,
    code,
    ...(message === undefined ? {} : { message: [...message].slice(0, 200).join("") }),
    ...(at === undefined ? {} : { at: new Date(Date.parse(at)).toISOString() }),
    ...(pickUpBy === undefined ? {} : { pickUpBy })
  })
}

/**
 * Verifies and decodes a status notification: form body → MD5 CheckMacValue (before anything
 * else is read; a missing or wrong one is `unauthorized`) → `StatusUpdate`. A body that is not a
 * UTF-8 form (or repeats a field) is `invalid-payload`.
 */
export const decode = (
  request: Http.InboundRequest,
  options: { readonly keys: CheckMacValue.Keys; readonly merchantId: string }
): Result.Result<Logistics.StatusUpdate, Logistics.LogisticsError> =>
  Result.gen(function* () {
    const fields = yield* Result.mapError(
      FormBody.parseForm(request.rawBody),
      (message) => new Logistics.LogisticsError({ reason: "invalid-payload", message })
    )
    if (present(fields[CheckMacValue.FIELD]) === undefined)
      return yield* fail("unauthorized", "the notification has no CheckMacValue")
    if (!CheckMacValue.verify(fields, options.keys, "md5"))
      return yield* fail("unauthorized", "CheckMacValue does not match")
    return yield* toStatusUpdate(fields, options.merchantId)
  })

/** A notification body the way ECPay posts it, signed with the merchant's keys: for tests, stand-ins and demos. */
export const encode = (fields: FormBody.Fields, keys: CheckMacValue.Keys): string =>
  FormBody.encodeForm(CheckMacValue.sign(fields, keys, "md5"))
