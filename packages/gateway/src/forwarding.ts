/**
 * What a proxy changes in a message's header section on the way through (RFC 9110 §7.6): hop-by-hop
 * fields go, forwarding fields are added, and the request is addressed to the upstream.
 *
 * Every field that leaves is valid (RFC 9113 §8.2.1), which is why the gateway's HTTP/2 connections skip the
 * engine's outgoing character scan (`checkOutgoingFields: false`): a forwarded field was checked when it
 * arrived (by our HPACK decoder, or node:http's parser, whose names we lowercase), and the ones added here are
 * valid by construction: addresses and a scheme, a request id that matches REQUEST_ID or is a UUID, a
 * bearer secret checked when the routes are compiled, paths and prefixes the config schema allows.
 */
import { randomFillSync } from 'node:crypto'

/** A header field; the optional third element is HPACK's never-indexed flag (RFC 7541 §7.1.3). */
export type Field = readonly [name: string, value: string, neverIndex?: boolean]

/**
 * Connection-specific fields (RFC 9110 §7.6.1), which also may not appear in HTTP/2 at all
 * (RFC 9113 §8.2.2). `te` is handled apart: "trailers" is the one value that may pass.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'host',
  'http2-settings',
  'proxy-authenticate',
  'proxy-authorization',
])

/** Names listed in `connection` are hop-by-hop for this message too (RFC 9110 §7.6.1). */
function nominated(fields: readonly Field[]): Set<string> | undefined {
  let names: Set<string> | undefined
  for (const [name, value] of fields) {
    if (name !== 'connection') continue
    names ??= new Set()
    for (const token of value.split(',')) {
      const t = token.trim().toLowerCase()
      if (t !== '') names.add(t)
    }
  }
  return names
}

/**
 * Regular fields with the hop-by-hop ones removed; pseudo-header fields are dropped too. They are appended
 * to `out` (a new list by default).
 */
export function endToEndFields(fields: readonly Field[], out: Field[] = []): Field[] {
  const extra = nominated(fields)
  for (const field of fields) {
    const name = field[0]
    if (name.charCodeAt(0) === 0x3a) continue
    if (HOP_BY_HOP.has(name) || extra?.has(name)) continue
    if (name === 'te') {
      // RFC 9113 §8.2.2: in HTTP/2, te may only say "trailers".
      if (
        field[1]
          .toLowerCase()
          .split(',')
          .some((t) => t.trim() === 'trailers')
      )
        out.push(['te', 'trailers'])
      continue
    }
    out.push(field)
  }
  return out
}

/** A request id we accept from a client: short printable ASCII (it ends up in logs). */
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/

export function requestIdOf(fields: readonly Field[]): string {
  for (const [name, value] of fields) {
    if (name === 'x-request-id' && REQUEST_ID.test(value)) return value
  }
  return newRequestId()
}

/** Random bytes for request ids, drawn 16 at a time and refilled when used up. */
const entropy = Buffer.alloc(4096)
let entropyAt = entropy.length
/** The id's text is written here, then read out as one string. */
const idText = Buffer.alloc(36)
const HEX = Buffer.from('0123456789abcdef', 'latin1')

/**
 * A random (version 4) UUID, RFC 9562 §5.4. What node:crypto's randomUUID() returns, made as one flat string
 * from one buffer: randomUUID() joins sixteen pieces, which costs a flattening copy again on the way out.
 */
export function newRequestId(): string {
  if (entropyAt + 16 > entropy.length) {
    randomFillSync(entropy)
    entropyAt = 0
  }
  const at = entropyAt
  entropyAt += 16
  entropy[at + 6] = (entropy[at + 6]! & 0x0f) | 0x40 // version 4
  entropy[at + 8] = (entropy[at + 8]! & 0x3f) | 0x80 // variant 10
  let o = 0
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) idText[o++] = 0x2d // '-'
    const b = entropy[at + i]!
    idText[o++] = HEX[b >> 4]!
    idText[o++] = HEX[b & 0x0f]!
  }
  return idText.toString('latin1', 0, 36)
}

export interface ForwardContext {
  method: string
  path: string
  /** The upstream's scheme and authority (`host[:port]`). */
  scheme: string
  authority: string
  /** The client's address and the scheme it used to reach us. */
  clientAddress: string | undefined
  frontScheme: string
  requestId: string
  /** Replace the client's authorization with this value. */
  authorization: string | undefined
  /** Drop the client's authorization (it was a gateway key, not for the upstream). */
  stripAuthorization: boolean
}

/** The upstream request's header section: pseudo-header fields first (RFC 9113 §8.3.1). */
export function upstreamRequestFields(client: readonly Field[], ctx: ForwardContext): Field[] {
  const out: Field[] = [
    [':method', ctx.method],
    [':scheme', ctx.scheme],
    [':authority', ctx.authority],
    [':path', ctx.path],
  ]
  let forwardedFor: string | undefined
  // The client's end-to-end fields are appended, then the ones we replace are taken out in place.
  endToEndFields(client, out)
  let kept = 4
  for (let i = 4; i < out.length; i++) {
    const field = out[i]!
    const name = field[0]
    if (name === 'x-forwarded-for') {
      forwardedFor = forwardedFor === undefined ? field[1] : `${forwardedFor}, ${field[1]}`
      continue
    }
    if (name === 'x-forwarded-proto' || name === 'x-request-id') continue
    if (name === 'authorization' && (ctx.authorization !== undefined || ctx.stripAuthorization)) continue
    out[kept++] = field
  }
  out.length = kept
  if (ctx.clientAddress !== undefined) {
    forwardedFor = forwardedFor === undefined ? ctx.clientAddress : `${forwardedFor}, ${ctx.clientAddress}`
  }
  if (forwardedFor !== undefined) out.push(['x-forwarded-for', forwardedFor])
  out.push(['x-forwarded-proto', ctx.frontScheme])
  out.push(['x-request-id', ctx.requestId])
  if (ctx.authorization !== undefined) out.push(['authorization', ctx.authorization])
  return out
}

/** The response's header section for the client: end-to-end fields and our request id. */
export function clientResponseFields(upstream: readonly Field[], requestId: string): Field[] {
  const out = endToEndFields(upstream)
  let kept = 0
  for (let i = 0; i < out.length; i++) if (out[i]![0] !== 'x-request-id') out[kept++] = out[i]!
  out.length = kept
  out.push(['x-request-id', requestId])
  return out
}

/** `Bearer <token>` → token (RFC 6750 §2.1); anything else → undefined. */
export function bearerToken(fields: readonly Field[]): string | undefined {
  for (const [name, value] of fields) {
    if (name !== 'authorization') continue
    const match = /^Bearer +([\x21-\x7e]+) *$/i.exec(value)
    return match?.[1]
  }
  return undefined
}
