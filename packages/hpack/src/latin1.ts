/**
 * Header names and values are byte strings (RFC 7541 §5.2, RFC 9113 §8.2). This package maps them to JS
 * strings one byte per character (latin1): byte 0xE9 is '\u00e9', and every byte 0x00–0xFF survives a
 * decode then encode unchanged. Characters above U+00FF cannot be sent and are refused by the encoder.
 */

// String.fromCharCode takes its arguments on the stack; this keeps each call far below engine limits.
const CHUNK = 4096

/**
 * TextDecoder is a web standard every modern runtime has (it is not a Node API); for ASCII it gives the
 * same string as latin1 and, past a few dozen bytes, builds it several times faster than fromCharCode.
 * Where it is missing, the fromCharCode path does all the work.
 */
interface Utf8Decoder {
  decode(input: Uint8Array): string
}
const textDecoder: Utf8Decoder | undefined = (() => {
  const ctor = (globalThis as { TextDecoder?: new (label: string) => Utf8Decoder }).TextDecoder
  return ctor === undefined ? undefined : new ctor('utf-8')
})()
const TEXT_DECODER_MIN = 40

/**
 * The bytes buf[start..end) as a latin1 string. `ascii` says the caller already knows every byte is below
 * 0x80 (the Huffman decoder tracks it); otherwise long strings are scanned to find out.
 */
export function latin1ToString(buf: Uint8Array, start: number, end: number, ascii = false): string {
  const length = end - start
  if (length < TEXT_DECODER_MIN) {
    // Most names and values: eight characters a call, no subarray, beats every other way measured.
    let s = ''
    let i = start
    for (; i + 8 <= end; i += 8) {
      s += String.fromCharCode(
        buf[i]!,
        buf[i + 1]!,
        buf[i + 2]!,
        buf[i + 3]!,
        buf[i + 4]!,
        buf[i + 5]!,
        buf[i + 6]!,
        buf[i + 7]!,
      )
    }
    for (; i < end; i++) s += String.fromCharCode(buf[i]!)
    return s
  }
  if (textDecoder !== undefined && (ascii || isAscii(buf, start, end))) {
    return textDecoder.decode(buf.subarray(start, end))
  }
  let s = ''
  for (let i = start; i < end; i += CHUNK) {
    s += String.fromCharCode.apply(null, buf.subarray(i, Math.min(i + CHUNK, end)) as unknown as number[])
  }
  return s
}

function isAscii(buf: Uint8Array, start: number, end: number): boolean {
  let seen = 0
  for (let i = start; i < end; i++) seen |= buf[i]!
  return seen < 0x80
}

/** Writes the latin1 bytes of `s` at out[pos]; returns the position after them. */
export function writeLatin1(out: Uint8Array, pos: number, s: string): number {
  for (let i = 0; i < s.length; i++) out[pos++] = s.charCodeAt(i)
  return pos
}

/** Throws when `s` holds a character that is not a single byte. */
export function assertLatin1(s: string, what: string): void {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0xff) {
      throw new TypeError(
        `${what} has U+${s.charCodeAt(i).toString(16).padStart(4, '0')} at ${i}: header fields are byte strings, ` +
          'one character per byte (U+0000–U+00FF); encode text to bytes first',
      )
    }
  }
}
