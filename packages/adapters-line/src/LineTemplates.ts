/**
 * The texts kaituan sends buyers on LINE: `@kaituan/core`'s {@link MessageTemplates} (one text
 * per message kind, zh-TW and English defaults, organiser overrides with `{name}` placeholders),
 * cut to LINE's {@link MAX_TEXT_LENGTH}. See `MessageTemplates` for the data keys and placeholders.
 *
 * @since 0.1.0
 */
import { MessageTemplates, type Notification } from "@kaituan/core"

/** The template variables of a message: its raw `data`. */
export type Data = MessageTemplates.Data
/** The formatted variables every template can use. */
export type Vars = MessageTemplates.Vars
/** A template: a function of the message data (and its formatted vars), or a `{name}` placeholder string. */
export type Template = MessageTemplates.Template
/** Overrides per kind. */
export type Templates = MessageTemplates.Templates
/** The built-in languages. */
export type Locale = MessageTemplates.Locale

/** Formats integer TWD as `NT$1,300`. */
export const money = MessageTemplates.money
/** The formatted variables of a message's data. */
export const vars = MessageTemplates.vars
/** The built-in templates per locale. */
export const defaults = MessageTemplates.defaults
/** Fills `{name}` placeholders from `vars`, then from raw string/number `data`; unknown names stay as written. */
export const fill = MessageTemplates.fill

/** The longest text LINE accepts in one text message. */
export const MAX_TEXT_LENGTH = 5000

/** Cuts a text to LINE's limit (with an ellipsis). */
export const clamp = (text: string): string => MessageTemplates.clamp(text, MAX_TEXT_LENGTH)

/** Renders one message (cut to LINE's limit): the organiser's template for its kind if any, else the built-in one. */
export const render = (
  kind: Notification.MessageKind,
  data: Data,
  options: { readonly templates?: Templates | undefined; readonly locale?: Locale | undefined } = {}
): string => MessageTemplates.render(kind, data, { ...options, maxLength: MAX_TEXT_LENGTH })
