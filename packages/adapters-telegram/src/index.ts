/**
 * `@kaituan/adapters-telegram`: the Telegram Bot API channel adapter (webhook in, `sendMessage`
 * out) and the Telegram Desktop `result.json` importer.
 *
 * @packageDocumentation
 */
export * as TelegramChannel from "./TelegramChannel.js"
export * as TelegramExport from "./TelegramExport.js"
export * as TelegramUpdate from "./TelegramUpdate.js"
/** The message texts: `@kaituan/core`'s `MessageTemplates`, shared by every channel. */
export { MessageTemplates as Templates } from "@kaituan/core"
