/**
 * The frames as objects: one interface per type, joined in the `Frame` union whose discriminant is the wire
 * `type`. Decoded frames and frames given to the encoder have the same shape.
 *
 * - `flags` is the flags octet as on the wire: unknown bits are kept on decode and written back on encode.
 *   The encoder owns PADDED and PRIORITY (it sets them from `padLength` and `priority`), nothing else.
 * - `streamId` never includes the reserved bit (RFC 9113 §4.1: ignored on receipt, zero when sending).
 * - Byte fields (`data`, `fragment`, ...) decoded from a frame that lies inside one pushed chunk are views into
 *   that chunk (`subarray`), not copies.
 */
import { FrameType, type KnownFrameType } from './constants.js'

/** Fields every frame has (RFC 9113 §4.1). */
export interface FrameFields {
  /** The flags octet, unknown bits included. */
  flags: number
  /** 31-bit stream identifier; 0 for the connection. */
  streamId: number
}

/** RFC 7540 §5.3 priority fields, kept for interoperability though RFC 9113 §5.3.2 deprecates them. */
export interface Priority {
  /** The stream this one depends on (31 bits). */
  dependency: number
  /** The E bit. */
  exclusive: boolean
  /**
   * The weight as the RFC means it, 1–256: the wire carries weight − 1 in one octet (RFC 9113 §6.2 "add one
   * to the value to obtain a weight between 1 and 256"). The encoder refuses values outside 1–256.
   */
  weight: number
}

/** DATA (RFC 9113 §6.1). `padLength` is present iff the PADDED flag is (padding bytes are not kept). */
export interface DataFrame extends FrameFields {
  type: typeof FrameType.DATA
  data: Uint8Array
  padLength?: number
}

/** HEADERS (RFC 9113 §6.2). `priority` is present iff the PRIORITY flag is; `padLength` iff PADDED. */
export interface HeadersFrame extends FrameFields {
  type: typeof FrameType.HEADERS
  /** A field block fragment: HPACK bytes, decoded by the layer above once END_HEADERS arrives. */
  fragment: Uint8Array
  padLength?: number
  priority?: Priority
}

/** PRIORITY (RFC 9113 §6.3). */
export interface PriorityFrame extends FrameFields {
  type: typeof FrameType.PRIORITY
  priority: Priority
}

/** RST_STREAM (RFC 9113 §6.4). `errorCode` may be any 32-bit value; see ErrorCode. */
export interface RstStreamFrame extends FrameFields {
  type: typeof FrameType.RST_STREAM
  errorCode: number
}

/** One setting of a SETTINGS frame (RFC 9113 §6.5.1). `id` may be any 16-bit value; see SettingId. */
export interface Setting {
  id: number
  value: number
}

/** SETTINGS (RFC 9113 §6.5): the settings in wire order, duplicates kept. An ACK has none. */
export interface SettingsFrame extends FrameFields {
  type: typeof FrameType.SETTINGS
  settings: Setting[]
}

/** PUSH_PROMISE (RFC 9113 §6.6). */
export interface PushPromiseFrame extends FrameFields {
  type: typeof FrameType.PUSH_PROMISE
  promisedStreamId: number
  fragment: Uint8Array
  padLength?: number
}

/** PING (RFC 9113 §6.7): `data` is exactly 8 octets. */
export interface PingFrame extends FrameFields {
  type: typeof FrameType.PING
  data: Uint8Array
}

/** GOAWAY (RFC 9113 §6.8). */
export interface GoAwayFrame extends FrameFields {
  type: typeof FrameType.GOAWAY
  lastStreamId: number
  errorCode: number
  debugData: Uint8Array
}

/** WINDOW_UPDATE (RFC 9113 §6.9): `increment` is 1..2^31-1 on a valid frame. */
export interface WindowUpdateFrame extends FrameFields {
  type: typeof FrameType.WINDOW_UPDATE
  increment: number
}

/** CONTINUATION (RFC 9113 §6.10). */
export interface ContinuationFrame extends FrameFields {
  type: typeof FrameType.CONTINUATION
  fragment: Uint8Array
}

/**
 * Why an ALTSVC or ORIGIN frame is one its RFC says the receiver MUST ignore. Those frames are still delivered
 * (the gateway may count them) with this marker; an endpoint that acts on them must skip marked ones.
 */
export type IgnoredFrameReason =
  | 'altsvc-malformed' // Origin-Len runs past the payload (fields are then empty)
  | 'altsvc-origin-on-stream' // RFC 7838 §4: non-empty origin on a stream other than 0
  | 'altsvc-no-origin' // RFC 7838 §4: empty origin on stream 0
  | 'origin-not-stream-0' // RFC 8336 §2.1
  | 'origin-reserved-flags' // RFC 8336 §2.1: flags 0x1-0x8 reserved for incompatible changes
  | 'origin-malformed' // an Origin-Len runs past the payload (entries read before it are kept)

/**
 * ALTSVC (RFC 7838 §4). Text fields are Latin-1 strings, one character per octet, so every byte survives a
 * round trip (the RFC requires ASCII).
 */
export interface AltSvcFrame extends FrameFields {
  type: typeof FrameType.ALTSVC
  origin: string
  /** The Alt-Svc field value (RFC 7838 §3). */
  fieldValue: string
  /** Set on decode when RFC 7838 §4 says to ignore the frame. Ignored by the encoder. */
  ignored?: IgnoredFrameReason
}

/** ORIGIN (RFC 8336 §2). `origins` are Latin-1 strings (ASCII serialisations of origins). */
export interface OriginFrame extends FrameFields {
  type: typeof FrameType.ORIGIN
  origins: string[]
  /** Set on decode when RFC 8336 §2.1 says to ignore the frame. Ignored by the encoder. */
  ignored?: IgnoredFrameReason
}

/** PRIORITY_UPDATE (RFC 9218 §7.1). `fieldValue` is the Priority field value (RFC 9218 §5) as Latin-1. */
export interface PriorityUpdateFrame extends FrameFields {
  type: typeof FrameType.PRIORITY_UPDATE
  prioritizedStreamId: number
  fieldValue: string
}

/**
 * A frame of a type this codec does not parse, delivered so the layer above can ignore it (RFC 9113 §4.1,
 * §5.5) — or handle an extension of its own. Encoding one writes `payload` as is.
 */
export interface UnknownFrame extends FrameFields {
  type: number
  payload: Uint8Array
}

/** Every frame type this codec parses. Narrow with `switch (frame.type)` after `isKnownFrame`. */
export type KnownFrame =
  | DataFrame
  | HeadersFrame
  | PriorityFrame
  | RstStreamFrame
  | SettingsFrame
  | PushPromiseFrame
  | PingFrame
  | GoAwayFrame
  | WindowUpdateFrame
  | ContinuationFrame
  | AltSvcFrame
  | OriginFrame
  | PriorityUpdateFrame

/** Any frame. */
export type Frame = KnownFrame | UnknownFrame

const known = new Uint8Array(256)
for (const t of Object.values(FrameType)) known[t] = 1

/** True when `type` is one of the frame types this codec parses (the values of FrameType). */
export function isKnownFrameType(type: number): type is KnownFrameType {
  return known[type] === 1
}

/**
 * True when the frame is one of the parsed types. `UnknownFrame.type` is a plain number, so a `switch` on
 * `frame.type` narrows to a single interface only after this guard has removed UnknownFrame.
 */
export function isKnownFrame(frame: Frame): frame is KnownFrame {
  return known[frame.type] === 1
}
