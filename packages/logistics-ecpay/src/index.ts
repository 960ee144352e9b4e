/**
 * `@kaituan/logistics-ecpay`: ECPay logistics (綠界物流) as kaituan's `Logistics` port.
 *
 * @packageDocumentation
 */

/** The service, its options and layers. */
export * as ECPayLogistics from "./ECPayLogistics.js"
/** The store map (電子地圖) form and its verified reply. */
export * as StoreMap from "./StoreMap.js"
/** `/Express/Create`: the request fields and the `1|key=value&…` answer. */
export * as CreateOrder from "./CreateOrder.js"
/** The label (print) pages. */
export * as PrintPage from "./PrintPage.js"
/** Status notifications: verification, `RtnCode` → status, the `1|OK` answer. */
export * as StatusNotification from "./StatusNotification.js"
/** `LogisticsType` / `LogisticsSubType` of each carrier. */
export * as SubType from "./SubType.js"
