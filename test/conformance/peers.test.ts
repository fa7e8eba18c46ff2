/**
 * The server conformance suite against other servers, for comparison only: node:http2 and nghttpd. Their
 * divergences from the RFC are recorded (printed as counts and per failing case), never a CI failure; the
 * test asserts only that every case ran to an outcome.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasCommand, type PeerServer, startNghttpd } from '../support/peers.js'
import { serverCases } from './cases-server.js'
import { type CaseResult, runServerSuite, summarize } from './server-runner.js'
import { BODY, type RunningServer, startNodeHttp2 } from './servers.js'

const TIMEOUT_MS = 1500
/** Cases run side by side (each on its own connection): most of a divergent peer's time is spent waiting. */
const CONCURRENCY = 12

function report(label: string, results: CaseResult[]): void {
  const s = summarize(results)
  const lines = results
    .filter((r) => r.status !== 'pass')
    .map((r) => `  ${r.status.toUpperCase()}  ${r.name} — ${r.detail}`)
  console.log(
    `[conformance] ${label}: ${s.pass}/${s.total} passed, ${s.late} late, ${s.fail} failed, ${s.skip} skipped\n${lines.join('\n')}`,
  )
}

describe('conformance of node:http2 (comparison)', () => {
  let server: RunningServer
  beforeAll(async () => {
    server = await startNodeHttp2()
  })
  afterAll(() => server.close())

  it('runs every case to an outcome', { timeout: 120_000 }, async () => {
    const results = await runServerSuite({ host: '127.0.0.1', port: server.port, tls: false }, serverCases, {
      timeoutMs: TIMEOUT_MS,
      concurrency: CONCURRENCY,
    })
    report('node:http2', results)
    expect(results).toHaveLength(serverCases.length)
    expect(results.filter((r) => r.detail.startsWith('harness error'))).toEqual([])
  })
})

describe.skipIf(!hasCommand('nghttpd'))('conformance of nghttpd (comparison)', () => {
  let server: PeerServer
  beforeAll(async () => {
    server = await startNghttpd({ files: { 'index.html': BODY } })
  })
  afterAll(() => server.close())

  it('runs every case to an outcome', { timeout: 120_000 }, async () => {
    const results = await runServerSuite({ host: '127.0.0.1', port: server.port, tls: false }, serverCases, {
      timeoutMs: TIMEOUT_MS,
      concurrency: CONCURRENCY,
    })
    report('nghttpd', results)
    expect(results).toHaveLength(serverCases.length)
    expect(results.filter((r) => r.detail.startsWith('harness error'))).toEqual([])
  })
})
