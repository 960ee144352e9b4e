/**
 * Spans around every method of a service object, with attributes chosen per method (never the
 * arguments themselves): the machinery behind `Storage.traced` and `traceGroupBuy`.
 *
 * Cheap when nobody looks: with tracing disabled (`References.TracerEnabled`) or the default
 * in-memory tracer (`Tracer.nativeTracer`, which exports nothing), a call runs the method's effect
 * as it is, with no span, no attribute computed and no stack trace captured. Only a real tracer
 * (an OpenTelemetry or OTLP layer, a test's recording tracer) gets the spans.
 *
 * @internal
 */
import { Effect, type Fiber, References, Tracer } from "effect"

/** A span attribute value: what every exporter takes as is. */
export type AttributeValue = string | number | boolean

/** Attributes of a span; undefined values are left out. */
export type Attributes = Readonly<Record<string, AttributeValue | undefined>>

/** How one method's span is annotated: from its arguments (at the start), its success, its failure. */
export interface MethodSpans<Args extends ReadonlyArray<any>, A> {
  /** Attributes from the arguments. Must never throw (inputs may be undecoded); if it does, none are set. */
  readonly input?: ((...args: Args) => Attributes) | undefined
  /** Attributes from the result. */
  readonly output?: ((result: A) => Attributes) | undefined
}

/** The {@link MethodSpans} of a service's methods (a method without an entry gets a plain span). */
export type ServiceSpans<S> = {
  readonly [K in keyof S]?: S[K] extends (...args: infer Args) => Effect.Effect<infer A, infer _E, infer _R>
    ? MethodSpans<Args, A>
    : never
}

/** Whether spans made now would reach a tracer that records them. */
export const isTracing = (fiber: Fiber.Fiber<unknown, unknown>): boolean =>
  fiber.getRef(References.TracerEnabled) && fiber.getRef(Tracer.Tracer) !== Tracer.nativeTracer

const setAll = (span: Tracer.Span, attributes: Attributes | undefined): void => {
  if (attributes === undefined) return
  for (const key in attributes) {
    const value = attributes[key]
    if (value !== undefined) span.attribute(key, value)
  }
}

/** A code-like string (a tag or a `reason` literal: letters, digits, `-`, `_`, at most 64), else undefined. */
const literal = (value: unknown): string | undefined =>
  typeof value === "string" && /^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(value) ? value : undefined

/**
 * Attributes of a failure: its tag and `reason`, when they are code-like literals (never a
 * message), and `field` when it names the input field at fault (`comments[3].at`).
 */
export const errorAttributes = (error: unknown): Attributes => {
  if (typeof error !== "object" || error === null) return { "kaituan.error.tag": typeof error }
  const e = error as { readonly _tag?: unknown; readonly reason?: unknown; readonly field?: unknown }
  return {
    "kaituan.error.tag": literal(e._tag) ?? "unknown",
    "kaituan.error.reason": literal(e.reason),
    "kaituan.error.field": typeof e.field === "string" && /^[\w.[\]-]{1,128}$/.test(e.field) ? e.field : undefined
  }
}

const safely = <A>(f: () => A): A | undefined => {
  try {
    return f()
  } catch {
    return undefined
  }
}

const traceOptions = { captureStackTrace: false } as const

/**
 * Runs `self` in a span `name` when a recording tracer is installed (see the module comment),
 * with `input`'s attributes at the start, `output`'s on success and the error's tag and reason on
 * failure.
 */
export const span = <A, E, R>(
  name: string,
  self: Effect.Effect<A, E, R>,
  input: (() => Attributes) | undefined,
  output: ((result: A) => Attributes) | undefined
): Effect.Effect<A, E, R> =>
  Effect.withFiber((fiber) => {
    if (!isTracing(fiber)) return self
    const attributes = input === undefined ? undefined : safely(input)
    return Effect.useSpan(name, { kind: "internal" }, (span) => {
      setAll(span, attributes)
      const observed = Effect.mapError(
        output === undefined
          ? self
          : Effect.map(self, (a) => {
              setAll(
                span,
                safely(() => output(a))
              )
              return a
            }),
        (e) => {
          setAll(span, errorAttributes(e))
          return e
        }
      )
      return Effect.withParentSpan(observed, span, traceOptions)
    })
  })

const traced = new WeakSet<object>()

/**
 * The service with every method that returns an Effect run in a span `<prefix>.<method>`, with
 * the attributes of `specs` (a method without an entry, e.g. one added later, gets a span with no
 * attributes). Tracing a traced service again returns it unchanged.
 */
export const traceService = <S extends object>(prefix: string, service: S, specs: ServiceSpans<S>): S => {
  if (traced.has(service)) return service
  const methods = service as Record<string, unknown>
  const out: Record<string, unknown> = { ...methods }
  for (const key of Object.keys(methods)) {
    const method = methods[key]
    if (typeof method !== "function") continue
    const spec = (specs as Record<string, MethodSpans<ReadonlyArray<unknown>, unknown> | undefined>)[key]
    const name = `${prefix}.${key}`
    out[key] = (...args: ReadonlyArray<unknown>) => {
      const result = method.apply(service, args)
      if (!Effect.isEffect(result)) return result
      const input = spec?.input
      return span(name, result, input === undefined ? undefined : () => input(...args), spec?.output)
    }
  }
  traced.add(out)
  return out as S
}

/** A string argument as an attribute (at most 128 characters), or undefined for anything else. */
export const str = (value: unknown): string | undefined =>
  typeof value === "string" ? (value.length > 128 ? value.slice(0, 128) : value) : undefined

/** A number argument as an attribute, or undefined. */
export const num = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) ? value : undefined

/** The length of an array argument, or undefined. */
export const count = (value: unknown): number | undefined => (Array.isArray(value) ? value.length : undefined)

/** A field of an object argument (undefined when the argument is not an object). */
export const field = (value: unknown, key: string): unknown =>
  typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined

/** The distinct strings of an array argument, sorted and joined with `,` (e.g. statuses), or undefined. */
export const list = (value: unknown): string | undefined =>
  Array.isArray(value)
    ? [...new Set(value.filter((v): v is string => typeof v === "string").map((v) => v.slice(0, 64)))].sort().join(",")
    : undefined

/**
 * Counts per value of `key` over `items`, as attributes `<prefix>.<value>`: code-like values
 * (`ordered`, `round.cutoff`) as they are, anything else counted as `other`.
 */
export const countsBy = <T>(
  items: ReadonlyArray<T>,
  key: (item: T) => string,
  prefix: string
): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const item of items) {
    const value = key(item)
    const k = `${prefix}.${/^[A-Za-z][A-Za-z0-9._-]{0,47}$/.test(value) ? value : "other"}`
    out[k] = (out[k] ?? 0) + 1
  }
  return out
}
