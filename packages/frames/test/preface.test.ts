import { describe, expect, it } from 'vitest'
import {
  CLIENT_PREFACE_LENGTH,
  classifyPreface,
  clientPreface,
  ErrorCode,
  encodeFrame,
  FrameDecoder,
  FrameType,
  isFrameError,
  isPrefaceError,
  type PrefaceError,
  PrefaceReader,
  writeClientPreface,
} from '../src/index.js'
import { concat } from './support.js'

const text = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0))
const settings = encodeFrame({
  type: FrameType.SETTINGS,
  flags: 0,
  streamId: 0,
  settings: [{ id: 3, value: 100 }],
})

function failure(chunks: Uint8Array[]): PrefaceError {
  const decoder = new FrameDecoder({ preface: 'client' })
  try {
    for (const c of chunks) for (const _ of decoder.push(c));
  } catch (e) {
    if (isPrefaceError(e)) return e
    throw e
  }
  throw new Error('no PrefaceError')
}

describe('client connection preface (RFC 9113 §3.4)', () => {
  it('is the 24 octets "PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n"', () => {
    expect(Array.from(clientPreface())).toEqual(Array.from(text('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')))
    expect(CLIENT_PREFACE_LENGTH).toBe(24)
    const out = new Uint8Array(30)
    expect(writeClientPreface(out, 3)).toBe(27)
    expect(out[3]).toBe(0x50)
  })

  it('is recognised from any split, then frames follow', () => {
    const bytes = concat(clientPreface(), settings)
    for (const size of [1, 2, 5, 23, 24, 25, bytes.length]) {
      const decoder = new FrameDecoder({ preface: 'client' })
      const items = []
      for (let i = 0; i < bytes.length; i += size) items.push(...decoder.push(bytes.subarray(i, i + size)))
      expect(items).toMatchObject([{ type: FrameType.SETTINGS, settings: [{ id: 3, value: 100 }] }])
      expect(decoder.bufferedBytes).toBe(0)
    }
  })

  it('HTTP/1.1 bytes are a PrefaceError that says so, with the bytes received', () => {
    const e = failure([text('GET / HTTP/1.1\r\nHost: x\r\n\r\n')])
    expect(e).toMatchObject({
      looksLike: 'http1',
      reason: 'preface-http1',
      code: ErrorCode.PROTOCOL_ERROR,
      scope: 'connection',
    })
    expect(isFrameError(e)).toBe(true)
    expect(String.fromCharCode(...e.received)).toBe('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
  })

  it('a request line split after the matching "P" keeps every received byte', () => {
    const e = failure([text('P'), text('OST /x HTTP/1.1\r\n')])
    expect(e.looksLike).toBe('http1')
    expect(String.fromCharCode(...e.received)).toBe('POST /x HTTP/1.1\r\n')
  })

  it('"PRI * HTTP/1.1" (an HTTP/1 request with the PRI method) is http1', () => {
    expect(failure([text('PRI * HTTP/1.1\r\n')]).looksLike).toBe('http1')
  })

  it('TLS bytes (a ClientHello record) are a PrefaceError saying tls', () => {
    const e = failure([Uint8Array.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])])
    expect(e).toMatchObject({ looksLike: 'tls', reason: 'preface-tls' })
    expect(e.message).toMatch(/TLS/)
  })

  it('anything else is preface-mismatch', () => {
    expect(failure([Uint8Array.from([0, 0, 0, 4])]).reason).toBe('preface-mismatch')
    expect(classifyPreface(text('get / http/1.1'))).toBe('unknown')
    expect(classifyPreface(Uint8Array.from([0x16, 0x01]))).toBe('unknown')
    expect(classifyPreface(Uint8Array.from([0x16]))).toBe('tls')
  })

  it('MUST: the preface is followed by a SETTINGS frame', () => {
    const decoder = new FrameDecoder({ preface: 'client' })
    const ping = encodeFrame({ type: FrameType.PING, flags: 0, streamId: 0, data: new Uint8Array(8) })
    expect(() => [...decoder.push(concat(clientPreface(), ping))]).toThrow(/preface-not-settings/)
  })

  it('PrefaceReader reports the octets it consumed', () => {
    const r = new PrefaceReader()
    const bytes = concat(clientPreface(), text('xyz'))
    expect(r.push(bytes.subarray(0, 10))).toBe(10)
    expect(r.done).toBe(false)
    expect(r.push(bytes, 10)).toBe(14)
    expect(r.done).toBe(true)
    expect(r.push(bytes, 24)).toBe(0)
  })
})
