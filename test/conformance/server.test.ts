/**
 * The server conformance suite against our server (`createServer` from @h2ts/streams/node), cleartext and
 * TLS: every case must pass, with its answer before the PING ACK that follows it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serverCases } from './cases-server.js'
import { describeExpectation } from './harness.js'
import { caseName, runServerCase } from './server-runner.js'
import { type RunningServer, startH2ts } from './servers.js'

const TIMEOUT_MS = 3000

describe.each([
  { tls: false, label: 'cleartext' },
  { tls: true, label: 'TLS' },
])('h2ts server conformance ($label)', ({ tls }) => {
  let server: RunningServer
  beforeAll(async () => {
    server = await startH2ts({ tls })
  })
  afterAll(() => server.close())

  it('has a case for every section it claims, each named by section', () => {
    expect(serverCases.length).toBeGreaterThanOrEqual(120)
    for (const k of serverCases) {
      expect(k.id).toMatch(/^(\d+(\.\d+)*|hpack \d+(\.\d+)*)$/)
      expect(caseName(k)).toContain(describeExpectation(k.expect))
    }
  })

  for (const kase of serverCases) {
    it(caseName(kase), async () => {
      const r = await runServerCase({ host: '127.0.0.1', port: server.port, tls }, kase, TIMEOUT_MS)
      expect(r.status, `${r.detail}\nframes: ${r.trace.join(', ')}`).toBe('pass')
    })
  }
})
