/** fast-check properties: round trip for every frame type, split invariance, random input. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type DecodedItem,
  encodeFrame,
  encodeFrames,
  Flags,
  type Frame,
  FrameDecoder,
  FrameType,
  isFrameError,
  isKnownFrameType,
  type Priority,
  type Setting,
  settingError,
} from '../src/index.js'
import { plain } from './support.js'

const MAX = 2 ** 31 - 1
const bytes = (max = 64) => fc.uint8Array({ maxLength: max })
const latin1 = (max = 40) => bytes(max).map((b) => String.fromCharCode(...b))
const streamId = fc.integer({ min: 1, max: MAX })
const uint32 = fc.integer({ min: 0, max: 2 ** 32 - 1 })
const pad = fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined })
/** Flags with the codec-owned bits cleared (the encoder derives PADDED and PRIORITY from fields). */
const otherFlags = fc.integer({ min: 0, max: 255 }).map((f) => f & ~(Flags.PADDED | Flags.PRIORITY))
const priority: fc.Arbitrary<Priority> = fc.record({
  dependency: fc.integer({ min: 0, max: MAX }),
  exclusive: fc.boolean(),
  weight: fc.integer({ min: 1, max: 256 }),
})
const setting: fc.Arbitrary<Setting> = fc
  .record({
    id: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 0xffff })),
    value: fc.oneof(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 16384, max: 2 ** 24 - 1 }), uint32),
  })
  .filter((s) => settingError(s) === undefined)

/** Drops `undefined` optional fields, as exactOptionalPropertyTypes and the decoder do. */
function clean<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T
}

const frameArb: fc.Arbitrary<Frame> = fc.oneof(
  fc
    .record({ flags: otherFlags, streamId, data: bytes(), padLength: pad })
    .map((r) =>
      clean({ type: FrameType.DATA, ...r, flags: r.flags | (r.padLength === undefined ? 0 : Flags.PADDED) }),
    ),
  fc
    .record({
      flags: otherFlags,
      streamId,
      fragment: bytes(),
      padLength: pad,
      priority: fc.option(priority, { nil: undefined }),
    })
    .map((r) =>
      clean({
        type: FrameType.HEADERS,
        ...r,
        flags:
          r.flags |
          (r.padLength === undefined ? 0 : Flags.PADDED) |
          (r.priority === undefined ? 0 : Flags.PRIORITY),
      }),
    ),
  fc.record({ type: fc.constant(FrameType.PRIORITY), flags: fc.nat(255), streamId, priority }),
  fc.record({ type: fc.constant(FrameType.RST_STREAM), flags: fc.nat(255), streamId, errorCode: uint32 }),
  fc.record({ flags: fc.nat(255), settings: fc.array(setting, { maxLength: 8 }) }).map((r) => ({
    type: FrameType.SETTINGS,
    flags: r.flags,
    streamId: 0,
    settings: (r.flags & Flags.ACK) !== 0 ? [] : r.settings,
  })),
  fc
    .record({
      flags: otherFlags,
      streamId,
      promisedStreamId: fc.integer({ min: 1, max: 2 ** 30 - 1 }).map((n) => 2 * n),
      fragment: bytes(),
      padLength: pad,
    })
    .map((r) =>
      clean({
        type: FrameType.PUSH_PROMISE,
        ...r,
        flags: r.flags | (r.padLength === undefined ? 0 : Flags.PADDED),
      }),
    ),
  fc.record({
    type: fc.constant(FrameType.PING),
    flags: fc.nat(255),
    streamId: fc.constant(0),
    data: fc.uint8Array({ minLength: 8, maxLength: 8 }),
  }),
  fc.record({
    type: fc.constant(FrameType.GOAWAY),
    flags: fc.nat(255),
    streamId: fc.constant(0),
    lastStreamId: fc.integer({ min: 0, max: MAX }),
    errorCode: uint32,
    debugData: bytes(),
  }),
  fc.record({
    type: fc.constant(FrameType.WINDOW_UPDATE),
    flags: fc.nat(255),
    streamId: fc.integer({ min: 0, max: MAX }),
    increment: fc.integer({ min: 1, max: MAX }),
  }),
  fc.record({ type: fc.constant(FrameType.CONTINUATION), flags: fc.nat(255), streamId, fragment: bytes() }),
  fc.oneof(
    fc.record({
      type: fc.constant(FrameType.ALTSVC),
      flags: fc.nat(255),
      streamId: fc.constant(0),
      origin: latin1().filter((s) => s.length > 0),
      fieldValue: latin1(),
    }),
    fc.record({
      type: fc.constant(FrameType.ALTSVC),
      flags: fc.nat(255),
      streamId,
      origin: fc.constant(''),
      fieldValue: latin1(),
    }),
  ),
  fc.record({
    type: fc.constant(FrameType.ORIGIN),
    flags: fc.nat(255).map((f) => f & 0xf0),
    streamId: fc.constant(0),
    origins: fc.array(latin1(), { maxLength: 4 }),
  }),
  fc.record({
    type: fc.constant(FrameType.PRIORITY_UPDATE),
    flags: fc.nat(255),
    streamId: fc.constant(0),
    prioritizedStreamId: streamId,
    fieldValue: latin1(),
  }),
  fc.record({
    type: fc.nat(255).filter((t) => !isKnownFrameType(t)),
    flags: fc.nat(255),
    streamId: fc.integer({ min: 0, max: MAX }),
    payload: bytes(),
  }),
) as fc.Arbitrary<Frame>

function decodeChunks(chunks: Uint8Array[]): DecodedItem[] {
  const decoder = new FrameDecoder()
  const out: DecodedItem[] = []
  for (const c of chunks) for (const item of decoder.push(c)) out.push(item)
  expect(decoder.bufferedBytes).toBe(0)
  return out
}

describe('properties', () => {
  it('decode(encode(frame)) is the frame, for every frame type', () => {
    fc.assert(
      fc.property(frameArb, (frame) => {
        const items = decodeChunks([encodeFrame(frame)])
        expect(items).toHaveLength(1)
        expect(isFrameError(items[0])).toBe(false)
        expect(plain(items[0])).toEqual(plain(frame))
      }),
      { numRuns: 2000 },
    )
  })

  it('any split of a byte stream decodes to the same frames', () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (frames, cuts) => {
          const all = encodeFrames(frames)
          const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b)
          const chunks: Uint8Array[] = []
          let from = 0
          for (const p of [...points, all.length]) {
            chunks.push(all.subarray(from, p))
            from = p
          }
          expect(plain(decodeChunks(chunks))).toEqual(plain(frames))
        },
      ),
      { numRuns: 500 },
    )
  })

  /** Feeds bytes in the given chunk sizes; only FrameErrors may escape; memory stays bounded. */
  function survives(input: Uint8Array, sizes: number[], preface: 'client' | 'server' | 'none') {
    const decoder = new FrameDecoder({ preface })
    let at = 0
    let i = 0
    try {
      while (at < input.length) {
        const size = 1 + ((sizes[i++ % Math.max(1, sizes.length)] ?? 0) % 4096)
        for (const item of decoder.push(input.subarray(at, at + size))) {
          expect(item).toBeTypeOf('object')
          if (isFrameError(item)) expect(item.scope).toBe('stream')
        }
        expect(decoder.bufferedBytes).toBeLessThanOrEqual(decoder.maxFrameSize + 9)
        at += size
      }
    } catch (e) {
      if (!isFrameError(e)) throw e
      expect(e.scope).toBe('connection')
      expect(decoder.error).toBe(e)
    }
  }

  it('random bytes only ever raise FrameErrors, never hang, stay bounded', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2000 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.constantFrom('client', 'server', 'none' as const),
        (input, sizes, preface) => survives(input, sizes, preface),
      ),
      { numRuns: 2000 },
    )
  })

  it('mutated valid frame streams only ever raise FrameErrors', () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 8 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (frames, flips, sizes) => {
          const input = encodeFrames(frames)
          for (const [at, value] of flips) input[at % input.length] = value
          survives(input, sizes, 'none')
        },
      ),
      { numRuns: 2000 },
    )
  })
})
