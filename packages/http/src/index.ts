/**
 * `@kaituan/http`: the organiser's back-office API as an Effect `HttpApi`: rounds, orders by
 * status, the review queue, payments (statements, decisions, cash), shipping, pickups, buyers,
 * dead letters and jobs under `/api/v1`, secured by bearer tokens with two roles, with its
 * OpenAPI document, a documentation page and a typed client.
 *
 * @packageDocumentation
 */
export * as Api from "./Api.js"
export * as Auth from "./Auth.js"
export * as Client from "./Client.js"
export * as Errors from "./Errors.js"
export * as Models from "./Models.js"
export * as Server from "./Server.js"
export * as SharedSnapshots from "./SharedSnapshots.js"
export * as Tokens from "./Tokens.js"
export * as WebHandler from "./WebHandler.js"
