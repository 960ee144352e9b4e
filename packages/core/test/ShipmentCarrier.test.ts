import { describe, expect, it } from "@effect/vitest"
import { Result, Schema } from "effect"
import fc from "fast-check"
import { type Logistics, Shipment } from "../src/index.js"

const stores: ReadonlyArray<Logistics.Store> = [
  { carrier: "familymart", storeId: "006598", storeName: "全家台北信義店", address: "台北市信義區" },
  { carrier: "familymart", storeId: "011402", storeName: "全家永和店", address: "新北市永和區" },
  { carrier: "7-eleven", storeId: "131386", storeName: "7-ELEVEN 鑫新門市", address: "台北市中正區" }
]

const arbCommand: fc.Arbitrary<Shipment.Command> = fc.oneof(
  fc.record({
    _tag: fc.constant("Pack" as const),
    shipmentId: fc.constant("s"),
    orderId: fc.constant("o"),
    lines: fc.constant([{ sku: "A", qty: 1 }]),
    method: fc.constantFrom("home" as const, "cvs" as const, "pickup" as const),
    pickupCode: fc.constantFrom(undefined, "ABCD2345"),
    at: fc.constant("t")
  }),
  fc.record({
    _tag: fc.constant("AssignCarrier" as const),
    carrier: fc.constantFrom<Logistics.Carrier>("7-eleven", "familymart", "hi-life", "ok", "tcat"),
    reference: fc.constantFrom("KREF1", "KREF2"),
    at: fc.constant("t")
  }),
  fc.record({ _tag: fc.constant("ChooseStore" as const), store: fc.constantFrom(...stores), at: fc.constant("t") }),
  fc.record({
    _tag: fc.constant("Ship" as const),
    carrier: fc.constantFrom(undefined, "全家"),
    trackingNo: fc.constantFrom(undefined, "17185460001"),
    carrierOrderId: fc.constantFrom(undefined, "1718546"),
    at: fc.constant("t")
  }),
  fc.record({
    _tag: fc.constant("CarrierReport" as const),
    kind: fc.constantFrom<Logistics.StatusKind>(
      "in-transit",
      "arrived-at-store",
      "picked-up",
      "delivered",
      "unclaimed",
      "other"
    ),
    code: fc.constantFrom("3018", "3022", "3020", "9999", ""),
    pickUpBy: fc.constantFrom(undefined, "2024-05-10T02:00:00.000Z"),
    at: fc.constant("t")
  }),
  fc.constant<Shipment.Command>({ _tag: "Deliver", at: "t" }),
  fc.record({
    _tag: fc.constant("PickUp" as const),
    code: fc.constantFrom("ABCD2345", "WRONG999"),
    at: fc.constant("t")
  }),
  fc.constant<Shipment.Command>({ _tag: "Return", reason: "damaged", at: "t" }),
  fc.constant<Shipment.Command>({ _tag: "RejectCode", at: "t" }),
  fc.constant<Shipment.Command>({ _tag: "Unlock", at: "t" })
)

const allowed = new Set(Shipment.transitions.map(([a, e, b]) => `${a}|${e}|${b}`))
const isStoreCarrier = (c: Logistics.Carrier | undefined) => c !== undefined && c !== "tcat"

describe("Shipment with a carrier", () => {
  it("every move is in the transition table, and the carrier invariants hold after every event", () => {
    fc.assert(
      fc.property(fc.array(arbCommand, { maxLength: 30 }), (commands) => {
        let s = Shipment.initialState
        let pickups = 0
        for (const c of commands) {
          const d = Shipment.decide(c, s)
          if (Result.isFailure(d)) continue
          for (const e of d.success) {
            const next = Shipment.evolve(s, e)
            const move = `${s.status}|${e._tag}|${next.status}`
            expect(allowed.has(move), move).toBe(true)
            if (e._tag === "ShipmentPickedUp") pickups++
            s = next
          }
          expect(pickups).toBeLessThanOrEqual(1)
          // A store belongs to the shipment's chain; only a store shipment has one.
          if (s.store !== undefined) {
            expect(s.store.carrier).toBe(s.carrier)
            expect(s.method).toBe("cvs")
          }
          // A carrier's chain matches the method: a store chain for cvs, TCAT for home.
          if (s.carrier !== undefined) expect(s.method).toBe(isStoreCarrier(s.carrier) ? "cvs" : "home")
          // A store-chain parcel leaves only with the buyer's store.
          if (s.status !== "packed" && s.status !== "none" && isStoreCarrier(s.carrier)) expect(s.store).toBeDefined()
          if (s.atStore) expect(s.status).toBe("shipped")
          if (s.status === "picked-up") expect(s.method === "pickup" || s.method === "cvs").toBe(true)
        }
      }),
      { numRuns: 500 }
    )
  })

  it("a carrier report decided twice decides nothing the second time (ECPay re-sends until answered)", () => {
    fc.assert(
      fc.property(fc.array(arbCommand, { maxLength: 30 }), arbCommand, (commands, last) => {
        let s = Shipment.initialState
        for (const c of commands) {
          const d = Shipment.decide(c, s)
          if (Result.isSuccess(d)) s = Shipment.fold(d.success, s)
        }
        if (last._tag !== "CarrierReport") return
        const first = Shipment.decide(last, s)
        if (Result.isFailure(first)) return
        const again = Shipment.decide(last, Shipment.fold(first.success, s))
        expect(Result.isSuccess(again) && again.success).toEqual([])
      }),
      { numRuns: 500 }
    )
  })

  it("a store shipment: packed, store chosen, shipped, at the store until the date, picked up", () => {
    const at = "2024-05-03T02:00:00.000Z"
    const steps: ReadonlyArray<Shipment.Command> = [
      { _tag: "Pack", shipmentId: "s", orderId: "o", lines: [{ sku: "A", qty: 1 }], method: "cvs", at },
      { _tag: "AssignCarrier", carrier: "familymart", reference: "KREF1", at },
      { _tag: "ChooseStore", store: stores[0]!, at },
      { _tag: "Ship", carrier: "全家", trackingNo: "17185460001", carrierOrderId: "1718546", at },
      { _tag: "CarrierReport", kind: "in-transit", code: "3024", at },
      { _tag: "CarrierReport", kind: "arrived-at-store", code: "3018", pickUpBy: "2024-05-10T02:00:00.000Z", at },
      { _tag: "CarrierReport", kind: "picked-up", code: "3022", at }
    ]
    const tags: Array<string> = []
    let s = Shipment.initialState
    for (const c of steps) {
      const events = Result.getOrThrow(Shipment.decide(c, s))
      tags.push(...events.map((e) => e._tag))
      s = Shipment.fold(events, s)
    }
    expect(tags).toEqual([
      "ShipmentPacked",
      "CarrierAssigned",
      "StoreChosen",
      "ShipmentShipped",
      "ShipmentArrivedAtStore",
      "ShipmentPickedUp"
    ])
    expect(s).toMatchObject({
      status: "picked-up",
      carrier: "familymart",
      reference: "KREF1",
      trackingNo: "17185460001",
      carrierOrderId: "1718546",
      pickUpBy: "2024-05-10T02:00:00.000Z",
      atStore: false
    })
  })

  it("refuses to ship a store parcel before the buyer chose a store, and a report before it shipped", () => {
    let s = Shipment.initialState
    for (const c of [
      { _tag: "Pack", shipmentId: "s", orderId: "o", lines: [{ sku: "A", qty: 1 }], method: "cvs", at: "t" },
      { _tag: "AssignCarrier", carrier: "7-eleven", reference: "KREF1", at: "t" }
    ] as const satisfies ReadonlyArray<Shipment.Command>)
      s = Shipment.fold(Result.getOrThrow(Shipment.decide(c, s)), s)
    const ship = Shipment.decide({ _tag: "Ship", at: "t" }, s)
    expect(Result.isFailure(ship) && ship.failure.reason).toBe("missing-store")
    const report = Shipment.decide({ _tag: "CarrierReport", kind: "picked-up", code: "2067", at: "t" }, s)
    expect(Result.isFailure(report) && report.failure.reason).toBe("invalid-state")
    const wrongChain = Shipment.decide({ _tag: "ChooseStore", store: stores[0]!, at: "t" }, s)
    expect(Result.isFailure(wrongChain) && wrongChain.failure.reason).toBe("wrong-method")
  })

  it("an unclaimed parcel comes back with reason unclaimed and the carrier's code", () => {
    let s = Shipment.initialState
    for (const c of [
      { _tag: "Pack", shipmentId: "s", orderId: "o", lines: [{ sku: "A", qty: 1 }], method: "cvs", at: "t" },
      { _tag: "AssignCarrier", carrier: "familymart", reference: "KREF1", at: "t" },
      { _tag: "ChooseStore", store: stores[0]!, at: "t" },
      { _tag: "Ship", trackingNo: "1", carrierOrderId: "1", at: "t" },
      { _tag: "CarrierReport", kind: "arrived-at-store", code: "3018", at: "t" }
    ] as const satisfies ReadonlyArray<Shipment.Command>)
      s = Shipment.fold(Result.getOrThrow(Shipment.decide(c, s)), s)
    const events = Result.getOrThrow(
      Shipment.decide({ _tag: "CarrierReport", kind: "unclaimed", code: "3020", at: "t2" }, s)
    )
    expect(events).toEqual([{ _tag: "ShipmentReturned", reason: Shipment.UNCLAIMED, carrierCode: "3020", at: "t2" }])
    expect(Shipment.fold(events, s)).toMatchObject({ status: "returned", returnReason: "unclaimed", atStore: false })
  })

  it("events stored before carriers existed still decode and fold the same", () => {
    const decode = Schema.decodeUnknownSync(Shipment.Event)
    const old = [
      { _tag: "ShipmentPacked", shipmentId: "s", orderId: "o", lines: [{ sku: "A", qty: 1 }], method: "home", at: "t" },
      { _tag: "ShipmentShipped", carrier: "黑貓", trackingNo: "T1", at: "t" },
      { _tag: "ShipmentDelivered", at: "t" },
      { _tag: "ShipmentReturned", reason: "damaged", at: "t" }
    ]
    const events = old.map((e) => decode(e))
    expect(events).toEqual(old)
    expect(Shipment.fold(events)).toMatchObject({
      status: "returned",
      method: "home",
      carrier: undefined,
      trackingNo: "T1",
      returnReason: "damaged"
    })
  })
})
