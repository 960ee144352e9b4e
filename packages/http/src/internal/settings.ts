/** Server settings the handlers read (the public way to set them is `Server.layer`'s options). */
import { Context } from "effect"

/** The largest statement upload, in bytes: 10 MiB unless the host says otherwise. */
export const MaxUploadBytes = Context.Reference<number>("@kaituan/http/MaxUploadBytes", {
  defaultValue: () => 10 * 1_048_576
})
