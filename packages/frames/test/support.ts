/** Helpers shared by the frame tests. */
import { expect } from 'vitest'
import {
  type DecodedItem,
  encodeFrameHeader,
  type Frame,
  FrameDecoder,
  type FrameDecoderOptions,
  type FrameError,
  type FrameErrorReason,
  isFrameError,
} from '../src/index.js'

/** A raw frame: a 9-octet header with exactly these fields, then `payload` (lengths need not agree). */
export function raw(
  type: number,
  flags: number,
  streamId: number,
  payload: ArrayLike<number> = [],
  length?: number,
) {
  const out = new Uint8Array(9 + payload.length)
  // encodeFrameHeader refuses a reserved bit; write the stream id by hand so tests can set it.
  encodeFrameHeader(out, 0, length ?? payload.length, type, flags, 0)
  out[5] = streamId >>> 24
  out[6] = streamId >>> 16
  out[7] = streamId >>> 8
  out[8] = streamId
  out.set(payload, 9)
  return out
}

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

/** Decodes bytes in one push; returns the items, or the thrown connection error as the last item. */
export function decodeItems(bytes: Uint8Array, options: FrameDecoderOptions = {}): DecodedItem[] {
  const decoder = new FrameDecoder(options)
  const out: DecodedItem[] = []
  try {
    for (const item of decoder.push(bytes)) out.push(item)
  } catch (e) {
    if (!isFrameError(e)) throw e
    out.push(e)
  }
  return out
}

/** Decodes bytes holding exactly one valid frame and returns it. */
export function decodeOne(bytes: Uint8Array, options: FrameDecoderOptions = {}): Frame {
  const items = decodeItems(bytes, options)
  expect(items).toHaveLength(1)
  const item = items[0]!
  if (isFrameError(item)) throw item
  return item
}

export interface ExpectedError {
  code: number
  scope: 'connection' | 'stream'
  reason: FrameErrorReason
  streamId?: number
}

/** Asserts that the bytes fail with exactly this error (thrown for connection scope, yielded for stream). */
export function expectDecodeError(
  bytes: Uint8Array,
  expected: ExpectedError,
  options: FrameDecoderOptions = {},
) {
  const decoder = new FrameDecoder(options)
  let error: FrameError | undefined
  let thrown = false
  try {
    for (const item of decoder.push(bytes)) {
      if (isFrameError(item)) {
        error = item
        break
      }
    }
  } catch (e) {
    if (!isFrameError(e)) throw e
    error = e
    thrown = true
  }
  expect(error, 'expected a FrameError').toBeDefined()
  const e = error!
  expect({ code: e.code, scope: e.scope, reason: e.reason }).toEqual({
    code: expected.code,
    scope: expected.scope,
    reason: expected.reason,
  })
  if (expected.streamId !== undefined) expect(e.streamId).toBe(expected.streamId)
  // Connection errors are thrown (and kill the decoder); stream errors are yielded.
  expect(thrown).toBe(expected.scope === 'connection')
  if (thrown) expect(() => decoder.push(new Uint8Array(1))).toThrow(e)
  return e
}

/** Bytes from small integers. */
export const u8 = (...values: number[]) => Uint8Array.from(values)

/** A frame object with Uint8Array fields turned into arrays, for deep equality that ignores views vs copies. */
export function plain(item: unknown): unknown {
  return JSON.parse(JSON.stringify(item, (_k, v) => (v instanceof Uint8Array ? Array.from(v) : v)))
}
