/**
 * The client connection preface (RFC 9113 §3.4): the 24 octets "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", then a
 * SETTINGS frame. A server recognises it byte by byte from chunks of any size; the first byte that differs is
 * a connection error of type PROTOCOL_ERROR (§3.4), reported as a PrefaceError saying what the bytes look like.
 */
import { PrefaceError, type PrefaceLooksLike } from './errors.js'

const PREFACE_TEXT = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'

/** Length of the client connection preface octets. */
export const CLIENT_PREFACE_LENGTH = 24

const preface = new Uint8Array(CLIENT_PREFACE_LENGTH)
for (let i = 0; i < CLIENT_PREFACE_LENGTH; i++) preface[i] = PREFACE_TEXT.charCodeAt(i)

/** A fresh copy of the 24 client preface octets (a client sends them, then its SETTINGS frame). */
export function clientPreface(): Uint8Array {
  return preface.slice()
}

/** Writes the client preface at target[offset]; returns offset + 24. */
export function writeClientPreface(target: Uint8Array, offset: number): number {
  target.set(preface, offset)
  return offset + CLIENT_PREFACE_LENGTH
}

/**
 * Guesses what a connection that did not start with the preface is speaking, from its first bytes:
 * - 'tls': a TLS record of type handshake (0x16) with major version 3, as a ClientHello starts;
 * - 'http1': an upper-case method token followed by a space (or by the end of what arrived), as in
 *   "GET / HTTP/1.1" (RFC 9112 §3);
 * - 'unknown': anything else.
 */
export function classifyPreface(bytes: Uint8Array): PrefaceLooksLike {
  if (bytes.length === 0) return 'unknown'
  if (bytes[0] === 0x16 && (bytes.length < 2 || bytes[1] === 0x03)) return 'tls'
  let i = 0
  // Methods are case-sensitive tokens; every registered one is upper-case letters, '-' or '_'.
  while (i < bytes.length && i < 24) {
    const c = bytes[i]!
    if (!((c >= 0x41 && c <= 0x5a) || c === 0x2d || c === 0x5f)) break
    i++
  }
  if (i > 0 && (i === bytes.length || bytes[i] === 0x20)) return 'http1'
  return 'unknown'
}

/**
 * Matches the 24 preface octets across chunks. `push` returns how many octets of the chunk (from `offset`)
 * belonged to the preface; once `done`, it consumes nothing more.
 */
export class PrefaceReader {
  #matched = 0

  /** True once all 24 octets have matched. */
  get done(): boolean {
    return this.#matched === CLIENT_PREFACE_LENGTH
  }

  /** Octets matched so far. */
  get matched(): number {
    return this.#matched
  }

  /**
   * Consumes preface octets from chunk[offset..]. Throws PrefaceError at the first octet that differs; its
   * `received` holds the octets matched in earlier chunks followed by chunk[offset..].
   */
  push(chunk: Uint8Array, offset = 0): number {
    let m = this.#matched
    let i = offset
    while (m < CLIENT_PREFACE_LENGTH && i < chunk.length) {
      if (chunk[i] !== preface[m]) {
        const received = new Uint8Array(this.#matched + chunk.length - offset)
        received.set(preface.subarray(0, this.#matched))
        received.set(chunk.subarray(offset), this.#matched)
        throw new PrefaceError(classifyPreface(received), received)
      }
      m++
      i++
    }
    this.#matched = m
    return i - offset
  }
}
