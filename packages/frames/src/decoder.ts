/**
 * The incremental frame decoder: bytes in, frames out, from chunks of any size.
 *
 * Memory: a frame that lies inside one chunk is decoded in place (its byte fields are `subarray` views of the
 * chunk). Only a frame that straddles chunks is copied, into a buffer of exactly its length, which the frame
 * header has already checked against maxFrameSize. The decoder never holds more than one partial frame, so its
 * memory is bounded by maxFrameSize + 9 however the input is split.
 */
import {
  DEFAULT_MAX_FRAME_SIZE,
  Flags,
  FRAME_HEADER_LENGTH,
  FrameType,
  MAX_FRAME_SIZE_LIMIT,
} from './constants.js'
import { type FrameError, FrameUsageError, frameSizeError, isFrameError, protocolError } from './errors.js'
import type { Frame } from './frame.js'
import { decodeAltSvc } from './frames/altsvc.js'
import { decodeContinuation } from './frames/continuation.js'
import { decodeData } from './frames/data.js'
import { decodeGoAway } from './frames/goaway.js'
import { decodeHeaders } from './frames/headers.js'
import { decodeOrigin } from './frames/origin.js'
import { decodePing } from './frames/ping.js'
import { decodePriority } from './frames/priority.js'
import { decodePriorityUpdate } from './frames/priority-update.js'
import { decodePushPromise } from './frames/push-promise.js'
import { decodeRstStream } from './frames/rst-stream.js'
import { decodeSettings } from './frames/settings.js'
import { decodeUnknown } from './frames/unknown.js'
import { decodeWindowUpdate } from './frames/window-update.js'
import { PrefaceReader } from './preface.js'

/** What `push()` yields: a frame, or a stream-scope FrameError in the frame's place. */
export type DecodedItem = Frame | FrameError

export interface FrameDecoderOptions {
  /**
   * Largest payload accepted: our SETTINGS_MAX_FRAME_SIZE (RFC 9113 §4.2). Default 16384, the initial value.
   * Must be in 2^14..2^24-1. Change it later with `setMaxFrameSize`.
   */
  maxFrameSize?: number
  /**
   * Which connection preface the peer starts with (RFC 9113 §3.4):
   * - 'client': a server's decoder. Expects the 24 octets "PRI * HTTP/2.0…", then a SETTINGS frame.
   * - 'server': a client's decoder. Expects a SETTINGS frame first.
   * - 'none' (default): frames from the first byte, no preface rules.
   */
  preface?: 'client' | 'server' | 'none'
}

/** The iterator `push()` returns. It decodes lazily: each `next()` decodes one frame. */
export interface FrameIterator extends Iterator<DecodedItem, undefined, undefined> {
  [Symbol.iterator](): FrameIterator
}

function checkMaxFrameSize(n: number): void {
  if (!(n >= DEFAULT_MAX_FRAME_SIZE && n <= MAX_FRAME_SIZE_LIMIT && n % 1 === 0)) {
    throw new FrameUsageError(`maxFrameSize must be an integer in 16384..16777215 (RFC 9113 §4.2), got ${n}`)
  }
}

const EMPTY = new Uint8Array(0)

/**
 * Decodes HTTP/2 frames from a byte stream.
 *
 * ```ts
 * const decoder = new FrameDecoder({ maxFrameSize: 16384, preface: 'client' })
 * socket.on('data', (chunk) => {
 *   for (const item of decoder.push(chunk)) {
 *     if (isFrameError(item)) { resetStream(item.streamId, item.code); continue } // a stream error
 *     handle(item) // a Frame
 *   }
 * })
 * ```
 *
 * Errors:
 * - A connection error is thrown from the iteration at the position of the offending frame, after every frame
 *   before it was yielded. The decoder is then dead: every later `push()` throws the same error.
 * - A stream error (a PRIORITY frame of the wrong length, RFC 9113 §6.3; a zero WINDOW_UPDATE increment on a
 *   stream, §6.9) is *yielded* as a FrameError with `scope: 'stream'` in the place of the frame, and decoding
 *   goes on with the next frame.
 */
export class FrameDecoder implements FrameIterator {
  #maxFrameSize: number
  #chunk: Uint8Array = EMPTY
  #pos = 0
  // A frame header split across chunks is gathered here.
  readonly #header = new Uint8Array(FRAME_HEADER_LENGTH)
  #headerFill = 0
  // The current frame's header while its payload is gathered into #payload (a frame that straddles chunks).
  #payload: Uint8Array | undefined
  #payloadFill = 0
  #length = 0
  #type = 0
  #flags = 0
  #streamId = 0
  #preface: PrefaceReader | undefined
  #expectSettings: boolean
  #error: FrameError | undefined
  // One result object, reused: for-of reads `done` and `value` before asking for the next.
  readonly #result: { done: boolean; value: DecodedItem | undefined } = { done: false, value: undefined }

  constructor(options: FrameDecoderOptions = {}) {
    const max = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE
    checkMaxFrameSize(max)
    this.#maxFrameSize = max
    const preface = options.preface ?? 'none'
    this.#preface = preface === 'client' ? new PrefaceReader() : undefined
    this.#expectSettings = preface !== 'none'
  }

  /** The largest payload currently accepted. */
  get maxFrameSize(): number {
    return this.#maxFrameSize
  }

  /**
   * Changes the largest payload accepted, from the next frame header on. The engine calls it when the peer
   * acknowledges SETTINGS in which we changed SETTINGS_MAX_FRAME_SIZE (RFC 9113 §6.5.3): calling it from inside
   * the loop over `push()`, on that SETTINGS ACK, applies it to exactly the frames that follow the ACK.
   */
  setMaxFrameSize(maxFrameSize: number): void {
    checkMaxFrameSize(maxFrameSize)
    this.#maxFrameSize = maxFrameSize
  }

  /** Octets held for a frame (or preface) split across chunks; 0 at a frame boundary. */
  get bufferedBytes(): number {
    if (this.#payload !== undefined) return FRAME_HEADER_LENGTH + this.#payloadFill
    if (this.#preface !== undefined) return this.#preface.matched
    return this.#headerFill
  }

  /** The connection error that killed this decoder, if one did. */
  get error(): FrameError | undefined {
    return this.#error
  }

  /**
   * Feeds the next chunk and returns an iterator over the frames it completes. Decoding is lazy: each step of
   * the iteration decodes one frame, so whatever the loop body does before asking for the next frame (such as
   * `setMaxFrameSize`) applies to the frames after it.
   *
   * Byte fields of the frames (`data`, `fragment`, `debugData`, `payload`) may be views into `chunk` or into a
   * buffer of the decoder: they are valid until the next call to `push()`. Copy what you keep longer; do not
   * modify `chunk` before the iteration is over.
   *
   * Iterate to the end before pushing again: pushing while the previous chunk still holds unread frames throws
   * FrameUsageError (the decoder keeps no queue of chunks, so its memory stays bounded). A loop left early can
   * be resumed by iterating the decoder itself (`for (const f of decoder)`). After a connection error, throws
   * that error.
   */
  push(chunk: Uint8Array): FrameIterator {
    if (this.#error !== undefined) throw this.#error
    if (this.#pos < this.#chunk.length) {
      throw new FrameUsageError(
        `push() called with ${this.#chunk.length - this.#pos} octets of the previous chunk not decoded yet; ` +
          'iterate the previous result to its end first',
      )
    }
    this.#chunk = chunk
    this.#pos = 0
    return this
  }

  /** Decodes the next frame of the current chunk, if it completes one. Part of the iterator `push()` returns. */
  next(): IteratorResult<DecodedItem, undefined> {
    const result = this.#result
    const item = this.#nextItem()
    result.done = item === undefined
    result.value = item
    return result as IteratorResult<DecodedItem, undefined>
  }

  [Symbol.iterator](): FrameIterator {
    return this
  }

  #nextItem(): DecodedItem | undefined {
    if (this.#error !== undefined) throw this.#error
    try {
      return this.#decodeOne()
    } catch (e) {
      if (!isFrameError(e)) throw e
      if (e.scope === 'stream') return e
      this.#error = e
      this.#chunk = EMPTY
      this.#pos = 0
      throw e
    }
  }

  #decodeOne(): Frame | undefined {
    const buf = this.#chunk
    const end = buf.length
    let pos = this.#pos
    if (pos >= end) return undefined

    if (this.#preface !== undefined) {
      pos += this.#preface.push(buf, pos)
      this.#pos = pos
      if (this.#preface.done) this.#preface = undefined
      if (pos >= end) return undefined
    }

    // Gathering the payload of a frame that straddles chunks.
    const payload = this.#payload
    if (payload !== undefined) {
      const take = Math.min(this.#length - this.#payloadFill, end - pos)
      payload.set(buf.subarray(pos, pos + take), this.#payloadFill)
      this.#payloadFill += take
      this.#pos = pos + take
      if (this.#payloadFill < this.#length) return undefined
      this.#payload = undefined
      return this.#decodePayload(payload, 0)
    }

    let length: number
    if (this.#headerFill > 0 || end - pos < FRAME_HEADER_LENGTH) {
      // A header split across chunks.
      const header = this.#header
      const take = Math.min(FRAME_HEADER_LENGTH - this.#headerFill, end - pos)
      header.set(buf.subarray(pos, pos + take), this.#headerFill)
      this.#headerFill += take
      pos += take
      this.#pos = pos
      if (this.#headerFill < FRAME_HEADER_LENGTH) return undefined
      this.#headerFill = 0
      length = this.#readHeader(header, 0)
    } else {
      length = this.#readHeader(buf, pos)
      pos += FRAME_HEADER_LENGTH
    }

    if (end - pos >= length) {
      // The whole payload is in this chunk: decode in place. Advance first, so a stream error leaves the
      // decoder at the next frame.
      this.#pos = pos + length
      return this.#decodePayload(buf, pos)
    }
    // Straddles: copy what is here into a buffer of exactly the payload's (already checked) length.
    const gather = new Uint8Array(length)
    gather.set(buf.subarray(pos, end))
    this.#payload = gather
    this.#payloadFill = end - pos
    this.#pos = end
    return undefined
  }

  /** Reads and checks a frame header; keeps its fields and returns the payload length. */
  #readHeader(b: Uint8Array, p: number): number {
    const length = (b[p]! << 16) | (b[p + 1]! << 8) | b[p + 2]!
    const type = b[p + 3]!
    const flags = b[p + 4]!
    // RFC 9113 §4.1: the reserved bit is ignored on receipt.
    const streamId = ((b[p + 5]! & 0x7f) << 24) | (b[p + 6]! << 16) | (b[p + 7]! << 8) | b[p + 8]!
    this.#length = length
    this.#type = type
    this.#flags = flags
    this.#streamId = streamId
    // RFC 9113 §4.2: larger than our SETTINGS_MAX_FRAME_SIZE. Checked before any payload is buffered.
    if (length > this.#maxFrameSize) {
      throw frameSizeError(
        'frame-too-large',
        type,
        flags,
        streamId,
        length,
        `payload of ${length} octets, SETTINGS_MAX_FRAME_SIZE is ${this.#maxFrameSize}`,
      )
    }
    if (this.#expectSettings) {
      // RFC 9113 §3.4: each preface ends with (or is) a SETTINGS frame; anything else is an invalid preface.
      if (type !== FrameType.SETTINGS || (flags & Flags.ACK) !== 0) {
        throw protocolError(
          'preface-not-settings',
          type,
          flags,
          streamId,
          length,
          'the first frame must be SETTINGS',
        )
      }
      this.#expectSettings = false
    }
    return length
  }

  #decodePayload(b: Uint8Array, p: number): Frame {
    const length = this.#length
    const flags = this.#flags
    const streamId = this.#streamId
    switch (this.#type) {
      case FrameType.DATA:
        return decodeData(b, p, length, flags, streamId)
      case FrameType.HEADERS:
        return decodeHeaders(b, p, length, flags, streamId)
      case FrameType.PRIORITY:
        return decodePriority(b, p, length, flags, streamId)
      case FrameType.RST_STREAM:
        return decodeRstStream(b, p, length, flags, streamId)
      case FrameType.SETTINGS:
        return decodeSettings(b, p, length, flags, streamId)
      case FrameType.PUSH_PROMISE:
        return decodePushPromise(b, p, length, flags, streamId)
      case FrameType.PING:
        return decodePing(b, p, length, flags, streamId)
      case FrameType.GOAWAY:
        return decodeGoAway(b, p, length, flags, streamId)
      case FrameType.WINDOW_UPDATE:
        return decodeWindowUpdate(b, p, length, flags, streamId)
      case FrameType.CONTINUATION:
        return decodeContinuation(b, p, length, flags, streamId)
      case FrameType.ALTSVC:
        return decodeAltSvc(b, p, length, flags, streamId)
      case FrameType.ORIGIN:
        return decodeOrigin(b, p, length, flags, streamId)
      case FrameType.PRIORITY_UPDATE:
        return decodePriorityUpdate(b, p, length, flags, streamId)
      default:
        return decodeUnknown(b, p, length, this.#type, flags, streamId)
    }
  }
}

/**
 * Decodes a complete byte string into an array (a convenience for tests and tools; the connection path uses
 * `FrameDecoder.push`). Throws connection errors; stream errors are in the array. Throws FrameUsageError if
 * the bytes end inside a frame.
 */
export function decodeFrames(bytes: Uint8Array, options: FrameDecoderOptions = {}): DecodedItem[] {
  const decoder = new FrameDecoder(options)
  const out: DecodedItem[] = []
  for (const item of decoder.push(bytes)) out.push(item)
  if (decoder.bufferedBytes !== 0) {
    throw new FrameUsageError(`the bytes end inside a frame (${decoder.bufferedBytes} octets left over)`)
  }
  return out
}
