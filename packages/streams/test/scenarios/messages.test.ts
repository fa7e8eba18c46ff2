// RFC 9113 §8.1–§8.3 (and RFC 8441): malformed requests are stream errors of type PROTOCOL_ERROR (§8.1.1).
// Each case sends one malformed request to a server under test and expects exactly RST_STREAM(1,
// PROTOCOL_ERROR), no event for the request, and a connection that is still alive and in HPACK sync.
import { ErrorCode } from '@h2ts/frames'
import type { HeaderField } from '@h2ts/hpack'
import { describe, expect, it } from 'vitest'
import {
  clientUnderTest,
  data,
  type Fields,
  headers,
  ofType,
  requestFields,
  serverUnderTest,
} from '../support/frames.js'

const base = requestFields('GET', '/')

/** Sends `fields` as a request on stream 1 and expects RST_STREAM(1, PROTOCOL_ERROR), nothing else. */
function expectMalformed(
  fields: Fields,
  options: { eos?: boolean; settings?: { enableConnectProtocol?: boolean } } = {},
) {
  const t = serverUnderTest(options.settings ? { settings: options.settings } : {})
  const h = headers(1).fields(fields)
  const events = t.send(options.eos === false ? h : h.eos())
  expect(ofType(events, 'headersReceived')).toEqual([])
  expect(ofType(events, 'streamReset')).toMatchObject([
    { streamId: 1, code: ErrorCode.PROTOCOL_ERROR, origin: 'local', retryable: false },
  ])
  t.expectRst(1, ErrorCode.PROTOCOL_ERROR)
  // HPACK state survived: a valid request on stream 3 (reusing the table) is accepted.
  const next = t.send(headers(3).fields(base).eos())
  expect(ofType(next, 'headersReceived')).toHaveLength(1)
  t.expectNothing()
}

/** Sends `fields` as a request and expects it accepted. */
function expectAccepted(fields: Fields, options: { settings?: { enableConnectProtocol?: boolean } } = {}) {
  const t = serverUnderTest(options.settings ? { settings: options.settings } : {})
  const events = t.send(headers(1).fields(fields).eos())
  expect(ofType(events, 'headersReceived')).toHaveLength(1)
  t.expectNothing()
  return ofType(events, 'headersReceived')[0]!
}

const extendedConnect: HeaderField[] = [
  [':method', 'CONNECT'],
  [':protocol', 'websocket'],
  [':scheme', 'https'],
  [':path', '/chat'],
  [':authority', 'example.com'],
]

const withField = (field: HeaderField): HeaderField[] => [...base, field]

describe('8.2 fields', () => {
  it('8.2.1 an uppercase field name → RST_STREAM PROTOCOL_ERROR', () => {
    expectMalformed(withField(['X-Upper', '1']))
  })

  it('8.2.1 an uppercase pseudo-header name → RST_STREAM PROTOCOL_ERROR', () => {
    expectMalformed([[':METHOD', 'GET'], ...base.slice(1)])
  })

  it.each([
    ['a space', 'x y'],
    ['a colon', 'x:y'],
    ['an empty name', ''],
    ['a DEL', 'x\x7f'],
  ])('8.2.1 a field name with %s → RST_STREAM PROTOCOL_ERROR', (_, name) => {
    expectMalformed(withField([name, '1']))
  })

  it.each([
    ['CR', 'a\rb'],
    ['LF', 'a\nb'],
    ['NUL', 'a\0b'],
    ['leading space', ' a'],
    ['trailing tab', 'a\t'],
  ])('8.2.1 a field value with %s → RST_STREAM PROTOCOL_ERROR', (_, value) => {
    expectMalformed(withField(['x-v', value]))
  })

  it('8.2.1 a bad field sent again by index (its dynamic table entry) is still malformed', () => {
    // The decoder checks characters when a literal arrives and keeps the verdict with the table entry: a
    // rejected request still adds its fields to the table (HPACK must stay in step), so a later request
    // that refers to the entry must be refused too, without the field being sent as a literal again.
    const t = serverUnderTest()
    const bad = withField(['x-v', 'a\rb'])
    t.send(headers(1).fields(bad).eos())
    t.expectRst(1, ErrorCode.PROTOCOL_ERROR)
    const block = t.encodeBlock(bad)
    // Every field of the second block is an indexed representation (§6.1): one byte each here.
    expect(block.length).toBe(bad.length)
    const events = t.send(headers(3).block(block).eos())
    expect(ofType(events, 'headersReceived')).toEqual([])
    t.expectRst(3, ErrorCode.PROTOCOL_ERROR)
    expect(ofType(t.send(headers(5).fields(base).eos()), 'headersReceived')).toHaveLength(1)
    t.expectNothing()
  })

  it.each(['connection', 'proxy-connection', 'keep-alive', 'transfer-encoding', 'upgrade'])(
    '8.2.2 the connection-specific field %s → RST_STREAM PROTOCOL_ERROR',
    (name) => {
      expectMalformed(withField([name, 'x']))
    },
  )

  it('8.2.2 te other than "trailers" → RST_STREAM PROTOCOL_ERROR', () => {
    expectMalformed(withField(['te', 'gzip']))
  })

  it('8.2.2 te: trailers is allowed', () => {
    expectAccepted(withField(['te', 'trailers']))
  })

  it('8.2.3 several cookie fields are allowed', () => {
    const e = expectAccepted([...base, ['cookie', 'a=1'], ['cookie', 'b=2']])
    expect(e.fields.filter(([n]) => n === 'cookie')).toHaveLength(2)
  })
})

describe('8.3 pseudo-header fields', () => {
  it('8.3 a pseudo-header after a regular field → RST_STREAM PROTOCOL_ERROR', () => {
    expectMalformed([...base.slice(0, 3), ['accept', '*/*'], [':path', '/']])
  })

  it('8.3 an unknown pseudo-header → RST_STREAM PROTOCOL_ERROR', () => {
    expectMalformed([...base, [':foo', 'bar']])
  })

  it('8.3 a response pseudo-header (:status) in a request → RST_STREAM PROTOCOL_ERROR', () => {
    expectMalformed([[':status', '200'], ...base])
  })

  it.each([':method', ':scheme', ':path'])(
    '8.3.1 a request without %s → RST_STREAM PROTOCOL_ERROR',
    (name) => {
      expectMalformed(base.filter(([n]) => n !== name))
    },
  )

  it.each([':method', ':scheme', ':path', ':authority'])(
    '8.3.1 a request with %s twice → RST_STREAM PROTOCOL_ERROR',
    (name) => {
      const field = base.find(([n]) => n === name)!
      expectMalformed([field, ...base])
    },
  )

  it('8.3.1 an empty :path → RST_STREAM PROTOCOL_ERROR', () => {
    expectMalformed(requestFields('GET', ''))
  })

  it('8.3.1 a :path not starting with "/" → RST_STREAM PROTOCOL_ERROR', () => {
    expectMalformed(requestFields('GET', 'index.html'))
  })

  it('8.3.1 OPTIONS with :path "*" is allowed', () => {
    expect(expectAccepted(requestFields('OPTIONS', '*')).request?.path).toBe('*')
  })

  it('8.3.1 host that disagrees with :authority → RST_STREAM PROTOCOL_ERROR', () => {
    expectMalformed(withField(['host', 'other.example']))
  })

  it('8.3.1 host equal to :authority is allowed', () => {
    expectAccepted(withField(['host', 'example.com']))
  })

  it('8.5 CONNECT with :authority only is allowed', () => {
    const e = expectAccepted(requestFields('CONNECT', ''))
    expect(e.request).toMatchObject({ method: 'CONNECT', authority: 'example.com', path: undefined })
  })

  it('8.5 CONNECT with :path → RST_STREAM PROTOCOL_ERROR', () => {
    expectMalformed([...requestFields('CONNECT', ''), [':path', '/']])
  })

  it('8.5 CONNECT without :authority → RST_STREAM PROTOCOL_ERROR', () => {
    expectMalformed([[':method', 'CONNECT']])
  })

  it('RFC 8441 §4 :protocol without SETTINGS_ENABLE_CONNECT_PROTOCOL → RST_STREAM PROTOCOL_ERROR', () => {
    expectMalformed(extendedConnect)
  })

  it('RFC 8441 §4 :protocol on a method other than CONNECT → RST_STREAM PROTOCOL_ERROR', () => {
    expectMalformed([...base, [':protocol', 'websocket']], { settings: { enableConnectProtocol: true } })
  })

  it('RFC 8441 §4 extended CONNECT is accepted once SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 was sent', () => {
    const e = expectAccepted(extendedConnect, { settings: { enableConnectProtocol: true } })
    expect(e.request?.protocol).toBe('websocket')
  })
})

describe('8.1 message framing', () => {
  it('8.1.1 a body shorter than content-length at END_STREAM → RST_STREAM PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.send(headers(1).request('POST', '/', [['content-length', '10']]))
    t.send(data(1, 'short').eos())
    t.expectRst(1, ErrorCode.PROTOCOL_ERROR)
  })

  it('8.1.1 a body longer than content-length → RST_STREAM PROTOCOL_ERROR (at the frame that overflows)', () => {
    const t = serverUnderTest()
    t.send(headers(1).request('POST', '/', [['content-length', '5']]))
    const events = t.send(data(1, 'abc'), data(1, 'def'))
    expect(ofType(events, 'dataReceived').map((e) => e.data.length)).toEqual([3])
    t.expectRst(1, ErrorCode.PROTOCOL_ERROR)
  })

  it('8.1.1 a body of exactly content-length is fine', () => {
    const t = serverUnderTest()
    t.send(headers(1).request('POST', '/', [['content-length', '6']]))
    const events = t.send(data(1, 'abc'), data(1, 'def').eos())
    expect(ofType(events, 'dataReceived')).toHaveLength(2)
    t.expectNothing()
  })

  it('8.1.1 HEADERS with END_STREAM and content-length > 0 → RST_STREAM PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.send(
      headers(1)
        .request('POST', '/', [['content-length', '3']])
        .eos(),
    )
    t.expectRst(1, ErrorCode.PROTOCOL_ERROR)
  })

  it('8.1.1 HEADERS with END_STREAM and content-length: 0 is fine', () => {
    expectAccepted(requestFields('POST', '/', [['content-length', '0']]))
  })

  it('8.1.1 a content-length that is not a number → RST_STREAM PROTOCOL_ERROR', () => {
    expectMalformed(requestFields('POST', '/', [['content-length', '1e3']]))
  })

  it('8.1.1 two content-length fields that disagree → RST_STREAM PROTOCOL_ERROR', () => {
    expectMalformed(
      requestFields('POST', '/', [
        ['content-length', '0'],
        ['content-length', '1'],
      ]),
    )
  })

  it('8.1.1 padding does not count toward content-length', () => {
    const t = serverUnderTest()
    t.send(headers(1).request('POST', '/', [['content-length', '3']]))
    t.send(data(1, 'abc').padded(40).eos())
    t.expectNothing()
    expect(t.conn.streamState(1)).toBe('half-closed-remote')
  })

  it('8.1.1 trailers that end a body shorter than content-length → RST_STREAM PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.send(headers(1).request('POST', '/', [['content-length', '10']]), data(1, 'abc'))
    t.send(
      headers(1)
        .fields([['x-t', '1']])
        .eos(),
    )
    t.expectRst(1, ErrorCode.PROTOCOL_ERROR)
  })

  it('8.1 trailers without END_STREAM → RST_STREAM PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    t.send(data(1, 'body'), headers(1).fields([['x-checksum', 'abc']]))
    t.expectRst(1, ErrorCode.PROTOCOL_ERROR)
    t.expectAlive()
  })

  it('8.1 trailers with a pseudo-header → RST_STREAM PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    t.send(
      headers(1)
        .fields([
          [':path', '/'],
          ['x-t', '1'],
        ])
        .eos(),
    )
    t.expectRst(1, ErrorCode.PROTOCOL_ERROR)
  })

  it('8.1 trailers with a connection-specific field → RST_STREAM PROTOCOL_ERROR', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    t.send(
      headers(1)
        .fields([['connection', 'close']])
        .eos(),
    )
    t.expectRst(1, ErrorCode.PROTOCOL_ERROR)
  })

  it('8.1 valid trailers after a body end the request', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    const events = t.send(
      data(1, 'body'),
      headers(1)
        .fields([['x-checksum', 'abc']])
        .eos(),
    )
    expect(ofType(events, 'headersReceived')).toMatchObject([
      { kind: 'trailers', fields: [['x-checksum', 'abc']] },
    ])
    expect(t.conn.streamState(1)).toBe('half-closed-remote')
    t.expectNothing()
  })

  it('8.1.1 a malformed request: DATA that follows it is discarded (we reset the stream)', () => {
    const t = serverUnderTest()
    const events = t.send(headers(1).fields(withField(['X-Bad', '1'])), data(1, 'body').eos())
    expect(ofType(events, 'dataReceived')).toEqual([])
    t.expectRst(1, ErrorCode.PROTOCOL_ERROR)
  })
})

describe('8.2.1 on what we send', () => {
  const badValue = ['x-v', 'a\rb'] as const

  it('a request or response with a malformed field is refused with a UsageError, and nothing is sent', () => {
    const client = clientUnderTest()
    expect(() => client.conn.request([...requestFields('GET', '/'), badValue])).toThrow(
      expect.objectContaining({ reason: 'invalid-field-value' }),
    )
    client.expectNothing()
    const server = serverUnderTest()
    server.send(headers(1).fields(base).eos())
    server.read()
    expect(() =>
      server.conn.sendHeaders(1, [
        [':status', '200'],
        ['X-Upper', '1'],
      ]),
    ).toThrow(expect.objectContaining({ reason: 'uppercase-field-name' }))
    server.expectNothing()
  })

  it('checkOutgoingFields: false leaves the characters to the caller; the structure is still checked', () => {
    const client = clientUnderTest({ checkOutgoingFields: false })
    client.conn.request([...requestFields('GET', '/'), badValue], { endStream: true })
    const [frame] = client.read()
    expect(frame?.fields).toContainEqual([...badValue])
    // Not characters: a pseudo-header field after a regular one is still refused.
    expect(() => client.conn.request([['x-a', '1'], ...requestFields('GET', '/')])).toThrow(
      expect.objectContaining({ reason: 'pseudo-header-after-field' }),
    )
  })
})
