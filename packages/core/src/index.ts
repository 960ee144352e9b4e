/**
 * `@kaituan/core`: the domain of social group buying (rounds, orders, payments, shipments) as
 * pure deciders, the ports adapters implement, and the use cases that compose them.
 *
 * @packageDocumentation
 */
export * as Buyer from "./Buyer.js"
export * as Catalogue from "./Catalogue.js"
export * as ChannelAdapter from "./ChannelAdapter.js"
export * as ChannelContract from "./ChannelContract.js"
export * as ChannelRegistry from "./ChannelRegistry.js"
export * as CommentParser from "./CommentParser.js"
export * as GroupBuy from "./GroupBuy.js"
export * as Http from "./Http.js"
export * as IdGenerator from "./IdGenerator.js"
export * as Ids from "./Ids.js"
export * as Money from "./Money.js"
export * as Notification from "./Notification.js"
export * as OutboxRelay from "./OutboxRelay.js"
export * as Order from "./Order.js"
export * as ParseResult from "./ParseResult.js"
export * as Payment from "./Payment.js"
export * as PaymentGateway from "./PaymentGateway.js"
export * as Projector from "./Projector.js"
export * as ReadModel from "./ReadModel.js"
export * as Round from "./Round.js"
export * as RoundSpec from "./RoundSpec.js"
export * as Shipment from "./Shipment.js"
export * as Storage from "./Storage.js"
export * as StorageContract from "./StorageContract.js"
