/**
 * Runs the server cases: for each, a fresh connection to the server under test, the handshake (preface and
 * SETTINGS both ways, both acknowledged), the case's bytes, then `verify` with the PING behind them.
 *
 * What the server under test must serve: any request for `/` (any method) answered once its body has ended,
 * with a response that has a body of at least 4 octets (the flow-control cases count its DATA). Our test
 * server (server.test.ts), nghttpd with an index.html, and the node:http2 handler in peers.test.ts do.
 */
import { Flags, FrameType, SettingId, type SettingsFrame } from '@h2ts/frames'
import type { HeaderField } from '@h2ts/hpack'
import {
  CaseFailure,
  describeExpectation,
  type Expectation,
  type Outcome,
  response,
  thrownOutcome,
  verify,
} from './harness.js'
import {
  concat,
  describeFrame,
  endsStream,
  headersFrame,
  hpack,
  isRst,
  RawPeer,
  type ReadFrame,
  settingsAck,
  settingsMap,
  type Target,
  WaitError,
} from './wire.js'

export interface ServerCase {
  /** The section of RFC 9113 (or `hpack 6.1` for RFC 7541) whose MUST the case is about. */
  id: string
  title: string
  expect: Expectation
  /** Our SETTINGS in the handshake. */
  settings?: ReadonlyArray<readonly [number, number]>
  /** No handshake: the case writes the preface itself. */
  raw?: boolean
  /**
   * Sends the violating bytes (and any setup before them). May return the expectation in full when it depends
   * on what the case learned (the stream over the server's concurrency limit).
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: most cases return nothing (send and done)
  act(c: ServerCaseContext): void | Expectation | Promise<void | Expectation>
}

/** The largest client stream id: a request on it opens a stream after whatever a case used. */
export const LAST_CLIENT_STREAM = 0x7fff_ffff

export class ServerCaseContext {
  /** The server's SETTINGS from the handshake (last value of each id). */
  serverSettings = new Map<number, number>()
  /** The first frame the server wrote. */
  firstFrame: ReadFrame | undefined

  constructor(
    readonly peer: RawPeer,
    readonly target: Target,
    readonly timeoutMs: number,
  ) {}

  get authority(): string {
    return `${this.target.host}:${this.target.port}`
  }

  get scheme(): string {
    return this.target.tls ? 'https' : 'http'
  }

  setting(id: number, fallback: number): number {
    return this.serverSettings.get(id) ?? fallback
  }

  get maxFrameSize(): number {
    return this.setting(SettingId.MAX_FRAME_SIZE, 16384)
  }

  send(...chunks: Uint8Array[]): void {
    this.peer.send(...chunks)
  }

  /** A request's fields: pseudo-header fields first, then `extra`. */
  fields(method = 'GET', extra: ReadonlyArray<HeaderField> = []): HeaderField[] {
    return [
      [':method', method],
      [':scheme', this.scheme],
      [':authority', this.authority],
      [':path', '/'],
      ...extra,
    ]
  }

  block(fields: ReadonlyArray<HeaderField>): Uint8Array {
    return this.peer.block(fields)
  }

  /** A GET request's field block written by hand from the static table (no encoder state involved). */
  rawGetBlock(): Uint8Array {
    return concat([
      hpack.indexed(2), // :method GET
      hpack.indexed(this.target.tls ? 7 : 6), // :scheme https / http
      hpack.indexed(4), // :path /
      hpack.literalNameIndex(1, this.authority), // :authority
    ])
  }

  /** HEADERS of a complete GET request (END_STREAM). */
  get(streamId: number, extra: ReadonlyArray<HeaderField> = []): Uint8Array {
    return headersFrame(streamId, this.block(this.fields('GET', extra)), { endStream: true })
  }

  /** HEADERS of a POST request whose body is still to come (no END_STREAM): the stream stays open. */
  post(streamId: number, extra: ReadonlyArray<HeaderField> = []): Uint8Array {
    return headersFrame(streamId, this.block(this.fields('POST', extra)))
  }

  /** A trailer section's block. */
  trailers(extra: ReadonlyArray<HeaderField> = [['x-trailer', 'yes']]): Uint8Array {
    return this.block(extra)
  }

  waitFor(what: string, match: (f: ReadFrame) => boolean): Promise<ReadFrame> {
    return this.peer.waitFor(what, match, this.timeoutMs)
  }

  /** Waits for the server to end its side of the stream (its response complete). */
  waitStreamEnd(streamId: number): Promise<ReadFrame> {
    return this.waitFor(
      `the end of the response on stream ${streamId}`,
      (f) => f.streamId === streamId && endsStream(f),
    )
  }

  /** Waits for a response's HEADERS on the stream. */
  waitHeaders(streamId: number): Promise<ReadFrame> {
    return this.waitFor(
      `response HEADERS on stream ${streamId}`,
      (f) => f.type === FrameType.HEADERS && f.streamId === streamId,
    )
  }

  /** Waits for the server to reset the stream (setup of a case about frames after that). */
  waitRst(streamId: number): Promise<ReadFrame> {
    return this.waitFor(`RST_STREAM on stream ${streamId}`, (f) => isRst(f) && f.streamId === streamId)
  }

  /** Collects the DATA octets the server sends on a stream until `n` have come. */
  async waitData(streamId: number, n: number): Promise<void> {
    let got = 0
    while (got < n) {
      const f = await this.waitFor(
        `${n} octets of DATA on stream ${streamId}`,
        (x) => x.type === FrameType.DATA && x.streamId === streamId,
      )
      got += (f as { data: Uint8Array }).data.length
    }
    if (got > n) throw new CaseFailure(`${got} octets of DATA on stream ${streamId}, window was ${n}`)
  }
}

/** Opens a connection and runs the handshake (unless the case is raw). */
export async function openServerCase(
  target: Target,
  kase: ServerCase,
  timeoutMs: number,
): Promise<ServerCaseContext> {
  const peer = await RawPeer.connect(target, timeoutMs)
  const c = new ServerCaseContext(peer, target, timeoutMs)
  if (kase.raw) return c
  const ours = kase.settings ?? []
  peer.sendPreface(ours)
  let gotSettings = false
  let gotAck = false
  while (!gotSettings || !gotAck) {
    let f: ReadFrame | undefined
    try {
      f = await peer.next(timeoutMs)
    } catch {
      throw new WaitError(`handshake: no ${gotSettings ? 'SETTINGS ACK' : 'SETTINGS'} within ${timeoutMs} ms`)
    }
    if (f === undefined) throw new WaitError(`handshake: connection closed (${peer.log.join(', ')})`)
    c.firstFrame ??= f
    if (f.type !== FrameType.SETTINGS) {
      if (f.type === FrameType.GOAWAY) throw new WaitError(`handshake: ${describeFrame(f)}`)
      continue
    }
    if (f.flags & Flags.ACK) {
      gotAck = true
      // Our SETTINGS_HEADER_TABLE_SIZE binds the server's encoder once it has acknowledged it.
      for (const [id, value] of ours)
        if (id === SettingId.HEADER_TABLE_SIZE) peer.hpackIn.setMaxTableSize(value)
    } else {
      gotSettings = true
      for (const [id, value] of settingsMap((f as SettingsFrame).settings)) c.serverSettings.set(id, value)
      peer.send(settingsAck())
    }
  }
  return c
}

/** After an ignored frame: a new request on a fresh stream must still get its response. */
function usable(c: ServerCaseContext) {
  return (peer: RawPeer): Expectation => {
    peer.send(c.get(LAST_CLIENT_STREAM))
    return response(LAST_CLIENT_STREAM)
  }
}

export interface CaseResult extends Outcome {
  name: string
  id: string
}

export function caseName(kase: { id: string; title: string; expect: Expectation }): string {
  return `${kase.id} ${kase.title} → ${describeExpectation(kase.expect)}`
}

export async function runServerCase(
  target: Target,
  kase: ServerCase,
  timeoutMs: number,
): Promise<CaseResult> {
  const name = caseName(kase)
  let c: ServerCaseContext | undefined
  try {
    c = await openServerCase(target, kase, timeoutMs)
    const expect = (await kase.act(c)) ?? kase.expect
    const outcome = await verify(c.peer, expect, { timeoutMs, usable: usable(c) })
    return { name, id: kase.id, ...outcome }
  } catch (error) {
    return { name, id: kase.id, ...thrownOutcome(error, c?.peer.log ?? []) }
  } finally {
    c?.peer.close()
  }
}

/**
 * Runs cases, each on its own connection, `concurrency` at a time (default 1: one after another). Results come
 * back in case order; `onResult` is called as each finishes.
 */
export async function runServerSuite(
  target: Target,
  cases: readonly ServerCase[],
  opts: { timeoutMs: number; concurrency?: number; onResult?: (r: CaseResult) => void },
): Promise<CaseResult[]> {
  const results: CaseResult[] = new Array(cases.length)
  let next = 0
  const worker = async () => {
    while (next < cases.length) {
      const i = next++
      const r = await runServerCase(target, cases[i]!, opts.timeoutMs)
      results[i] = r
      opts.onResult?.(r)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 1) }, worker))
  return results
}

export function summarize(
  results: readonly CaseResult[],
): Record<'pass' | 'late' | 'fail' | 'skip' | 'total', number> {
  const s = { pass: 0, late: 0, fail: 0, skip: 0, total: results.length }
  for (const r of results) s[r.status]++
  return s
}
