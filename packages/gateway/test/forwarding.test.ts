import { describe, expect, it } from 'vitest'
import {
  bearerToken,
  clientResponseFields,
  endToEndFields,
  newRequestId,
  requestIdOf,
  upstreamRequestFields,
} from '../src/forwarding.js'

const ctx = {
  method: 'POST',
  path: '/v1/chat/completions',
  scheme: 'https',
  authority: 'api.openai.com',
  clientAddress: '10.0.0.9',
  frontScheme: 'https',
  requestId: 'rid-1',
  authorization: undefined,
  stripAuthorization: false,
}

describe('forwarding', () => {
  it('drops hop-by-hop fields, the ones connection names, and te other than trailers (RFC 9110 §7.6.1, RFC 9113 §8.2.2)', () => {
    expect(
      endToEndFields([
        [':path', '/x'],
        ['connection', 'close, X-Secret-Hop'],
        ['keep-alive', '5'],
        ['transfer-encoding', 'chunked'],
        ['upgrade', 'websocket'],
        ['proxy-connection', 'keep-alive'],
        ['host', 'example'],
        ['x-secret-hop', '1'],
        ['te', 'gzip'],
        ['accept', '*/*'],
      ]),
    ).toEqual([['accept', '*/*']])
    expect(endToEndFields([['te', 'trailers, deflate']])).toEqual([['te', 'trailers']])
  })

  it('addresses the upstream, appends x-forwarded-for, replaces x-forwarded-proto and x-request-id', () => {
    const fields = upstreamRequestFields(
      [
        ['x-forwarded-for', '203.0.113.1'],
        ['x-forwarded-proto', 'http'],
        ['x-request-id', 'old'],
        ['authorization', 'Bearer client'],
        ['content-type', 'application/json'],
      ],
      ctx,
    )
    expect(fields).toEqual([
      [':method', 'POST'],
      [':scheme', 'https'],
      [':authority', 'api.openai.com'],
      [':path', '/v1/chat/completions'],
      ['authorization', 'Bearer client'],
      ['content-type', 'application/json'],
      ['x-forwarded-for', '203.0.113.1, 10.0.0.9'],
      ['x-forwarded-proto', 'https'],
      ['x-request-id', 'rid-1'],
    ])
  })

  it('replaces or strips the client authorization as the route says', () => {
    const injected = upstreamRequestFields([['authorization', 'Bearer gw-key']], {
      ...ctx,
      authorization: 'Bearer sk-up',
    })
    expect(injected.filter(([n]) => n === 'authorization')).toEqual([['authorization', 'Bearer sk-up']])
    const stripped = upstreamRequestFields([['authorization', 'Bearer gw-key']], {
      ...ctx,
      stripAuthorization: true,
    })
    expect(stripped.some(([n]) => n === 'authorization')).toBe(false)
  })

  it('keeps a sane client request id and makes one otherwise', () => {
    expect(requestIdOf([['x-request-id', 'abc-123']])).toBe('abc-123')
    expect(requestIdOf([['x-request-id', 'has space']])).toMatch(/^[0-9a-f-]{36}$/)
    expect(requestIdOf([['x-request-id', 'x'.repeat(200)]])).toMatch(/^[0-9a-f-]{36}$/)
    expect(requestIdOf([])).not.toBe(requestIdOf([]))
  })

  it('makes request ids that are version 4 UUIDs (RFC 9562 §5.4), all different', () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
    // Enough to use the random bytes up many times over (256 ids per refill).
    const ids = Array.from({ length: 5000 }, () => newRequestId())
    for (const id of ids) expect(id).toMatch(uuid)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('gives the client the upstream response fields with our request id', () => {
    expect(
      clientResponseFields(
        [
          ['content-type', 'text/plain'],
          ['x-request-id', 'up'],
          ['connection', 'close'],
        ],
        'rid',
      ),
    ).toEqual([
      ['content-type', 'text/plain'],
      ['x-request-id', 'rid'],
    ])
  })

  it('reads bearer tokens (RFC 6750 §2.1)', () => {
    expect(bearerToken([['authorization', 'Bearer sk-1']])).toBe('sk-1')
    expect(bearerToken([['authorization', 'bearer sk-1']])).toBe('sk-1')
    expect(bearerToken([['authorization', 'Basic abc']])).toBeUndefined()
    expect(bearerToken([])).toBeUndefined()
  })
})
