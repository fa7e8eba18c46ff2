/**
 * Header names and values are byte strings (RFC 7541 §5.2, RFC 9113 §8.2). This package maps them to JS
 * strings one byte per character (latin1): byte 0xE9 is '\u00e9', and every byte 0x00–0xFF survives a
 * decode then encode unchanged. Characters above U+00FF cannot be sent and are refused by the encoder.
 */

// String.fromCharCode takes its arguments on the stack; this keeps each call far below engine limits.
const CHUNK = 4096

/** The bytes buf[start..end) as a latin1 string. */
export function latin1ToString(buf: Uint8Array, start: number, end: number): string {
  const length = end - start
  if (length <= 16) {
    // Short strings (most names and many values): a loop beats creating a subarray.
    let s = ''
    for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]!)
    return s
  }
  if (length <= CHUNK) return String.fromCharCode.apply(null, buf.subarray(start, end) as unknown as number[])
  let s = ''
  for (let i = start; i < end; i += CHUNK) {
    s += String.fromCharCode.apply(null, buf.subarray(i, Math.min(i + CHUNK, end)) as unknown as number[])
  }
  return s
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
