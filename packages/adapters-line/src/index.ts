/**
 * `@kaituan/adapters-line`: the LINE Messaging API as a kaituan channel (webhook verification and
 * decoding, display names, reply/push with retries and templates) and an importer for LINE's
 * "export chat history" .txt files.
 *
 * @packageDocumentation
 */
export * as LineChannel from "./LineChannel.js"
export * as LineExport from "./LineExport.js"
export * as LineSignature from "./LineSignature.js"
export * as LineTemplates from "./LineTemplates.js"
export * as LineTestServer from "./LineTestServer.js"
export * as LineWebhook from "./LineWebhook.js"
