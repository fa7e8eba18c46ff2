/**
 * ALTSVC, ORIGIN and PRIORITY_UPDATE carry ASCII text. The codec maps it to JS strings one octet per character
 * (Latin-1), so every byte a peer sends survives a decode then encode, and characters above U+00FF are refused.
 */
import { FrameUsageError } from './errors.js'

// String.fromCharCode takes its arguments on the stack; chunks keep each call small.
const CHUNK = 4096

/** The bytes buf[start..end) as a Latin-1 string. */
export function latin1ToString(buf: Uint8Array, start: number, end: number): string {
  let s = ''
  for (let i = start; i < end; i += CHUNK) {
    s += String.fromCharCode.apply(null, buf.subarray(i, Math.min(i + CHUNK, end)) as unknown as number[])
  }
  return s
}

/** Throws FrameUsageError when `s` has a character above U+00FF. */
export function checkLatin1(s: string, what: string): void {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0xff) throw new FrameUsageError(`${what} must be ASCII (one octet per character)`)
  }
}

/** Writes the Latin-1 octets of `s` at target[offset]; returns the offset after them. */
export function writeLatin1(target: Uint8Array, offset: number, s: string): number {
  for (let i = 0; i < s.length; i++) target[offset++] = s.charCodeAt(i)
  return offset
}
