// The whole §5.1 transition table, as a property: a server engine is driven into each stream state, then
// fed frames of every kind; after each one, the engine must be in the state a model built on RECEIVE_RULES
// (and the RFC's message rules) predicts, or have answered with exactly the typed error the model predicts
// (RST_STREAM or GOAWAY, code, stream id, last-stream-id). It must never throw, and everything it writes
// must decode as frames.
import { ErrorCode, Flags, FrameType } from '@h2ts/frames'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_LIMITS,
  isConnectionError,
  isStreamError,
  RECEIVE_RULES,
  type ReceiveRule,
  type StreamFrameKind,
  type StreamState,
} from '../../src/index.js'
import {
  continuation,
  data,
  type FrameBuilder,
  headers,
  ofType,
  priority,
  raw,
  rstStream,
  serverUnderTest,
  type TestPeer,
  windowUpdate,
} from '../support/frames.js'

// --- The states ----------------------------------------------------------------------------------------

/** §5.1 states, with "closed" split by how the stream got there (the RFC treats them differently). */
const STATES = [
  'idle',
  'open',
  'half-closed-local',
  'half-closed-remote',
  'closed-end-stream', // END_STREAM both ways
  'closed-our-rst', // we sent RST_STREAM a moment ago: frames are ignored
  'closed-peer-rst', // the peer sent RST_STREAM
  'closed-expired', // we sent RST_STREAM longer ago than limits.resetStreamGrace
] as const
type ModelState = (typeof STATES)[number]

/** The stream under test; stream 1 is a bystander, open with a request body pending, in every state. */
const S = 3

function engineState(state: ModelState): StreamState {
  return state.startsWith('closed') ? 'closed' : (state as StreamState)
}

function drive(state: ModelState): TestPeer {
  const t = serverUnderTest()
  t.open(1, { method: 'POST' })
  const request = (eos: boolean) => {
    const h = headers(S).request('POST', '/under-test')
    t.send(eos ? h.eos() : h)
  }
  switch (state) {
    case 'idle':
      break
    case 'open':
      request(false)
      break
    case 'half-closed-remote':
      request(true)
      break
    case 'half-closed-local':
      request(false)
      t.conn.sendHeaders(S, [[':status', '200']], { endStream: true })
      break
    case 'closed-end-stream':
      request(true)
      t.conn.sendHeaders(S, [[':status', '200']], { endStream: true })
      break
    case 'closed-our-rst':
    case 'closed-expired':
      request(false)
      t.conn.resetStream(S, ErrorCode.CANCEL)
      break
    case 'closed-peer-rst':
      request(false)
      t.send(rstStream(S, ErrorCode.CANCEL))
      break
  }
  t.read()
  if (state === 'closed-expired') t.clock.advance(DEFAULT_LIMITS.resetStreamGrace + 1)
  expect(t.conn.streamState(S)).toBe(engineState(state))
  expect(t.conn.error).toBeUndefined()
  return t
}

// --- The inputs ----------------------------------------------------------------------------------------

type Input =
  | { kind: 'HEADERS'; eos: boolean; block: 'request' | 'trailers'; extraFlags: number }
  | { kind: 'DATA'; eos: boolean; size: number; pad: number | undefined; extraFlags: number }
  | { kind: 'RST_STREAM'; code: number }
  | { kind: 'WINDOW_UPDATE'; increment: number }
  | { kind: 'PRIORITY'; dependency: number; weight: number; exclusive: boolean }
  | { kind: 'CONTINUATION'; endHeaders: boolean }
  | { kind: 'UNKNOWN'; type: number; flags: number; payload: Uint8Array }

const flagBits = (bits: number[]) => fc.subarray(bits).map((b) => b.reduce((x, y) => x | y, 0))

const KNOWN_TYPES = new Set<number>(Object.values(FrameType))

const inputArb: fc.Arbitrary<Input> = fc.oneof(
  fc.record({
    kind: fc.constant('HEADERS' as const),
    eos: fc.boolean(),
    block: fc.constantFrom('request' as const, 'trailers' as const),
    // Bits HEADERS does not define (END_STREAM, END_HEADERS, PADDED and PRIORITY are 0x1, 0x4, 0x8, 0x20).
    extraFlags: flagBits([0x2, 0x10, 0x40, 0x80]),
  }),
  fc.record({
    kind: fc.constant('DATA' as const),
    eos: fc.boolean(),
    size: fc.integer({ min: 0, max: 20 }),
    pad: fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
    extraFlags: flagBits([0x2, 0x4, 0x10, 0x20, 0x40, 0x80]),
  }),
  fc.record({ kind: fc.constant('RST_STREAM' as const), code: fc.integer({ min: 0, max: 0x1f }) }),
  fc.record({ kind: fc.constant('WINDOW_UPDATE' as const), increment: fc.integer({ min: 1, max: 10_000 }) }),
  fc.record({
    kind: fc.constant('PRIORITY' as const),
    dependency: fc.constantFrom(0, 1, 5, 7),
    weight: fc.integer({ min: 1, max: 256 }),
    exclusive: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('CONTINUATION' as const), endHeaders: fc.boolean() }),
  fc.record({
    kind: fc.constant('UNKNOWN' as const),
    type: fc.integer({ min: 0, max: 0xff }).filter((n) => !KNOWN_TYPES.has(n)),
    flags: fc.integer({ min: 0, max: 0xff }),
    payload: fc.uint8Array({ maxLength: 16 }),
  }),
)

function build(input: Input): FrameBuilder {
  switch (input.kind) {
    case 'HEADERS': {
      const h = headers(S).flags(input.extraFlags)
      if (input.block === 'request') h.request('GET', '/')
      else h.fields([['x-trailer', 'yes']])
      return input.eos ? h.eos() : h
    }
    case 'DATA': {
      const d = data(S, input.size).flags(input.extraFlags)
      if (input.pad !== undefined) d.padded(input.pad)
      return input.eos ? d.eos() : d
    }
    case 'RST_STREAM':
      return rstStream(S, input.code)
    case 'WINDOW_UPDATE':
      return windowUpdate(S, input.increment)
    case 'PRIORITY':
      return priority(S, input)
    case 'CONTINUATION': {
      const c = continuation(S, [['x-c', '1']])
      return input.endHeaders ? c.endHeaders() : c
    }
    case 'UNKNOWN':
      return raw(input.type, input.flags, S, input.payload)
  }
}

// --- The model -----------------------------------------------------------------------------------------

type Outcome =
  | { type: 'accept'; next: ModelState; event?: 'headersReceived' | 'dataReceived' | 'streamReset' }
  | { type: 'ignore' }
  | { type: 'rst'; code: number }
  | { type: 'goaway'; code: number }

function fromRule(rule: ReceiveRule & { accept: false }): Outcome {
  return rule.scope === 'connection' ? { type: 'goaway', code: rule.code } : { type: 'rst', code: rule.code }
}

/** What the RFC (through RECEIVE_RULES for the state rules, §8 for the message rules) says must happen. */
function model(state: ModelState, input: Input): Outcome {
  // §6.10: a CONTINUATION that does not follow HEADERS/PUSH_PROMISE/CONTINUATION, in any state.
  if (input.kind === 'CONTINUATION') return { type: 'goaway', code: ErrorCode.PROTOCOL_ERROR }
  // §4.1, §5.5: unknown frame types are ignored, in any state.
  if (input.kind === 'UNKNOWN') return { type: 'ignore' }
  // §5.1 closed: "An endpoint MUST ignore frames that it receives on closed streams after it has sent a
  // RST_STREAM frame."
  if (state === 'closed-our-rst') return { type: 'ignore' }
  // §5.1 closed: "any frame other than PRIORITY after receiving a RST_STREAM" is a stream error of type
  // STREAM_CLOSED; a HEADERS is a connection error only on a stream that ended with END_STREAM.
  if (state === 'closed-peer-rst' && input.kind === 'HEADERS')
    return { type: 'rst', code: ErrorCode.STREAM_CLOSED }
  const rule = RECEIVE_RULES[engineState(state)][input.kind satisfies StreamFrameKind]
  if (!rule.accept) return fromRule(rule)
  switch (input.kind) {
    case 'HEADERS':
      if (state === 'idle') {
        // §8.3.1: a header section without :method is not a request: malformed.
        if (input.block === 'trailers') return { type: 'rst', code: ErrorCode.PROTOCOL_ERROR }
        return { type: 'accept', next: input.eos ? 'half-closed-remote' : 'open', event: 'headersReceived' }
      }
      // open / half-closed (local): a second header section is trailers: it must end the stream and carry
      // no pseudo-header fields (§8.1).
      if (!input.eos || input.block === 'request') return { type: 'rst', code: ErrorCode.PROTOCOL_ERROR }
      return {
        type: 'accept',
        next: state === 'open' ? 'half-closed-remote' : 'closed-end-stream',
        event: 'headersReceived',
      }
    case 'DATA':
      if (!input.eos) return { type: 'accept', next: state, event: 'dataReceived' }
      return {
        type: 'accept',
        next: state === 'open' ? 'half-closed-remote' : 'closed-end-stream',
        event: 'dataReceived',
      }
    case 'RST_STREAM':
      if (state === 'open' || state === 'half-closed-local' || state === 'half-closed-remote') {
        return { type: 'accept', next: 'closed-peer-rst', event: 'streamReset' }
      }
      return { type: 'ignore' }
    case 'WINDOW_UPDATE':
    case 'PRIORITY':
      return { type: 'ignore' }
  }
}

// --- Running one input ---------------------------------------------------------------------------------

interface Run {
  t: TestPeer
  state: ModelState | 'dead'
  /** The last stream id the peer initiated that we saw (what a GOAWAY must name). */
  lastStreamId: number
}

function step(run: Run, input: Input): void {
  const { t } = run
  const events = t.send(build(input)) // must not throw
  const frames = t.read() // must decode
  const forS = events.filter((e) => 'streamId' in e && e.streamId === S)
  if (run.state === 'dead') {
    expect(events).toEqual([])
    expect(frames).toEqual([])
    return
  }
  const state = run.state
  const expected = model(state, input)
  if (state === 'idle' && input.kind === 'HEADERS') run.lastStreamId = S
  const label = `${state} + ${input.kind} ${JSON.stringify(input, (_, v) => (v instanceof Uint8Array ? [...v] : v))}`
  switch (expected.type) {
    case 'goaway': {
      t.expectGoAway(expected.code, run.lastStreamId, frames)
      const failed = ofType(events, 'connectionFailed')[0]
      expect(isConnectionError(failed?.error), label).toBe(true)
      expect(t.conn.streamState(1)).toBe('closed')
      run.state = 'dead'
      return
    }
    case 'rst': {
      t.expectRst(S, expected.code, frames)
      const reset = ofType(events, 'streamReset').filter((e) => e.streamId === S)
      expect(
        reset.map((e) => [e.origin, e.code, isStreamError(e.error)]),
        label,
      ).toEqual([['local', expected.code, true]])
      expect(ofType(forS, 'headersReceived'), label).toEqual([])
      run.state = 'closed-our-rst'
      break
    }
    case 'ignore':
    case 'accept': {
      t.expectNoError(frames)
      expect(frames, label).toEqual([])
      const next = expected.type === 'accept' ? expected.next : state
      expect(t.conn.streamState(S), label).toBe(engineState(next))
      const reported = forS
        .map((e) => e.type)
        .filter((type) => type === 'headersReceived' || type === 'dataReceived' || type === 'streamReset')
      expect(reported, label).toEqual(expected.type === 'accept' && expected.event ? [expected.event] : [])
      if (next !== state && next.startsWith('closed')) {
        expect(ofType(forS, 'streamClosed'), label).toHaveLength(1)
      }
      run.state = next
      break
    }
  }
  // The bystander is untouched by anything short of a connection error.
  expect(t.conn.streamState(1), label).toBe('open')
  expect(t.conn.error, label).toBeUndefined()
}

function start(state: ModelState): Run {
  return { t: drive(state), state, lastStreamId: state === 'idle' ? 1 : S }
}

// --- The tests -----------------------------------------------------------------------------------------

/** One input of each kind and variant, for the exhaustive pass. */
const CANONICAL: Input[] = [
  { kind: 'HEADERS', eos: false, block: 'request', extraFlags: 0 },
  { kind: 'HEADERS', eos: true, block: 'request', extraFlags: 0 },
  { kind: 'HEADERS', eos: false, block: 'trailers', extraFlags: 0 },
  { kind: 'HEADERS', eos: true, block: 'trailers', extraFlags: 0 },
  { kind: 'DATA', eos: false, size: 5, pad: undefined, extraFlags: 0 },
  { kind: 'DATA', eos: true, size: 5, pad: 3, extraFlags: 0 },
  { kind: 'RST_STREAM', code: ErrorCode.CANCEL },
  { kind: 'WINDOW_UPDATE', increment: 100 },
  { kind: 'PRIORITY', dependency: 0, weight: 16, exclusive: false },
  { kind: 'CONTINUATION', endHeaders: true },
  { kind: 'UNKNOWN', type: 0xbb, flags: 0, payload: Uint8Array.of(1, 2, 3) },
]

describe('5.1 transition table', () => {
  it('RECEIVE_RULES says what RFC 9113 §5.1 (and §6.1) says', () => {
    const P = { accept: false, scope: 'connection', code: ErrorCode.PROTOCOL_ERROR }
    const ok = { accept: true }
    // Transcribed from the RFC, state by state.
    const rfc: Record<StreamState, Record<StreamFrameKind, object>> = {
      idle: { HEADERS: ok, PRIORITY: ok, DATA: P, RST_STREAM: P, WINDOW_UPDATE: P },
      'reserved-local': { HEADERS: P, DATA: P, RST_STREAM: ok, WINDOW_UPDATE: ok, PRIORITY: ok },
      'reserved-remote': { HEADERS: ok, DATA: P, RST_STREAM: ok, WINDOW_UPDATE: P, PRIORITY: ok },
      open: { HEADERS: ok, DATA: ok, RST_STREAM: ok, WINDOW_UPDATE: ok, PRIORITY: ok },
      'half-closed-local': { HEADERS: ok, DATA: ok, RST_STREAM: ok, WINDOW_UPDATE: ok, PRIORITY: ok },
      'half-closed-remote': {
        HEADERS: { accept: false, scope: 'stream', code: ErrorCode.STREAM_CLOSED },
        DATA: { accept: false, scope: 'stream', code: ErrorCode.STREAM_CLOSED },
        RST_STREAM: ok,
        WINDOW_UPDATE: ok,
        PRIORITY: ok,
      },
      closed: {
        // §5.1: frames after END_STREAM are a connection STREAM_CLOSED; §6.1 lets DATA be a stream error.
        HEADERS: { accept: false, scope: 'connection', code: ErrorCode.STREAM_CLOSED },
        DATA: { accept: false, scope: 'stream', code: ErrorCode.STREAM_CLOSED },
        RST_STREAM: ok,
        WINDOW_UPDATE: ok,
        PRIORITY: ok,
      },
    }
    for (const [state, row] of Object.entries(rfc)) {
      for (const [kind, rule] of Object.entries(row)) {
        expect(
          RECEIVE_RULES[state as StreamState][kind as StreamFrameKind],
          `${state} ${kind}`,
        ).toMatchObject(rule)
      }
    }
  })

  it('every state × every frame kind, once each, ends as the model says', () => {
    let cases = 0
    for (const state of STATES) {
      for (const input of CANONICAL) {
        const run = start(state)
        step(run, input)
        if (run.state !== 'dead') run.t.expectAlive()
        cases++
      }
    }
    expect(cases).toBe(STATES.length * CANONICAL.length)
  })

  it('property: from any state, any sequence of frames follows the model; never throws; output decodes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...STATES),
        fc.array(inputArb, { minLength: 1, maxLength: 6 }),
        (state, inputs) => {
          const run = start(state)
          for (const input of inputs) step(run, input)
          if (run.state !== 'dead') run.t.expectAlive()
        },
      ),
      { numRuns: 400 },
    )
  })

  it('property: the engine state is always one of §5.1 and agrees with activeStreams', () => {
    const valid = new Set<StreamState>([
      'idle',
      'reserved-local',
      'reserved-remote',
      'open',
      'half-closed-local',
      'half-closed-remote',
      'closed',
    ])
    fc.assert(
      fc.property(fc.constantFrom(...STATES), fc.array(inputArb, { maxLength: 8 }), (state, inputs) => {
        const run = start(state)
        for (const input of inputs) {
          run.t.send(build(input))
          run.t.read()
          const s = run.t.conn.streamState(S)
          expect(valid.has(s)).toBe(true)
          const open = [1, S].filter((id) => {
            const st = run.t.conn.streamState(id)
            return st !== 'idle' && st !== 'closed'
          }).length
          expect(run.t.conn.activeStreams).toBe(open)
        }
      }),
      { numRuns: 200 },
    )
  })

  it('the flags the model relies on are the RFC ones', () => {
    // A guard for the arbitraries above: the "extra" bits must not collide with defined flags.
    expect(Flags.END_STREAM | Flags.END_HEADERS | Flags.PADDED | Flags.PRIORITY).toBe(0x2d)
  })
})
