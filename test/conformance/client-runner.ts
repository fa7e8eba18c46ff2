/**
 * Runs the client cases: a raw-frame server on 127.0.0.1 (cleartext or TLS with ALPN h2) that a client under
 * test connects to and sends one request (`GET /`, END_STREAM on its HEADERS, so stream 1). The server
 * answers the preface, waits for the request, then writes the case's bytes and `verify`s the client's answer
 * with a PING behind them, exactly as the server cases do from the other side.
 */
import * as net from 'node:net'
import * as tls from 'node:tls'
import { FrameType } from '@h2ts/frames'
import type { HeaderField } from '@h2ts/hpack'
import { selfSignedCert } from '../support/peers.js'
import { describeExpectation, type Expectation, thrownOutcome, verify } from './harness.js'
import type { CaseResult } from './server-runner.js'
import {
  type HeadersOptions,
  headersFrame,
  RawPeer,
  type ReadFrame,
  settingsAck,
  settingsFrame,
  WaitError,
} from './wire.js'

export interface ClientCase {
  id: string
  title: string
  expect: Expectation
  /**
   * The server's first bytes instead of an ordinary SETTINGS frame (a bad SETTINGS is itself the violation).
   * The case's `act` then runs right after them, without waiting for the request.
   */
  preface?: Uint8Array
  // biome-ignore lint/suspicious/noConfusingVoidType: most cases return nothing (send and done)
  act(s: ClientCaseContext): void | Expectation | Promise<void | Expectation>
}

export class ClientCaseContext {
  /** The client's request HEADERS (with its decoded fields), once it came. */
  request: ReadFrame | undefined

  constructor(
    readonly peer: RawPeer,
    readonly timeoutMs: number,
  ) {}

  send(...chunks: Uint8Array[]): void {
    this.peer.send(...chunks)
  }

  /** A response header section on the stream (HPACK from our static-only encoder). */
  respond(streamId: number, fields: ReadonlyArray<HeaderField>, opts: HeadersOptions = {}): Uint8Array {
    return headersFrame(streamId, this.peer.block(fields), opts)
  }

  /** `:status 200` and a content-type, as a response's fields. */
  ok(extra: ReadonlyArray<HeaderField> = []): HeaderField[] {
    return [[':status', '200'], ['content-type', 'text/plain'], ...extra]
  }

  waitFor(what: string, match: (f: ReadFrame) => boolean): Promise<ReadFrame> {
    return this.peer.waitFor(what, match, this.timeoutMs)
  }
}

/** A client under test: connects to `url`, sends `GET /` with END_STREAM, and ignores every failure. */
export type ClientDriver = (url: string) => Promise<{ close(): void }>

export interface ClientTarget {
  tls: boolean
  driver: ClientDriver
}

async function listen(
  useTls: boolean,
): Promise<{ server: net.Server; port: number; next: Promise<net.Socket> }> {
  let resolveSocket!: (s: net.Socket) => void
  const next = new Promise<net.Socket>((r) => {
    resolveSocket = r
  })
  let server: net.Server
  if (useTls) {
    const pair = await selfSignedCert()
    server = tls.createServer({ ...pair, ALPNProtocols: ['h2'] }, (s) => resolveSocket(s))
  } else {
    server = net.createServer((s) => resolveSocket(s))
  }
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { server, port: (server.address() as net.AddressInfo).port, next }
}

export async function runClientCase(
  target: ClientTarget,
  kase: ClientCase,
  timeoutMs: number,
): Promise<CaseResult> {
  const name = `${kase.id} ${kase.title} → ${describeExpectation(kase.expect)}`
  const { server, port, next } = await listen(target.tls)
  let client: { close(): void } | undefined
  let peer: RawPeer | undefined
  try {
    client = await target.driver(`${target.tls ? 'https' : 'http'}://127.0.0.1:${port}`)
    const socket = await Promise.race([
      next,
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new WaitError(`the client did not connect within ${timeoutMs} ms`)),
          timeoutMs,
        ),
      ),
    ])
    peer = new RawPeer(socket, 'server')
    const s = new ClientCaseContext(peer, timeoutMs)
    await s.waitFor("the client's SETTINGS", (f) => f.type === FrameType.SETTINGS && !(f.flags & 0x1))
    if (kase.preface !== undefined) {
      peer.send(kase.preface)
    } else {
      peer.send(settingsFrame(), settingsAck())
      s.request = await s.waitFor(
        'the request HEADERS on stream 1',
        (f) => f.type === FrameType.HEADERS && f.streamId === 1,
      )
    }
    const expect = (await kase.act(s)) ?? kase.expect
    const outcome = await verify(peer, expect, { timeoutMs })
    return { name, id: kase.id, ...outcome }
  } catch (error) {
    return { name, id: kase.id, ...thrownOutcome(error, peer?.log ?? []) }
  } finally {
    peer?.close()
    client?.close()
    server.close()
  }
}
