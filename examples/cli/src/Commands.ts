/** The command table. */
import type { Command } from "./Io.js"
import { run as demo } from "./commands/demo.js"
import { run as parse } from "./commands/parse.js"
import { run as reconcile } from "./commands/reconcile.js"
import { run as replay } from "./commands/replay.js"
import { run as serve } from "./commands/serve.js"

export const commands: Record<string, Command | undefined> = {
  demo,
  parse,
  reconcile,
  "round replay": replay,
  serve
}
