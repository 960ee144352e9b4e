/**
 * The server side of the API's two middlewares:
 *
 * - {@link layer}: `Authorization` over the {@link Tokens} service. A request without an active
 *   bearer token is 401; a token whose role the endpoint does not allow (its `Access`
 *   annotation) is 403 before anything is decoded or changed. The endpoint then sees the caller
 *   as `CurrentActor`.
 * - {@link layerValidation}: `Validation`, turning a request that does not decode into a 400
 *   `BadRequest` that names the field (`path.roundId`, `query.limit`, `body.lines.0.qty`) and says
 *   what was expected, without echoing the value (it may be someone's phone number).
 *
 * @since 0.2.0
 */
import { Context, Effect, Layer, SchemaIssue } from "effect"
import { HttpApiMiddleware } from "effect/http-api"
import { Access, Api, Authorization, CurrentActor, Validation } from "./Api.js"
import { BadRequest, Forbidden, Unauthorized, Unavailable } from "./Errors.js"
import { type Role, Tokens } from "./Tokens.js"

/** Whether `role` may call an endpoint that needs `access`. */
export const allowed = (role: Role, access: Access): boolean => role === "organiser" || access === "helper"

/** The endpoints `role` may call, as `group.endpoint` (`orders.list`, `payments.approve`…). */
export const capabilities = (role: Role): ReadonlyArray<string> => {
  const out: Array<string> = []
  for (const group of Object.values(Api.groups))
    for (const endpoint of Object.values(group.endpoints))
      if (allowed(role, Context.get(endpoint.annotations, Access)))
        out.push(`${group.identifier}.${endpoint.identifier}`)
  return out
}

/** `Authorization` over the {@link Tokens} service. */
export const layer: Layer.Layer<Authorization, never, Tokens> = Layer.effect(
  Authorization,
  Effect.gen(function* () {
    const tokens = yield* Tokens
    return Authorization.of({
      bearer: (httpEffect, { credential, endpoint }) =>
        Effect.gen(function* () {
          const actor = yield* tokens
            .authenticate(credential)
            .pipe(
              Effect.mapError(() => new Unavailable({ message: "the database is not available right now: try again" }))
            )
          if (actor === undefined)
            return yield* new Unauthorized({
              message: "send Authorization: Bearer <token> with an active token (kaituan token create)"
            })
          const needs = Context.get(endpoint.annotations, Access)
          if (!allowed(actor.role, needs))
            return yield* new Forbidden({
              message: `a ${actor.role} token may not do this: it needs the ${needs}`,
              role: actor.role,
              needs
            })
          return yield* Effect.provideService(httpEffect, CurrentActor, actor)
        })
    })
  })
)

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

/** What each request part is called in a field name. */
const slots: Record<string, string> = {
  Params: "path",
  Query: "query",
  Payload: "body",
  Headers: "headers",
  Body: "response",
  ResponseHeaders: "response"
}

/** An issue's message without any value it quotes (`…, got "0912…"`). */
const withoutValue = (message: string): string => message.replace(/,? ?(got|actual|with value)\b[\s\S]*$/i, "").trim()

const fieldOf = (slot: string, path: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined): string =>
  [slot, ...(path ?? []).map((p) => String(typeof p === "object" && p !== null ? p.key : p))].join(".")

/** `Validation`: a request that does not decode is a 400 naming the field. */
export const layerValidation: Layer.Layer<Validation> = HttpApiMiddleware.layerSchemaErrorTransform(
  Validation,
  (error) => {
    const slot = slots[error.kind] ?? "request"
    if (slot === "response") return Effect.die(error)
    const issues = formatter(error.cause.issue).issues
    const first = issues[0]
    const field = fieldOf(slot, first?.path)
    const parts = issues.slice(0, 5).map((i) => `${fieldOf(slot, i.path)}: ${withoutValue(i.message)}`)
    if (issues.length > 5) parts.push(`… and ${issues.length - 5} more`)
    return Effect.fail(
      new BadRequest({ field, message: parts.length === 0 ? `${field}: invalid` : `invalid ${parts.join("; ")}` })
    )
  }
)
