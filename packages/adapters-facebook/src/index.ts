/**
 * `@kaituan/adapters-facebook`: the Facebook Page channel adapter (webhook handshake, signature,
 * `feed` comment changes in; private and public replies out), the Graph API comment puller, and
 * the importer of saved comment pages.
 *
 * @packageDocumentation
 */
export * as FacebookChannel from "./FacebookChannel.js"
export * as FacebookExport from "./FacebookExport.js"
export * as FacebookSignature from "./FacebookSignature.js"
export * as FacebookWebhook from "./FacebookWebhook.js"
export * as GraphComments from "./GraphComments.js"
export * as PrivateReplies from "./PrivateReplies.js"
/** The message texts: `@kaituan/core`'s `MessageTemplates`, shared by every channel. */
export { MessageTemplates as Templates } from "@kaituan/core"
