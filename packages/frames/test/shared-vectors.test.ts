/**
 * Every case of http2jp/http2-frame-test-case (../shared/http2-frame-test-case), written against the 2014
 * drafts. Where a case disagrees with RFC 9113 it is listed in DIVERGENCES and the RFC behaviour is asserted.
 */
import { describe, expect, it } from 'vitest'
import {
  fromHex,
  hasSharedData,
  listShared,
  readSharedJson,
  toHex,
} from '../../../test/support/shared-data.js'
import {
  encodeFrame,
  type Frame,
  FrameDecoder,
  FrameType,
  isFrameError,
  type SettingsFrame,
} from '../src/index.js'

const SET = 'http2-frame-test-case'

/** The payload fields the vectors use (snake_case, null when absent). */
interface VectorPayload {
  data?: string
  padding_length?: number | null
  padding?: string | null
  header_block_fragment?: string
  stream_dependency?: number | null
  weight?: number | null
  exclusive?: boolean | null
  error_code?: number
  last_stream_id?: number
  additional_debug_data?: string
  opaque_data?: string
  window_size_increment?: number
  promised_stream_id?: number
  settings?: [number, number][]
}

interface Case {
  description: string
  wire: string
  error: number[] | null
  frame: {
    length: number
    type: number
    flags: number
    stream_identifier: number
    frame_payload: VectorPayload
  } | null
}

/**
 * Cases whose re-encoding differs from `wire`, and why. RFC 9113 §6.1, §6.2 and §6.6: "Padding octets MUST be
 * set to zero when sending". These vectors carry text as padding ("Howdy!", "This is padding."); our decoder
 * accepts it (a receiver is not obliged to check padding) but our encoder writes zeros, so we assert that the
 * re-encoding equals `wire` with the padding octets zeroed.
 */
const DIVERGENCES: Record<string, string> = {
  'data/normal.json': 'non-zero padding "Howdy!": re-encoded with zero padding (RFC 9113 §6.1)',
  'headers/priority.json':
    'non-zero padding "This is padding.": re-encoded with zero padding (RFC 9113 §6.2)',
  'push_promise/normal.json': 'non-zero padding "Howdy!": re-encoded with zero padding (RFC 9113 §6.6)',
}

/**
 * Who owns each rule of error/, and the scope RFC 9113 gives it. All of these the codec can check alone; the
 * notes say which part of the full rule needs stream state and is left to the engine (packages/streams).
 */
const ERROR_RULES: Record<string, { scope: 'connection' | 'stream'; owner: string }> = {
  'data-frame-padding.json': { scope: 'connection', owner: 'codec (§6.1)' },
  'data-frame-size.json': {
    scope: 'connection',
    owner: 'codec: length vs our SETTINGS_MAX_FRAME_SIZE (§4.2)',
  },
  'data-frame-stream.json': {
    scope: 'connection',
    owner: 'codec (§6.1); DATA on a closed/idle stream: engine',
  },
  'goaway-frame-size.json': { scope: 'connection', owner: 'codec (§4.2 too small)' },
  'goaway-frame-stream.json': { scope: 'connection', owner: 'codec (§6.8)' },
  'headers-frame-padding.json': { scope: 'connection', owner: 'codec (§6.2)' },
  'headers-frame-stream.json': { scope: 'connection', owner: 'codec (§6.2)' },
  'ping-frame-size.json': { scope: 'connection', owner: 'codec (§6.7)' },
  'ping-frame-stream.json': { scope: 'connection', owner: 'codec (§6.7)' },
  'priority-frame-size.json': { scope: 'stream', owner: 'codec (§6.3: a STREAM error)' },
  'priority-frame-stream.json': { scope: 'connection', owner: 'codec (§6.3)' },
  'push_promise-frame-padding.json': {
    scope: 'connection',
    owner: 'codec (§4.2: too small for the promised id)',
  },
  'push_promise-frame-promised_stream-odd.json': {
    scope: 'connection',
    owner: 'codec: odd ids are never server streams (§5.1.1); "not idle / not increasing": engine',
  },
  'push_promise-frame-promised_stream-zero.json': { scope: 'connection', owner: 'codec (§6.6, §5.1.1)' },
  'push_promise-frame-stream.json': {
    scope: 'connection',
    owner: 'codec (§6.6); server receiving it, push disabled: engine',
  },
  'rst_stream-frame-size.json': { scope: 'connection', owner: 'codec (§6.4)' },
  'rst_stream-frame-stream.json': {
    scope: 'connection',
    owner: 'codec (§6.4); RST_STREAM on an idle stream: engine',
  },
  'settings-frame-ack-size.json': { scope: 'connection', owner: 'codec (§6.5)' },
  'settings-frame-size.json': { scope: 'connection', owner: 'codec (§6.5)' },
  'settings-frame-stream.json': { scope: 'connection', owner: 'codec (§6.5)' },
  'window_update-frame-increment.json': { scope: 'stream', owner: 'codec (§6.9: stream error on a stream)' },
  'window_update-frame-size.json': { scope: 'connection', owner: 'codec (§6.9)' },
}

const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0))

/** The vector's payload fields, in our shape, for the fields the vector gives. */
function expectedFields(type: number, p: VectorPayload): Partial<Record<string, unknown>> {
  const out: Partial<Record<string, unknown>> = {}
  const set = (key: string, value: unknown) => {
    out[key] = value
  }
  if (typeof p.padding_length === 'number') set('padLength', p.padding_length)
  if (typeof p.data === 'string') set('data', ascii(p.data))
  if (typeof p.header_block_fragment === 'string') set('fragment', ascii(p.header_block_fragment))
  if (typeof p.stream_dependency === 'number') {
    // The vectors give the weight as 1-256, like our Priority.weight.
    set('priority', { dependency: p.stream_dependency, exclusive: p.exclusive, weight: p.weight })
  }
  if (typeof p.error_code === 'number') set('errorCode', p.error_code)
  if (typeof p.last_stream_id === 'number') set('lastStreamId', p.last_stream_id)
  if (typeof p.additional_debug_data === 'string') set('debugData', ascii(p.additional_debug_data))
  if (typeof p.opaque_data === 'string') set('data', ascii(p.opaque_data))
  if (typeof p.window_size_increment === 'number') set('increment', p.window_size_increment)
  if (typeof p.promised_stream_id === 'number') set('promisedStreamId', p.promised_stream_id)
  if (Array.isArray(p.settings))
    set(
      'settings',
      p.settings.map(([id, value]) => ({ id, value })),
    )
  expect(Object.keys(out).length, `type ${type}: the vector has fields we map`).toBeGreaterThan(0)
  return out
}

function plainFrame(f: Frame): Record<string, unknown> {
  return JSON.parse(JSON.stringify(f, (_k, v) => (v instanceof Uint8Array ? Array.from(v) : v)))
}

describe.skipIf(!hasSharedData(SET))('shared vectors: http2-frame-test-case', () => {
  const folders = hasSharedData(SET) ? listShared(SET).filter((f) => !f.includes('.') && f !== 'LICENSE') : []

  it('has the folders we expect, the error cases included', () => {
    expect(folders).toContain('error')
    expect(folders.length).toBe(11)
  })

  for (const folder of folders.filter((f) => f !== 'error')) {
    for (const file of listShared(SET, folder)) {
      const key = `${folder}/${file}`
      it(`${key} decodes to its frame and re-encodes${DIVERGENCES[key] ? ` (divergence: ${DIVERGENCES[key]})` : ''}`, () => {
        const c = readSharedJson<Case>(SET, folder, file)
        expect(c.error).toBeNull()
        const wire = fromHex(c.wire)
        const items = [...new FrameDecoder().push(wire)]
        expect(items).toHaveLength(1)
        const frame = items[0]!
        if (isFrameError(frame)) throw frame
        const v = c.frame!
        expect(wire.length - 9).toBe(v.length)
        expect({ type: frame.type, flags: frame.flags, streamId: frame.streamId }).toEqual({
          type: v.type,
          flags: v.flags,
          streamId: v.stream_identifier,
        })
        expect(plainFrame(frame)).toMatchObject(expectedFields(v.type, v.frame_payload))
        if (frame.type === FrameType.SETTINGS) {
          expect((frame as SettingsFrame).settings).toHaveLength(v.frame_payload.settings?.length ?? -1)
        }

        const expected = wire.slice()
        const padding = v.frame_payload.padding
        if (typeof padding === 'string' && padding.length > 0) {
          expect(DIVERGENCES[key], `${key} has non-zero padding: list it`).toBeDefined()
          expected.fill(0, expected.length - padding.length)
        }
        expect(toHex(encodeFrame(frame))).toBe(toHex(expected))
      })
    }
  }

  const errorFiles = hasSharedData(SET) ? listShared(SET, 'error') : []
  it('lists an owner for every error case', () => {
    expect(Object.keys(ERROR_RULES).sort()).toEqual([...errorFiles].sort())
  })

  for (const file of errorFiles) {
    const rule = ERROR_RULES[file]
    it(`error/${file} is rejected with a listed code (${rule?.scope} error; ${rule?.owner})`, () => {
      const c = readSharedJson<Case>(SET, 'error', file)
      expect(c.frame).toBeNull()
      const decoder = new FrameDecoder()
      let error: unknown
      try {
        for (const item of decoder.push(fromHex(c.wire))) {
          if (isFrameError(item)) {
            error = item
            break
          }
        }
      } catch (e) {
        error = e
      }
      if (!isFrameError(error)) throw new Error(`error/${file}: no FrameError, got ${String(error)}`)
      expect(c.error).toContain(error.code)
      expect(error.scope).toBe(rule?.scope)
    })
  }
})
