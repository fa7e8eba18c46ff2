/**
 * The client conformance cases against our client (`connect` from @h2ts/streams/node), cleartext and TLS:
 * a raw-frame server breaks a rule a server can break, and the client must answer as the RFC prescribes,
 * before the PING ACK that follows.
 */
import { connect } from '@h2ts/streams/node'
import { describe, expect, it } from 'vitest'
import { clientCases } from './cases-client.js'
import { type ClientDriver, runClientCase } from './client-runner.js'
import { describeExpectation } from './harness.js'

const TIMEOUT_MS = 3000

/** Our client: one `GET /` with END_STREAM; every failure is expected and swallowed. */
const h2tsClient: ClientDriver = async (url) => {
  const session = await connect(url, { tls: { rejectUnauthorized: false } })
  session.on('error', () => {})
  const request = session.request({ ':path': '/' }, { endStream: true })
  request.on('error', () => {})
  request.response.then(
    (r) => {
      r.body.on('error', () => {})
      r.body.resume()
    },
    () => {},
  )
  return { close: () => session.destroy() }
}

describe.each([
  { tls: false, label: 'cleartext' },
  { tls: true, label: 'TLS' },
])('h2ts client conformance ($label)', ({ tls }) => {
  for (const kase of clientCases) {
    it(`${kase.id} ${kase.title} → ${describeExpectation(kase.expect)}`, async () => {
      const r = await runClientCase({ tls, driver: h2tsClient }, kase, TIMEOUT_MS)
      expect(r.status, `${r.detail}\nframes: ${r.trace.join(', ')}`).toBe('pass')
    })
  }
})
