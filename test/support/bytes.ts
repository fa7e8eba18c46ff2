/** Byte helpers shared by the test kits (frame builders, the conformance wire, the fuzzer). */

/** A string's characters as bytes (each taken modulo 256). */
export const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff)

/** The chunks joined into one new array. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let n = 0
  for (const c of chunks) n += c.length
  const out = new Uint8Array(n)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}
