/**
 * The command table. Each command's module is loaded only when that command runs, so a command
 * pays at start-up only for what it uses (`parse` does not load the server, the SQL drivers or
 * the spreadsheet reader).
 */
import type { Command } from "./Io.js"

/** Loads a command's module and returns the command. */
export type CommandLoader = () => Promise<Command>

/** The commands by name (`round replay` and `token create|revoke|list` are two words). */
export const commands: Readonly<Record<string, CommandLoader | undefined>> = {
  demo: () => import("./commands/demo.js").then((m) => m.run),
  export: () => import("./commands/export.js").then((m) => m.run),
  parse: () => import("./commands/parse.js").then((m) => m.run),
  reconcile: () => import("./commands/reconcile.js").then((m) => m.run),
  "round import": () => import("./commands/import.js").then((m) => m.run),
  "round replay": () => import("./commands/replay.js").then((m) => m.run),
  "round publish": () => import("./commands/publish.js").then((m) => m.run),
  serve: () => import("./commands/serve.js").then((m) => m.run),
  "token create": () => import("./commands/token.js").then((m) => m.create),
  "token revoke": () => import("./commands/token.js").then((m) => m.revoke),
  "token list": () => import("./commands/token.js").then((m) => m.list),
  slips: () => import("./commands/slips.js").then((m) => m.run),
  picklist: () => import("./commands/picklist.js").then((m) => m.run),
  members: () => import("./commands/members.js").then((m) => m.run),
  report: () => import("./commands/report.js").then((m) => m.run)
}

/** The command names, for "did you mean …?". */
export const commandNames: ReadonlyArray<string> = Object.keys(commands)
