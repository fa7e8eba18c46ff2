/**
 * What a conformance case expects back, and the one routine that checks it on a live connection.
 *
 * The technique (one round trip, no wall-clock judgement): after the violating bytes we send a PING. A peer
 * that handles its input in order has answered the violation by the time it acknowledges that PING, so the
 * expected RST_STREAM or GOAWAY must arrive *before* the PING ACK, or the connection must close. Silence, or a
 * PING ACK with no answer before it, fails. Timeouts exist only as a guard against a peer that hangs.
 *
 * An answer that arrives after the first PING ACK but before the ACK of a second PING is reported as `late`:
 * the peer did answer, but out of order with its PING ACKs (nghttp2, for one, writes PING ACKs from a queue of
 * their own ahead of RST_STREAM). It is a failure for our implementation and a counted divergence for others.
 */
import { errorCodeName, Flags, FrameType } from '@h2ts/frames'
import {
  describeFrame,
  isGoAway,
  isPingAck,
  isRst,
  latin1,
  pingFrame,
  type RawPeer,
  type ReadFrame,
  WaitError,
} from './wire.js'

/**
 * The answers a case accepts. Several may be listed where the RFC allows either (e.g. a stream error that
 * §5.1 also lets be a connection error); the case's name says which.
 */
export type Expectation =
  | {
      kind: 'error'
      /** A GOAWAY with one of these codes, then the connection closed (RFC 9113 §5.4.1). */
      goaway?: readonly number[]
      /** An RST_STREAM on this stream with one of these codes; the connection then stays usable (§5.4.2). */
      rst?: { streamId: number; codes: readonly number[] }
      /** Closing the connection without GOAWAY also passes (§3.4: a bad preface "MAY" omit the GOAWAY). */
      closeOk?: boolean
      /** The GOAWAY's last-stream-id must be this (§6.8). */
      lastStreamId?: number
    }
  /** No answer: the PING ACK comes back with no RST_STREAM or GOAWAY before it, and the connection is usable. */
  | { kind: 'ignored'; forbid?: (f: ReadFrame) => string | undefined }
  /**
   * A frame of the peer's that shows the rule was followed (a response, an ACK, DATA cut to a window), before
   * the PING ACK. `check` makes a fresh checker for one run (it may count octets): the checker returns true on
   * the frame it wants, false to keep reading, or a string when a frame breaks the rule.
   */
  | { kind: 'frame'; what: string; check: () => (f: ReadFrame) => boolean | string }

export const connectionError = (...codes: number[]): Expectation => ({ kind: 'error', goaway: codes })
export const streamError = (streamId: number, ...codes: number[]): Expectation => ({
  kind: 'error',
  rst: { streamId, codes },
})
/** Either a stream error or a connection error with one of `codes` (the RFC allows both). */
export const streamOrConnectionError = (streamId: number, ...codes: number[]): Expectation => ({
  kind: 'error',
  rst: { streamId, codes },
  goaway: codes,
})
export const ignored: Expectation = { kind: 'ignored' }
/** A response header section (HEADERS, not 1xx) on the stream. */
export const response = (streamId: number): Expectation => ({
  kind: 'frame',
  what: `a response on stream ${streamId}`,
  check: () => (f) => f.type === FrameType.HEADERS && f.streamId === streamId && !isInformational(f),
})

function isInformational(f: ReadFrame): boolean {
  const status = f.fields?.find(([n]) => n === ':status')?.[1]
  return status?.startsWith('1') === true
}

const codeNames = (codes: readonly number[]) => codes.map(errorCodeName).join(' or ')

/** The expected answer in words, as it appears in a case's name. */
export function describeExpectation(e: Expectation): string {
  if (e.kind === 'ignored') return 'ignored'
  if (e.kind === 'frame') return e.what
  const parts: string[] = []
  if (e.rst) parts.push(`RST_STREAM ${codeNames(e.rst.codes)}`)
  if (e.goaway) parts.push(`GOAWAY ${codeNames(e.goaway)}`)
  if (e.closeOk) parts.push('close')
  return parts.join(' / ')
}

export type Status = 'pass' | 'late' | 'fail' | 'skip'

export interface Outcome {
  status: Status
  detail: string
  /** What the peer wrote, in order, for the report. */
  trace: string[]
}

/** Thrown by a case's setup to say it cannot run against this peer (e.g. no limit advertised). */
export class SkipCase extends Error {
  override name = 'SkipCase'
}

/** Thrown by a case's setup when the peer already broke the rule being tested. */
export class CaseFailure extends Error {
  override name = 'CaseFailure'
}

/**
 * The outcome of a case whose setup or verification threw: a skip, a failure the case found, or a bug of
 * the harness (reported as a failure with its stack).
 */
export function thrownOutcome(error: unknown, trace: string[]): Outcome {
  if (error instanceof SkipCase) return { status: 'skip', detail: error.message, trace }
  if (error instanceof CaseFailure || error instanceof WaitError)
    return { status: 'fail', detail: error.message, trace }
  return { status: 'fail', detail: `harness error: ${(error as Error).stack ?? error}`, trace }
}

export interface VerifyOptions {
  /** Guard against a hung peer, per wait (ms). */
  timeoutMs: number
  /**
   * After an `ignored` case, prove the connection still works: called after the PING ACK; it sends
   * something and returns the check for its answer (e.g. a new request and its response).
   */
  usable?: (peer: RawPeer) => Expectation | undefined
}

const PING_1 = latin1('h2ts-c#1')
const PING_2 = latin1('h2ts-c#2')
const samePing = (f: ReadFrame, data: Uint8Array) =>
  isPingAck(f) && (f as { data: Uint8Array }).data.every((b, i) => b === data[i])

/**
 * Sends the PING behind the violating bytes (already written) and reads until the expectation is met,
 * broken, or the peer goes silent.
 */
export async function verify(peer: RawPeer, expect: Expectation, opts: VerifyOptions): Promise<Outcome> {
  if (expect.kind === 'frame') return verifyFrame(peer, expect, opts)
  const trace = peer.log
  const done = (status: Status, detail: string): Outcome => ({ status, detail, trace })
  peer.send(pingFrame(PING_1))
  let phase: 1 | 2 = 1
  /** Set once the expected RST_STREAM came; then we wait for the PING ACK (the connection stays up). */
  let answered: 'pass' | 'late' | undefined
  const want = describeExpectation(expect)
  for (;;) {
    let f: ReadFrame | undefined
    try {
      f = await peer.next(opts.timeoutMs)
    } catch (error) {
      if (!(error instanceof WaitError)) throw error
      return done('fail', `silence: no answer and no PING ACK within ${opts.timeoutMs} ms (expected ${want})`)
    }
    if (peer.peerViolation !== undefined) return done('fail', peer.peerViolation)
    if (f === undefined) {
      if (answered !== undefined)
        return done('fail', 'the stream error was followed by a closed connection (expected it to stay open)')
      if (expect.kind === 'error' && expect.closeOk) return done(phase === 1 ? 'pass' : 'late', 'closed')
      const missing = expect.kind === 'error' && expect.goaway ? 'GOAWAY' : 'an answer'
      return done('fail', `connection closed without ${missing} (expected ${want})`)
    }
    if (f.type === FrameType.PING && !(f.flags & Flags.ACK)) {
      peer.send(pingFrame((f as { data: Uint8Array }).data, true))
      continue
    }
    const timing = phase === 1 ? 'pass' : 'late'
    const forbidden = expect.kind === 'ignored' ? expect.forbid?.(f) : undefined
    if (forbidden !== undefined) return done('fail', forbidden)
    if (isGoAway(f)) {
      if (expect.kind === 'error' && expect.goaway?.includes(f.errorCode)) {
        if (expect.lastStreamId !== undefined && f.lastStreamId !== expect.lastStreamId)
          return done('fail', `${describeFrame(f)}: last-stream-id should be ${expect.lastStreamId}`)
        return waitForClose(peer, opts.timeoutMs, timing, describeFrame(f), trace)
      }
      const escalated =
        expect.kind === 'error' && expect.rst?.codes.includes(f.errorCode)
          ? ' (a connection error where a stream error was due)'
          : ''
      return done('fail', `${describeFrame(f)}${escalated} (expected ${want})`)
    }
    if (isRst(f)) {
      const rst = expect.kind === 'error' ? expect.rst : undefined
      if (rst !== undefined && f.streamId === rst.streamId && rst.codes.includes(f.errorCode)) {
        answered ??= timing
        continue
      }
      return done('fail', `${describeFrame(f)} (expected ${want})`)
    }
    if (!samePing(f, PING_1) && !samePing(f, PING_2)) continue
    if (answered !== undefined) {
      return done(
        answered,
        answered === 'pass' ? 'answered before the PING ACK' : 'answered after the PING ACK',
      )
    }
    if (expect.kind === 'ignored') {
      const next = opts.usable?.(peer)
      if (next === undefined) return done('pass', 'PING ACK, nothing before it')
      const after = await verify(peer, next, { timeoutMs: opts.timeoutMs })
      return after.status === 'pass'
        ? done('pass', `ignored; then ${describeExpectation(next)}`)
        : done('fail', `ignored, but then the connection did not work: ${after.detail}`)
    }
    if (phase === 2)
      return done('fail', `no answer: two PINGs acknowledged with nothing before them (expected ${want})`)
    phase = 2
    peer.send(pingFrame(PING_2))
  }
}

/**
 * A frame that shows the rule was followed. It may be an application's answer (a response), which need not
 * come before a PING ACK, so PING ACKs do not end the wait here; the timeout is only a guard. Once the frame
 * came, a second PING round trip lets `check` see what follows it (DATA beyond a window, say).
 */
async function verifyFrame(
  peer: RawPeer,
  expect: Extract<Expectation, { kind: 'frame' }>,
  opts: VerifyOptions,
): Promise<Outcome> {
  const trace = peer.log
  const done = (status: Status, detail: string): Outcome => ({ status, detail, trace })
  peer.send(pingFrame(PING_1))
  const check = expect.check()
  let matched = false
  for (;;) {
    let f: ReadFrame | undefined
    try {
      f = await peer.next(opts.timeoutMs)
    } catch (error) {
      if (!(error instanceof WaitError)) throw error
      return done('fail', `no ${expect.what} within ${opts.timeoutMs} ms`)
    }
    if (peer.peerViolation !== undefined) return done('fail', peer.peerViolation)
    if (f === undefined) {
      // After the frame, a peer may end the connection (e.g. once a GOAWAY'd connection has no streams left).
      if (matched) return done('pass', `${expect.what}, then the connection closed`)
      return done('fail', `connection closed (expected ${expect.what})`)
    }
    if (f.type === FrameType.PING && !(f.flags & Flags.ACK)) {
      peer.send(pingFrame((f as { data: Uint8Array }).data, true))
      continue
    }
    if (isGoAway(f) || isRst(f)) return done('fail', `${describeFrame(f)} (expected ${expect.what})`)
    if (matched && samePing(f, PING_2)) return done('pass', `${expect.what}, nothing wrong after it`)
    const r = check(f)
    if (typeof r === 'string') return done('fail', r)
    if (r && !matched) {
      matched = true
      peer.send(pingFrame(PING_2))
    }
  }
}

async function waitForClose(
  peer: RawPeer,
  timeoutMs: number,
  status: 'pass' | 'late',
  goaway: string,
  trace: string[],
): Promise<Outcome> {
  // §5.4.1: after the GOAWAY for a connection error the endpoint MUST close the TCP connection.
  const deadline = Date.now() + timeoutMs
  for (;;) {
    let f: ReadFrame | undefined
    try {
      f = await peer.next(Math.max(1, deadline - Date.now()))
    } catch {
      return { status: 'fail', detail: `${goaway}, but the connection stayed open`, trace }
    }
    if (f === undefined) return { status, detail: `${goaway}, then closed`, trace }
  }
}
