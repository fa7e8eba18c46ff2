/**
 * HTTP message rules of RFC 9113 §8.1–§8.3, applied to decoded field lists. A violation makes the message
 * malformed: a stream error of type PROTOCOL_ERROR (§8.1.1), reported with a stable reason.
 *
 * Fields are [name, value] pairs of latin1 byte strings, as @h2ts/hpack produces them.
 */
import { ErrorCode } from '@h2ts/frames'
import type { FieldProblem, HeaderField } from '@h2ts/hpack'
import { StreamError } from './errors.js'

export type Fields = ReadonlyArray<HeaderField>

export interface RequestHead {
  method: string
  /** Absent for CONNECT (without :protocol). */
  scheme: string | undefined
  authority: string | undefined
  path: string | undefined
  /** The :protocol of an extended CONNECT (RFC 8441). */
  protocol: string | undefined
  contentLength: number | undefined
}

export interface ResponseHead {
  status: number
  contentLength: number | undefined
}

/** Fields that are meaningful only for one HTTP/1.1 hop, which HTTP/2 forbids (§8.2.2). */
const CONNECTION_SPECIFIC = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
])

/**
 * Per byte: 1 if it may appear in a field name (§8.2.1: not 0x00-0x20, 'A'-'Z', 0x7f-0xff; and no ':' outside
 * the leading one of a pseudo-header).
 */
const NAME_OK = new Uint8Array(256)
for (let c = 0x21; c < 0x7f; c++) if (!(c >= 0x41 && c <= 0x5a) && c !== 0x3a) NAME_OK[c] = 1

function malformed(streamId: number, reason: string, message: string): StreamError {
  return new StreamError(streamId, ErrorCode.PROTOCOL_ERROR, reason, message)
}

/** Checks one field's name and value characters (§8.2.1). Returns a reason token, or undefined. */
export function fieldProblem(name: string, value: string): string | undefined {
  if (name.length === 0) return 'empty-field-name'
  for (let i = name.charCodeAt(0) === 0x3a ? 1 : 0; i < name.length; i++) {
    if (NAME_OK[name.charCodeAt(i)] !== 1) {
      const c = name.charCodeAt(i)
      return c >= 0x41 && c <= 0x5a ? 'uppercase-field-name' : 'invalid-field-name'
    }
  }
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c === 0 || c === 0x0a || c === 0x0d) return 'invalid-field-value'
  }
  if (value.length > 0) {
    const first = value.charCodeAt(0)
    const last = value.charCodeAt(value.length - 1)
    if (first === 0x20 || first === 0x09 || last === 0x20 || last === 0x09) return 'field-value-whitespace'
  }
  return undefined
}

/** §8.2.1 for one field of any section: throws the malformed-message StreamError. */
function checkCharacters(streamId: number, name: string, value: string): void {
  const problem = fieldProblem(name, value)
  if (problem !== undefined) throw fieldError(streamId, { name, reason: problem })
}

/**
 * The malformed-message error for a field that breaks §8.2.1: found here, or by the HPACK decoder, which
 * checks received fields with `fieldProblem` as it decodes them (and a field sent again by index not twice).
 */
export function fieldError(streamId: number, problem: FieldProblem): StreamError {
  return malformed(streamId, problem.reason, `field "${problem.name}" is not valid (§8.2.1)`)
}

/** Regular (non-pseudo) field rules shared by requests, responses and trailers. */
function checkRegular(streamId: number, name: string, value: string): void {
  // Only names of 7, 10, 16 or 17 characters can be connection-specific: most fields skip the lookup.
  const n = name.length
  if ((n === 7 || n === 10 || n === 16 || n === 17) && CONNECTION_SPECIFIC.has(name)) {
    throw malformed(streamId, 'connection-specific-field', `"${name}" is connection-specific (§8.2.2)`)
  }
  if (name === 'te' && value !== 'trailers') {
    throw malformed(streamId, 'te-not-trailers', `te may only be "trailers" (§8.2.2)`)
  }
}

function invalidContentLength(streamId: number, value: string): StreamError {
  return malformed(streamId, 'invalid-content-length', `content-length "${value}" is not a number`)
}

function parseContentLength(streamId: number, value: string, previous: number | undefined): number {
  // RFC 9110 §8.6: 1*DIGIT (at most 15 of them here: exact as a double). Repeated fields must agree.
  if (value.length === 0 || value.length > 15) throw invalidContentLength(streamId, value)
  let n = 0
  for (let i = 0; i < value.length; i++) {
    const d = value.charCodeAt(i) - 0x30
    if (d < 0 || d > 9) throw invalidContentLength(streamId, value)
    n = n * 10 + d
  }
  if (previous !== undefined && previous !== n) {
    throw malformed(streamId, 'conflicting-content-length', 'content-length fields disagree')
  }
  return n
}

/**
 * Validates a request header section (§8.3.1). Throws a StreamError (PROTOCOL_ERROR) if malformed. With
 * `scan` false the characters (§8.2.1) are taken as checked already (by the HPACK decoder).
 */
export function validateRequest(
  streamId: number,
  fields: Fields,
  connectProtocol: boolean,
  scan = true,
): RequestHead {
  let method: string | undefined
  let scheme: string | undefined
  let authority: string | undefined
  let path: string | undefined
  let protocol: string | undefined
  let host: string | undefined
  let contentLength: number | undefined
  let regular = false
  for (const [name, value] of fields) {
    if (scan) checkCharacters(streamId, name, value)
    if (name.charCodeAt(0) === 0x3a) {
      // §8.3: pseudo-header fields come first, once each, and only the defined ones.
      if (regular) throw malformed(streamId, 'pseudo-header-after-field', `${name} after a regular field`)
      const seen =
        name === ':method'
          ? method
          : name === ':scheme'
            ? scheme
            : name === ':authority'
              ? authority
              : name === ':path'
                ? path
                : name === ':protocol'
                  ? protocol
                  : undefined
      if (seen !== undefined) throw malformed(streamId, 'duplicate-pseudo-header', `${name} appears twice`)
      switch (name) {
        case ':method':
          method = value
          break
        case ':scheme':
          scheme = value
          break
        case ':authority':
          authority = value
          break
        case ':path':
          path = value
          break
        case ':protocol':
          if (!connectProtocol)
            throw malformed(
              streamId,
              'unexpected-protocol',
              ':protocol without SETTINGS_ENABLE_CONNECT_PROTOCOL',
            )
          protocol = value
          break
        default:
          throw malformed(streamId, 'invalid-pseudo-header', `${name} is not a request pseudo-header`)
      }
      continue
    }
    regular = true
    checkRegular(streamId, name, value)
    if (name === 'content-length') contentLength = parseContentLength(streamId, value, contentLength)
    else if (name === 'host') host = value
  }
  if (method === undefined) throw malformed(streamId, 'missing-method', 'request without :method')
  if (method === 'CONNECT' && protocol === undefined) {
    // §8.5: CONNECT carries :authority only.
    if (scheme !== undefined || path !== undefined) {
      throw malformed(streamId, 'connect-with-scheme-or-path', 'CONNECT must not have :scheme or :path')
    }
    if (authority === undefined || authority === '') {
      throw malformed(streamId, 'connect-without-authority', 'CONNECT needs :authority')
    }
  } else {
    if (protocol !== undefined && method !== 'CONNECT') {
      throw malformed(streamId, 'protocol-without-connect', ':protocol is only for CONNECT (RFC 8441 §4)')
    }
    if (scheme === undefined || scheme === '')
      throw malformed(streamId, 'missing-scheme', 'request without :scheme')
    if (path === undefined || path === '') throw malformed(streamId, 'missing-path', 'request without :path')
    // §8.3.1: :path starts with "/" except "*" for OPTIONS (for http and https; other schemes are opaque).
    if (
      (scheme === 'http' || scheme === 'https') &&
      path.charCodeAt(0) !== 0x2f &&
      !(path === '*' && method === 'OPTIONS')
    ) {
      throw malformed(streamId, 'invalid-path', `:path "${path.slice(0, 40)}" must start with "/"`)
    }
  }
  // §8.3.1: a Host field that names something other than :authority makes the request malformed.
  if (host !== undefined && authority !== undefined && host.toLowerCase() !== authority.toLowerCase()) {
    throw malformed(streamId, 'host-authority-mismatch', 'host and :authority differ')
  }
  return { method, scheme, authority, path, protocol, contentLength }
}

/** A :status value: three digits, the first not 0 (RFC 9110 §15); undefined if it is not one. */
function statusCode(value: string): number | undefined {
  if (value.length !== 3) return undefined
  const a = value.charCodeAt(0) - 0x30
  const b = value.charCodeAt(1) - 0x30
  const c = value.charCodeAt(2) - 0x30
  if (a < 1 || a > 9 || b < 0 || b > 9 || c < 0 || c > 9) return undefined
  return a * 100 + b * 10 + c
}

/** Validates a response header section (§8.3.2), informational or final; `scan` as for requests. */
export function validateResponse(streamId: number, fields: Fields, scan = true): ResponseHead {
  let status: number | undefined
  let contentLength: number | undefined
  let regular = false
  for (const [name, value] of fields) {
    if (scan) checkCharacters(streamId, name, value)
    if (name.charCodeAt(0) === 0x3a) {
      if (regular) throw malformed(streamId, 'pseudo-header-after-field', `${name} after a regular field`)
      if (name !== ':status')
        throw malformed(streamId, 'invalid-pseudo-header', `${name} is not a response pseudo-header`)
      if (status !== undefined) throw malformed(streamId, 'duplicate-pseudo-header', ':status appears twice')
      status = statusCode(value)
      if (status === undefined) throw malformed(streamId, 'invalid-status', `:status "${value}"`)
      continue
    }
    regular = true
    checkRegular(streamId, name, value)
    if (name === 'content-length') contentLength = parseContentLength(streamId, value, contentLength)
  }
  if (status === undefined) throw malformed(streamId, 'missing-status', 'response without :status')
  // §8.6: 101 (Switching Protocols) is not used in HTTP/2.
  if (status === 101) throw malformed(streamId, 'status-101', '101 is not allowed in HTTP/2')
  return { status, contentLength }
}

/** Validates a trailer section (§8.1): no pseudo-header fields; `scan` as for requests. */
export function validateTrailers(streamId: number, fields: Fields, scan = true): void {
  for (const [name, value] of fields) {
    if (scan) checkCharacters(streamId, name, value)
    if (name.charCodeAt(0) === 0x3a)
      throw malformed(streamId, 'pseudo-header-in-trailers', `${name} in trailers`)
    checkRegular(streamId, name, value)
  }
}
