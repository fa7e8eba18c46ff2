/**
 * Sending a field block (RFC 9113 §4.3): one HEADERS or PUSH_PROMISE frame, then as many CONTINUATION frames as
 * the peer's SETTINGS_MAX_FRAME_SIZE requires. END_HEADERS is set on the last frame only; END_STREAM, priority
 * and padding belong to the first frame (CONTINUATION has none of them, §6.10). The frames are written back to
 * back into one buffer, which keeps the sequence contiguous as §4.3 requires.
 */
import { Flags, FRAME_HEADER_LENGTH, FrameType, MAX_FRAME_SIZE_LIMIT, MAX_STREAM_ID } from './constants.js'
import { FrameUsageError } from './errors.js'
import type { Priority } from './frame.js'
import { checkRange, encodeFrameHeader } from './header.js'
import { checkPriority, writePriority } from './priority-fields.js'

interface BlockOptionsBase {
  /** The stream the HEADERS (or PUSH_PROMISE) frame is sent on. */
  streamId: number
  /** The whole encoded field block (HPACK output). */
  block: Uint8Array
  /** The peer's SETTINGS_MAX_FRAME_SIZE: no frame payload will be larger. */
  maxFrameSize: number
  /** Padding octets for the first frame (adds PADDED and the Pad Length octet; §6.2, §6.6). */
  padLength?: number
}

export interface HeadersBlockOptions extends BlockOptionsBase {
  /** Sets END_STREAM on the HEADERS frame (§6.2: it still may be followed by CONTINUATION). */
  endStream?: boolean
  /** RFC 7540 priority fields on the HEADERS frame (sets PRIORITY). */
  priority?: Priority
}

export interface PushPromiseBlockOptions extends BlockOptionsBase {
  promisedStreamId: number
}

interface Plan {
  type: number
  flags: number
  fixed: number // octets before the fragment in the first frame (pad length, priority, promised id)
  firstCapacity: number
  total: number
  frames: number
}

function plan(type: number, opts: BlockOptionsBase, fixedFields: number, flags: number): Plan {
  checkRange(opts.streamId, MAX_STREAM_ID, 'streamId')
  if (!(opts.maxFrameSize >= 1 && opts.maxFrameSize <= MAX_FRAME_SIZE_LIMIT && opts.maxFrameSize % 1 === 0)) {
    throw new FrameUsageError(`maxFrameSize must be an integer in 1..16777215, got ${opts.maxFrameSize}`)
  }
  let fixed = fixedFields
  let padding = 0
  if (opts.padLength !== undefined) {
    checkRange(opts.padLength, 0xff, 'padLength')
    fixed += 1
    padding = opts.padLength
    flags |= Flags.PADDED
  }
  const firstCapacity = opts.maxFrameSize - fixed - padding
  if (firstCapacity < 0) {
    throw new FrameUsageError(`padding and fixed fields (${fixed + padding} octets) exceed maxFrameSize`)
  }
  const block = opts.block.length
  const first = Math.min(block, firstCapacity)
  const rest = block - first
  const continuations = Math.ceil(rest / opts.maxFrameSize)
  return {
    type,
    flags,
    fixed,
    firstCapacity,
    frames: 1 + continuations,
    total: (1 + continuations) * FRAME_HEADER_LENGTH + fixed + padding + block,
  }
}

function write(
  p: Plan,
  opts: BlockOptionsBase,
  target: Uint8Array,
  offset: number,
  writeFixed: (target: Uint8Array, offset: number) => number,
): number {
  if (!(offset >= 0) || offset + p.total > target.length) {
    throw new FrameUsageError(
      `the ${p.total} octets of the field block frames do not fit at offset ${offset}`,
    )
  }
  const block = opts.block
  const padding = opts.padLength ?? 0
  const first = Math.min(block.length, p.firstCapacity)
  const flags = p.frames === 1 ? p.flags | Flags.END_HEADERS : p.flags
  let o = encodeFrameHeader(target, offset, p.fixed + first + padding, p.type, flags, opts.streamId)
  if (opts.padLength !== undefined) target[o++] = padding
  o = writeFixed(target, o)
  target.set(block.subarray(0, first), o)
  o += first
  target.fill(0, o, o + padding)
  o += padding
  for (let from = first; from < block.length; from += opts.maxFrameSize) {
    const to = Math.min(from + opts.maxFrameSize, block.length)
    const last = to === block.length
    o = encodeFrameHeader(
      target,
      o,
      to - from,
      FrameType.CONTINUATION,
      last ? Flags.END_HEADERS : 0,
      opts.streamId,
    )
    target.set(block.subarray(from, to), o)
    o += to - from
  }
  return o
}

function headersPlan(opts: HeadersBlockOptions): Plan {
  let flags = opts.endStream === true ? Flags.END_STREAM : 0
  let fixed = 0
  if (opts.priority !== undefined) {
    checkPriority(opts.priority)
    flags |= Flags.PRIORITY
    fixed = 5
  }
  return plan(FrameType.HEADERS, opts, fixed, flags)
}

/** Octets `encodeHeadersBlockInto` writes for these options. */
export function headersBlockLength(opts: HeadersBlockOptions): number {
  return headersPlan(opts).total
}

/** Writes HEADERS + CONTINUATION* for the block at target[offset]; returns the offset after them. */
export function encodeHeadersBlockInto(
  opts: HeadersBlockOptions,
  target: Uint8Array,
  offset: number,
): number {
  const priority = opts.priority
  return write(headersPlan(opts), opts, target, offset, (t, o) =>
    priority === undefined ? o : writePriority(t, o, priority),
  )
}

/** HEADERS + CONTINUATION* for the block, in one new buffer. */
export function encodeHeadersBlock(opts: HeadersBlockOptions): Uint8Array {
  const p = headersPlan(opts)
  const out = new Uint8Array(p.total)
  const priority = opts.priority
  write(p, opts, out, 0, (t, o) => (priority === undefined ? o : writePriority(t, o, priority)))
  return out
}

function pushPlan(opts: PushPromiseBlockOptions): Plan {
  checkRange(opts.promisedStreamId, MAX_STREAM_ID, 'promisedStreamId')
  return plan(FrameType.PUSH_PROMISE, opts, 4, 0)
}

function writePromised(id: number): (t: Uint8Array, o: number) => number {
  return (t, o) => {
    t[o] = id >>> 24
    t[o + 1] = id >>> 16
    t[o + 2] = id >>> 8
    t[o + 3] = id
    return o + 4
  }
}

/** Octets `encodePushPromiseBlockInto` writes for these options. */
export function pushPromiseBlockLength(opts: PushPromiseBlockOptions): number {
  return pushPlan(opts).total
}

/** Writes PUSH_PROMISE + CONTINUATION* at target[offset]; returns the offset after them. */
export function encodePushPromiseBlockInto(
  opts: PushPromiseBlockOptions,
  target: Uint8Array,
  offset: number,
): number {
  return write(pushPlan(opts), opts, target, offset, writePromised(opts.promisedStreamId))
}

/** PUSH_PROMISE + CONTINUATION* for the block, in one new buffer. */
export function encodePushPromiseBlock(opts: PushPromiseBlockOptions): Uint8Array {
  const p = pushPlan(opts)
  const out = new Uint8Array(p.total)
  write(p, opts, out, 0, writePromised(opts.promisedStreamId))
  return out
}
