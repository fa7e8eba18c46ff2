// The request body stream is created on demand: a late reader still gets every byte, a request without a
// body gives an empty, ended stream, and hasBody tells the two apart.
import { once } from 'node:events'
import * as http2 from 'node:http2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer } from '../src/node/index.js'

const server = createServer((req, res) => {
  // Read the body only after a while: DATA (and END_STREAM) arrive before anyone asks for it.
  setTimeout(async () => {
    let bytes = 0
    for await (const chunk of req.body) bytes += chunk.length
    res.respond(200, { 'x-bytes': bytes, 'x-has-body': String(req.hasBody) }, { endStream: true })
  }, 30)
})
let client: http2.ClientHttp2Session
beforeAll(async () => {
  const port = await server.listen(0)
  client = http2.connect(`http://127.0.0.1:${port}`)
})
afterAll(async () => {
  client.close()
  await server.destroy()
})

async function send(method: string, body?: Buffer) {
  const req = client.request({ ':method': method, ':path': '/' }, { endStream: body === undefined })
  if (body !== undefined) req.end(body)
  const [headers] = (await once(req, 'response')) as [http2.IncomingHttpHeaders]
  req.resume()
  return { bytes: headers['x-bytes'], hasBody: headers['x-has-body'] }
}

describe('request bodies on demand', () => {
  it('a late reader gets every byte that arrived before it asked', async () => {
    expect(await send('POST', Buffer.alloc(50_000, 1))).toEqual({ bytes: '50000', hasBody: 'true' })
  })

  it('a request without a body reads as empty and ended', async () => {
    expect(await send('GET')).toEqual({ bytes: '0', hasBody: 'false' })
  })
})
