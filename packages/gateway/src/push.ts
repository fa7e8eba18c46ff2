/**
 * Server push from preload links. An upstream response that names resources in `link: <…>; rel=preload`
 * (W3C Preload) gets them pushed to an HTTP/2 client that allows push (RFC 9113 §8.4): a PUSH_PROMISE of a
 * GET for each, sent before the response that refers to them, and then each one is proxied like a request
 * of the client's own — same route, keys, upstream pool, access log — with the pushed stream as its
 * response. Only on routes with `push: true`, at most `maxPushes` per response, and only for targets on
 * the same upstream and the same route.
 */
import { Readable } from 'node:stream'
import { isStreamError } from '@h2ts/streams'
import type { ServerResponse } from '@h2ts/streams/node'
import { type Exchange, H2ResponseSide } from './exchange.js'
import type { Field } from './forwarding.js'

/** One link-value of a Link field (RFC 8288 §3): its target as written and its parameters. */
export interface LinkValue {
  target: string
  /** Lowercase parameter names; a parameter without a value is `''`. The first of a repeated name wins. */
  params: Map<string, string>
}

const isTchar = (c: string) => /^[!#$%&'*+\-.^_`|~0-9A-Za-z]$/.test(c)

/**
 * Parses Link field values (RFC 8288 §3):
 *   Link = #link-value;  link-value = "<" URI-Reference ">" *( OWS ";" OWS link-param )
 *   link-param = token BWS [ "=" BWS ( token / quoted-string ) ]
 * A link-value that does not follow the grammar is skipped up to the next comma outside quotes and angle
 * brackets; the others are kept. Several field lines are one list (RFC 9110 §5.3): pass each.
 */
export function parseLinks(values: readonly string[]): LinkValue[] {
  const links: LinkValue[] = []
  for (const value of values) {
    let at = 0
    const ows = () => {
      while (value[at] === ' ' || value[at] === '\t') at++
    }
    // Skips a malformed link-value: to the next top-level comma.
    const resync = () => {
      let quoted = false
      let angled = false
      for (; at < value.length; at++) {
        const c = value[at]
        if (quoted) {
          if (c === '\\') at++
          else if (c === '"') quoted = false
        } else if (angled) {
          if (c === '>') angled = false
        } else if (c === '"') quoted = true
        else if (c === '<') angled = true
        else if (c === ',') return
      }
    }
    const token = () => {
      const start = at
      while (at < value.length && isTchar(value[at]!)) at++
      return value.slice(start, at)
    }
    while (at < value.length) {
      ows()
      if (value[at] === ',') {
        // Empty list elements are allowed (RFC 9110 §5.6.1).
        at++
        continue
      }
      if (at >= value.length) break
      const link = parseOne()
      if (link !== undefined) links.push(link)
      else resync()
    }

    function parseOne(): LinkValue | undefined {
      if (value[at] !== '<') return undefined
      const close = value.indexOf('>', at + 1)
      if (close < 0) return undefined
      const target = value.slice(at + 1, close).trim()
      at = close + 1
      const params = new Map<string, string>()
      for (;;) {
        ows()
        if (at >= value.length || value[at] === ',') return { target, params }
        if (value[at] !== ';') return undefined
        at++
        ows()
        const name = token().toLowerCase()
        if (name === '') return undefined
        ows()
        let paramValue = ''
        if (value[at] === '=') {
          at++
          ows()
          if (value[at] === '"') {
            // quoted-string (RFC 9110 §5.6.4), with quoted-pairs.
            at++
            let out = ''
            for (;;) {
              if (at >= value.length) return undefined
              const c = value[at++]!
              if (c === '"') break
              if (c === '\\') {
                if (at >= value.length) return undefined
                out += value[at++]
              } else {
                out += c
              }
            }
            paramValue = out
          } else {
            paramValue = token()
            if (paramValue === '') return undefined
          }
        }
        // §3.3: occurrences of rel after the first are ignored; the same is done for every parameter.
        if (!params.has(name)) params.set(name, paramValue)
      }
    }
  }
  return links
}

/**
 * The targets an upstream response asks to preload: `rel` (a space-separated list of relation types,
 * compared case-insensitively, RFC 8288 §2.1.1) containing "preload", without the `nopush` parameter by
 * which a server says the client has it already (W3C Preload §"Server Push").
 */
export function preloadTargets(fields: readonly Field[]): string[] {
  const values: string[] = []
  for (const [name, value] of fields) if (name === 'link') values.push(value)
  const out: string[] = []
  for (const link of parseLinks(values)) {
    const rel = link.params.get('rel')
    if (rel === undefined || link.params.has('nopush')) continue
    if (
      rel
        .toLowerCase()
        .split(/[ \t]+/)
        .includes('preload')
    )
      out.push(link.target)
  }
  return out
}

export interface PushContext {
  /** The URL the upstream answered (its links are relative to it, RFC 8288 §3.2). */
  upstreamUrl: URL
  /** The path prefix on the upstream's side of the route, and on the client's side. */
  upstreamPrefix: string
  clientPrefix: string
  /** Pushes for this response at most. */
  max: number
  /** Whether a client-side path is served by the same route (the gateway's routing). */
  sameRoute(path: string): boolean
  /** Proxies an exchange (the gateway's handle). */
  serve(exchange: Exchange): void
}

/**
 * The client-side path of a link target: resolved against the upstream's URL, it must be on the same
 * origin (scheme, host, port) and under the route's upstream prefix. Fragments are dropped.
 */
export function clientPathOf(
  target: string,
  ctx: Pick<PushContext, 'upstreamUrl' | 'upstreamPrefix' | 'clientPrefix'>,
): string | undefined {
  let url: URL
  try {
    url = new URL(target, ctx.upstreamUrl)
  } catch {
    return undefined
  }
  if (url.origin !== ctx.upstreamUrl.origin) return undefined
  const path = url.pathname + url.search
  if (!path.startsWith(ctx.upstreamPrefix)) return undefined
  return ctx.clientPrefix + path.slice(ctx.upstreamPrefix.length)
}

/**
 * Pushes the preload targets of an upstream response to the client of `exchange`, if it is an HTTP/2
 * client that allows push. Call before the response headers go to the client: a PUSH_PROMISE must precede
 * what refers to the resource (RFC 9113 §8.4). Returns how many were promised.
 */
export function pushPreloads(exchange: Exchange, responseFields: readonly Field[], ctx: PushContext): number {
  if (exchange.push === undefined || exchange.pushed === true) return 0
  const seen = new Set<string>([exchange.path])
  let promised = 0
  for (const target of preloadTargets(responseFields)) {
    if (promised >= ctx.max) break
    const path = clientPathOf(target, ctx)
    if (path === undefined || seen.has(path) || !ctx.sameRoute(path)) continue
    seen.add(path)
    let response: ServerResponse | undefined
    try {
      response = exchange.push(path)
    } catch {
      // The connection is going away, or the path is not a valid :path: nothing to promise.
      return promised
    }
    // The client does not take pushes.
    if (response === undefined) return promised
    promised++
    ctx.serve(new PushedExchange(exchange, response, path))
  }
  return promised
}

/**
 * Request fields of the client's that do not carry over to a pushed GET: its content, conditions and
 * ranges (about the other resource), what it accepts, its priority and its request id.
 */
function carriesOver(name: string): boolean {
  if (name.startsWith('content-') || name.startsWith('if-')) return false
  return !['range', 'expect', 'accept', 'priority', 'x-request-id', 'trailer'].includes(name)
}

/** The exchange of a pushed stream: a GET made on the client's behalf, answered on the pushed stream. */
class PushedExchange extends H2ResponseSide implements Exchange {
  readonly method = 'GET'
  readonly scheme: 'http' | 'https'
  readonly authority: string | undefined
  readonly fields: Field[]
  readonly clientAddress: string | undefined
  readonly hasBody = false
  readonly body: Readable = Readable.from([])
  readonly pushed = true
  #resetCode: number | undefined

  constructor(
    parent: Exchange,
    response: ServerResponse,
    readonly path: string,
  ) {
    super(response)
    this.scheme = parent.scheme
    this.authority = parent.authority
    this.fields = parent.fields.filter(([name]) => carriesOver(name))
    this.clientAddress = parent.clientAddress
    // The client may refuse the push at any moment (RST_STREAM CANCEL, e.g. it has the resource cached).
    response.on('error', (error: Error) => {
      if (isStreamError(error)) this.#resetCode = error.code
    })
  }

  protected resetCode(): number | undefined {
    return this.#resetCode
  }

  prioritize(urgency: number, incremental: boolean): void {
    this.response.prioritize({ scheme: 'rfc9218', urgency, incremental })
  }
}
