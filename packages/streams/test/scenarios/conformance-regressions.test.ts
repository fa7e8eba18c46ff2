// Regressions found by the conformance suite (test/conformance): the exact bytes that made our engine answer
// wrongly, replayed against the sans-IO engine.
import { ErrorCode, Flags, FrameType } from '@h2ts/frames'
import { describe, expect, it } from 'vitest'
import {
  clientUnderTest,
  data,
  describeFrame,
  headers,
  ping,
  type ReadFrame,
  rstStream,
  serverUnderTest,
  windowUpdate,
} from '../support/frames.js'

/** The answers that matter for ordering: RST_STREAM, GOAWAY and PING ACK, in the order written. */
const answers = (frames: readonly ReadFrame[]) =>
  frames
    .filter(
      (f) =>
        f.type === FrameType.RST_STREAM ||
        f.type === FrameType.GOAWAY ||
        (f.type === FrameType.PING && (f.flags & Flags.ACK) !== 0),
    )
    .map(describeFrame)

describe('conformance regressions', () => {
  // The suite sends a PING behind each violation and wants the answer before the PING ACK. RST_STREAM sat in
  // a queue written after the one holding PING ACKs, so a bad frame and a PING read together came back as
  // PING ACK, then RST_STREAM.
  it('5.4.2 a stream error is written before the ACK of a PING that followed the bad frame', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    t.read()
    t.send(windowUpdate(1, 0), ping('h2ts-c#1'))
    expect(answers(t.read())).toEqual(['RST_STREAM(1, PROTOCOL_ERROR)', 'PING(ACK)'])
  })

  it('8.1.1 a malformed request is refused before the ACK of a PING that followed it', () => {
    const t = serverUnderTest()
    t.send(
      headers(1)
        .request('GET', '/', [['X-Upper', '1']])
        .eos(),
      ping('h2ts-c#1'),
    )
    expect(answers(t.read())).toEqual(['RST_STREAM(1, PROTOCOL_ERROR)', 'PING(ACK)'])
  })

  it('8.1.1 a content-length mismatch is reset before the ACK of a PING that followed it', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST', extra: [['content-length', '10']] })
    t.read()
    t.send(data(1, 'abc').eos(), ping('h2ts-c#1'))
    expect(answers(t.read())).toEqual(['RST_STREAM(1, PROTOCOL_ERROR)', 'PING(ACK)'])
  })

  it('8.1 a client resets a malformed response before the ACK of a PING that followed it', () => {
    const t = clientUnderTest()
    const id = t.conn.request(
      [
        [':method', 'GET'],
        [':scheme', 'https'],
        [':authority', 'example.com'],
        [':path', '/'],
      ],
      { endStream: true },
    )
    t.read()
    t.send(
      headers(id)
        .fields([[':status', '103']])
        .eos(),
      ping('h2ts-c#1'),
    )
    expect(answers(t.read())).toEqual([`RST_STREAM(${id}, PROTOCOL_ERROR)`, 'PING(ACK)'])
  })

  // §5.1 closed: "An endpoint that receives any frame other than PRIORITY after receiving a RST_STREAM MUST
  // treat that as a stream error of type STREAM_CLOSED." HEADERS got the connection error that §5.1 keeps for
  // frames after END_STREAM.
  it('5.1 HEADERS after the peer reset the stream → RST_STREAM STREAM_CLOSED, the connection lives', () => {
    const t = serverUnderTest()
    t.open(1, { method: 'POST' })
    t.send(rstStream(1, ErrorCode.CANCEL))
    t.read()
    t.send(
      headers(1)
        .fields([['x-trailer', 'yes']])
        .eos(),
    )
    t.expectRst(1, ErrorCode.STREAM_CLOSED)
    t.expectAlive()
  })

  it('5.1 HEADERS after the server reset a client stream → RST_STREAM STREAM_CLOSED', () => {
    const t = clientUnderTest()
    const id = t.conn.request([
      [':method', 'GET'],
      [':scheme', 'https'],
      [':authority', 'example.com'],
      [':path', '/'],
    ])
    t.read()
    t.send(rstStream(id, ErrorCode.INTERNAL_ERROR))
    t.read()
    t.send(headers(id).response(200).eos())
    t.expectRst(id, ErrorCode.STREAM_CLOSED)
    t.expectAlive()
  })

  it('5.1 HEADERS after END_STREAM both ways is still a connection error STREAM_CLOSED', () => {
    const t = serverUnderTest()
    t.open(1, { eos: true })
    t.conn.sendHeaders(1, [[':status', '200']], { endStream: true })
    t.read()
    t.send(
      headers(1)
        .fields([['x-trailer', 'yes']])
        .eos(),
    )
    t.expectGoAway(ErrorCode.STREAM_CLOSED, 1)
  })
})
