/**
 * The `priority` field of RFC 9218 §5: a Structured Fields Dictionary (RFC 8941 §3.2) with `u` (urgency,
 * an Integer 0–7) and `i` (incremental, a Boolean). The same text is the value of a PRIORITY_UPDATE frame
 * (RFC 9218 §7).
 *
 * The parser follows RFC 8941 §4.2 for the whole dictionary (a field that does not parse is ignored as a
 * whole, RFC 9218 §4), then reads the two members RFC 9218 defines. Members of the wrong type or out of
 * range are ignored one by one (§4.1, §4.2); unknown members and all parameters are ignored (§4.3).
 */

export interface PriorityParameters {
  /** 0 (most urgent) to 7; absent when the field did not say. */
  urgency?: number
  incremental?: boolean
}

/** Integers are numbers; Decimals are kept apart (`u=1.0` is not an Integer, RFC 8941 §3.3.2). */
type BareItem = number | string | boolean | { decimal: number } | { token: string } | { bytes: string }

/** Reads a `priority` field value. Undefined when it is not a valid Structured Fields Dictionary. */
export function parsePriorityField(value: string): PriorityParameters | undefined {
  const members = parseDictionary(value)
  if (members === undefined) return undefined
  const out: PriorityParameters = {}
  const u = members.get('u')
  if (typeof u === 'number' && Number.isInteger(u) && u >= 0 && u <= 7) out.urgency = u
  const i = members.get('i')
  if (typeof i === 'boolean') out.incremental = i
  return out
}

/** Writes urgency and incremental as a `priority` field value (defaults left out, RFC 9218 §4). */
export function formatPriorityField(urgency: number, incremental: boolean): string {
  const parts: string[] = []
  if (urgency !== 3) parts.push(`u=${urgency}`)
  if (incremental) parts.push('i')
  return parts.join(', ')
}

// --- RFC 8941 §4.2 -------------------------------------------------------------------------------------

class Parser {
  at = 0
  constructor(readonly s: string) {}

  get done(): boolean {
    return this.at >= this.s.length
  }

  peek(): number {
    return this.at < this.s.length ? this.s.charCodeAt(this.at) : -1
  }

  skipSpaces(): void {
    while (this.peek() === 0x20) this.at++
  }

  /** OWS: spaces and horizontal tabs. */
  skipOws(): void {
    for (let c = this.peek(); c === 0x20 || c === 0x09; c = this.peek()) this.at++
  }
}

class Invalid extends Error {}

const fail = (): never => {
  throw new Invalid()
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39
const isLcAlpha = (c: number) => c >= 0x61 && c <= 0x7a
const isAlpha = (c: number) => isLcAlpha(c) || (c >= 0x41 && c <= 0x5a)
/** tchar (RFC 9110 §5.6.2), plus ':' and '/' which tokens may also contain (RFC 8941 §3.3.4). */
const TOKEN_CHAR = new Uint8Array(128)
for (const c of "!#$%&'*+-.^_`|~:/") TOKEN_CHAR[c.charCodeAt(0)] = 1
for (let c = 0; c < 128; c++) if (isDigit(c) || isAlpha(c)) TOKEN_CHAR[c] = 1
const isBase64 = (c: number) => isAlpha(c) || isDigit(c) || c === 0x2b || c === 0x2f || c === 0x3d

/** RFC 8941 §4.2.2. Member values are the bare item (inner lists become undefined: not used here). */
function parseDictionary(input: string): Map<string, BareItem | undefined> | undefined {
  const p = new Parser(input)
  const out = new Map<string, BareItem | undefined>()
  try {
    p.skipSpaces()
    if (p.done) return out
    for (;;) {
      const key = parseKey(p)
      let value: BareItem | undefined = true
      if (p.peek() === 0x3d /* = */) {
        p.at++
        value = parseItemOrInnerList(p)
      } else {
        parseParameters(p)
      }
      // A repeated key keeps its last value (§4.2.2), in the position of the first.
      out.set(key, value)
      p.skipOws()
      if (p.done) return out
      if (p.peek() !== 0x2c /* , */) fail()
      p.at++
      p.skipOws()
      if (p.done) fail() // a trailing comma
    }
  } catch (error) {
    if (error instanceof Invalid) return undefined
    throw error
  }
}

function parseItemOrInnerList(p: Parser): BareItem | undefined {
  if (p.peek() === 0x28 /* ( */) {
    p.at++
    for (;;) {
      p.skipSpaces()
      if (p.peek() === 0x29 /* ) */) {
        p.at++
        parseParameters(p)
        return undefined
      }
      parseBareItem(p)
      parseParameters(p)
      const c = p.peek()
      if (c !== 0x20 && c !== 0x29) fail()
    }
  }
  const item = parseBareItem(p)
  parseParameters(p)
  return item
}

function parseParameters(p: Parser): void {
  while (p.peek() === 0x3b /* ; */) {
    p.at++
    p.skipSpaces()
    parseKey(p)
    if (p.peek() === 0x3d) {
      p.at++
      parseBareItem(p)
    }
  }
}

function parseKey(p: Parser): string {
  const first = p.peek()
  if (!isLcAlpha(first) && first !== 0x2a /* * */) fail()
  const start = p.at
  for (
    let c = p.peek();
    isLcAlpha(c) || isDigit(c) || c === 0x5f || c === 0x2d || c === 0x2e || c === 0x2a;
  ) {
    p.at++
    c = p.peek()
  }
  return p.s.slice(start, p.at)
}

function parseBareItem(p: Parser): BareItem {
  const c = p.peek()
  if (c === 0x2d || isDigit(c)) return parseNumber(p)
  if (c === 0x22 /* " */) return parseString(p)
  if (c === 0x2a || isAlpha(c)) {
    const start = p.at
    while (p.peek() >= 0 && p.peek() < 128 && TOKEN_CHAR[p.peek()] === 1) p.at++
    return { token: p.s.slice(start, p.at) }
  }
  if (c === 0x3a /* : */) {
    p.at++
    const start = p.at
    while (isBase64(p.peek())) p.at++
    if (p.peek() !== 0x3a) fail()
    p.at++
    return { bytes: p.s.slice(start, p.at - 1) }
  }
  if (c === 0x3f /* ? */) {
    p.at++
    const b = p.peek()
    if (b !== 0x30 && b !== 0x31) fail()
    p.at++
    return b === 0x31
  }
  return fail()
}

/** §4.2.4: an Integer (at most 15 digits) or a Decimal (at most 12 integer and 3 fraction digits). */
function parseNumber(p: Parser): number | { decimal: number } {
  const start = p.at
  if (p.peek() === 0x2d) p.at++
  if (!isDigit(p.peek())) fail()
  let digits = 0
  let dot = -1
  for (let c = p.peek(); isDigit(c) || (c === 0x2e && dot < 0); c = p.peek()) {
    if (c === 0x2e) {
      if (digits > 12) fail()
      dot = digits
    } else {
      digits++
    }
    p.at++
    if (digits > 15) fail()
  }
  const n = Number(p.s.slice(start, p.at))
  if (dot < 0) return n
  const fraction = digits - dot
  if (fraction === 0 || fraction > 3) fail()
  return { decimal: n }
}

function parseString(p: Parser): string {
  p.at++
  let out = ''
  for (;;) {
    const c = p.peek()
    if (c < 0) fail()
    p.at++
    if (c === 0x22) return out
    if (c === 0x5c /* \ */) {
      const next = p.peek()
      if (next !== 0x22 && next !== 0x5c) fail()
      p.at++
      out += String.fromCharCode(next)
    } else if (c < 0x20 || c > 0x7e) {
      fail()
    } else {
      out += String.fromCharCode(c)
    }
  }
}
