// Server push and extended CONNECT over real sockets: our server pushing to our client, to node:http2
// (its 'stream' push event) and to nghttp (-ans lists pushed streams); our client taking pushes from a
// node:http2 server; extended CONNECT (RFC 8441) both ways with node:http2.
import * as http2 from 'node:http2'
import type { AddressInfo } from 'node:net'
import { ErrorCode } from '@h2ts/frames'
import { afterEach, describe, expect, it } from 'vitest'
import { hasCommand, run } from '../../../test/support/peers.js'
import { isUsageError } from '../src/index.js'
import {
  type ClientSession,
  connect,
  createServer,
  type Http2Server,
  type PushedResponse,
} from '../src/node/index.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function text(body: AsyncIterable<Buffer>): Promise<string> {
  let out = ''
  for await (const chunk of body) out += chunk.toString('latin1')
  return out
}

/** Our server: "/" pushes /app.js and /style.css (when the client allows it), then answers. */
async function pushingServer(): Promise<{ server: Http2Server; port: number; refused: string[] }> {
  const refused: string[] = []
  const server = createServer((req, res) => {
    if (req.path !== '/') {
      res.respond(404, {}, { endStream: true })
      return
    }
    res.respond(200, { 'content-type': 'text/html' })
    if (req.session.pushAllowed) {
      for (const [path, body] of [
        ['/app.js', 'console.log(1)'],
        ['/style.css', 'body{}'],
      ] as const) {
        const pushed = res.push({ ':path': path })
        pushed.on('error', () => refused.push(path))
        pushed.respond(200, { 'content-type': path.endsWith('.js') ? 'text/javascript' : 'text/css' })
        pushed.end(body)
      }
    }
    res.end('<script src=/app.js></script>')
  })
  const port = await server.listen(0)
  cleanups.push(() => server.destroy())
  return { server, port, refused }
}

describe('server push over sockets', () => {
  it('our server → our client: push events carry the promised request and its response', async () => {
    const { port } = await pushingServer()
    const session = await connect(`http://127.0.0.1:${port}`, { enablePush: true })
    cleanups.push(() => session.destroy())
    const pushes: PushedResponse[] = []
    session.on('push', (p: PushedResponse) => pushes.push(p))
    const response = await session.request({ ':path': '/' }, { endStream: true }).response
    expect(await text(response.body)).toBe('<script src=/app.js></script>')
    const got = await Promise.all(
      pushes.map(async (p) => {
        const r = await p.response
        return [
          p.associatedStreamId,
          p.method,
          p.path,
          p.authority,
          r.status,
          r.headers['content-type'],
          await text(r.body),
        ]
      }),
    )
    expect(got).toEqual([
      [1, 'GET', '/app.js', `127.0.0.1:${port}`, 200, 'text/javascript', 'console.log(1)'],
      [1, 'GET', '/style.css', `127.0.0.1:${port}`, 200, 'text/css', 'body{}'],
    ])
  })

  it('our client by default disables push: the server does not push', async () => {
    const { port } = await pushingServer()
    const session = await connect(`http://127.0.0.1:${port}`)
    cleanups.push(() => session.destroy())
    let pushed = 0
    session.on('push', () => pushed++)
    const response = await session.request({ ':path': '/' }, { endStream: true }).response
    expect(await text(response.body)).toContain('script')
    expect(pushed).toBe(0)
    expect(session.connection.localSettings.enablePush).toBe(false)
  })

  it('our client cancels one push: the server’s pushed response sees the reset, the rest arrives', async () => {
    const { port, refused } = await pushingServer()
    const session = await connect(`http://127.0.0.1:${port}`, { enablePush: true })
    cleanups.push(() => session.destroy())
    const kept: Array<Promise<string>> = []
    session.on('push', (p: PushedResponse) => {
      if (p.path === '/app.js') p.cancel(ErrorCode.CANCEL)
      else kept.push(p.response.then((r) => text(r.body)))
    })
    const response = await session.request({ ':path': '/' }, { endStream: true }).response
    await text(response.body)
    expect(await Promise.all(kept)).toEqual(['body{}'])
    // The cancel may land after the small pushed response was already sent whole; if not, it failed.
    expect(refused.filter((p) => p !== '/app.js')).toEqual([])
  })

  it('our server → node:http2 client: pushed streams arrive through its "stream" event', async () => {
    const { port } = await pushingServer()
    const client = http2.connect(`http://127.0.0.1:${port}`)
    cleanups.push(() => {
      client.destroy()
    })
    const pushed: Array<Promise<[string, string]>> = []
    client.on('stream', (stream, requestHeaders) => {
      pushed.push(
        new Promise((resolve, reject) => {
          let body = ''
          stream.setEncoding('latin1')
          stream.on('data', (c: string) => {
            body += c
          })
          stream.on('end', () => resolve([String(requestHeaders[':path']), body]))
          stream.on('error', reject)
        }),
      )
    })
    const req = client.request({ ':path': '/' })
    req.setEncoding('latin1')
    let body = ''
    req.on('data', (c: string) => {
      body += c
    })
    await new Promise<void>((resolve, reject) => {
      req.on('end', resolve)
      req.on('error', reject)
    })
    expect(body).toContain('script')
    expect((await Promise.all(pushed)).sort()).toEqual([
      ['/app.js', 'console.log(1)'],
      ['/style.css', 'body{}'],
    ])
  })

  it.skipIf(!hasCommand('nghttp'))(
    'our server → nghttp -ans: nghttp receives and counts the pushed resources',
    async () => {
      const { port } = await pushingServer()
      const result = await run('nghttp', ['-ans', `http://127.0.0.1:${port}/`], { timeoutMs: 10_000 })
      const out = result.stdout.toString()
      expect(result.code, out + result.stderr).toBe(0)
      // The statistics table has a line per resource: "id responseEnd [*] requestStart process code size
      // path", where "*" marks a stream the server pushed.
      const rows = out
        .split('\n')
        .map((line) => /^\s*(\d+)\s+\+\S+\s+(\*\s+)?\+\S+\s+\S+\s+(\d{3})\s+\d+\s+(\S+)$/.exec(line))
        .filter((m) => m !== null)
        .map((m) => ({ id: Number(m[1]), pushed: m[2] !== undefined, status: m[3], path: m[4] }))
        .sort((a, b) => (a.path! < b.path! ? -1 : 1))
      expect(
        rows.filter((r) => r.pushed).map((r) => [r.id % 2, r.status, r.path]),
        out,
      ).toEqual([
        [0, '200', '/app.js'],
        [0, '200', '/style.css'],
      ])
      expect(rows.filter((r) => !r.pushed).map((r) => [r.status, r.path])).toEqual([['200', '/']])
    },
  )

  it('node:http2 server → our client: its pushStream arrives as a push event', async () => {
    const server = http2.createServer()
    server.on('stream', (stream, headers) => {
      if (headers[':path'] !== '/') return
      stream.pushStream({ ':path': '/pushed.txt' }, (error, push) => {
        if (error) throw error
        push.respond({ ':status': 200, 'x-pushed': 'yes' })
        push.end('from node')
      })
      stream.respond({ ':status': 200 })
      stream.end('main')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
    const port = (server.address() as AddressInfo).port
    const session: ClientSession = await connect(`http://127.0.0.1:${port}`, { enablePush: true })
    cleanups.push(() => session.destroy())
    const pushes: Array<Promise<[string | undefined, string | string[] | undefined, string]>> = []
    session.on('push', (p: PushedResponse) =>
      pushes.push(p.response.then(async (r) => [p.path, r.headers['x-pushed'], await text(r.body)])),
    )
    const response = await session.request({ ':path': '/' }, { endStream: true }).response
    expect(await text(response.body)).toBe('main')
    expect(await Promise.all(pushes)).toEqual([['/pushed.txt', 'yes', 'from node']])
  })
})

describe('extended CONNECT (RFC 8441) over sockets', () => {
  /** Our server: an extended CONNECT with :protocol "echo" gets 200 and its bytes back, upper-cased. */
  async function echoServer(): Promise<number> {
    const server = createServer({ connection: { settings: { enableConnectProtocol: true } } }, (req, res) => {
      if (req.method !== 'CONNECT' || req.protocol !== 'echo') {
        res.respond(400, {}, { endStream: true })
        return
      }
      res.respond(200)
      req.body.on('data', (chunk: Buffer) => res.write(chunk.toString('latin1').toUpperCase()))
      req.body.on('end', () => res.end())
    })
    const port = await server.listen(0)
    cleanups.push(() => server.destroy())
    return port
  }

  it('node:http2 client → our server: a bidirectional stream after SETTINGS_ENABLE_CONNECT_PROTOCOL', async () => {
    const port = await echoServer()
    const client = http2.connect(`http://127.0.0.1:${port}`)
    cleanups.push(() => {
      client.destroy()
    })
    await new Promise<void>((resolve) => client.once('remoteSettings', () => resolve()))
    expect(client.remoteSettings.enableConnectProtocol).toBe(true)
    const stream = client.request(
      {
        ':method': 'CONNECT',
        ':protocol': 'echo',
        ':path': '/chat',
        ':scheme': 'http',
        ':authority': `127.0.0.1:${port}`,
      },
      { endStream: false },
    )
    const status = await new Promise<number>((resolve) =>
      stream.once('response', (h) => resolve(Number(h[':status']))),
    )
    expect(status).toBe(200)
    stream.setEncoding('latin1')
    // A round trip before the end: the stream really is bidirectional.
    stream.write('ping')
    const first = await new Promise<string>((resolve) => stream.once('data', resolve))
    expect(first).toBe('PING')
    let rest = ''
    stream.on('data', (c: string) => {
      rest += c
    })
    stream.end('bye')
    await new Promise<void>((resolve, reject) => {
      stream.on('end', resolve)
      stream.on('error', reject)
    })
    expect(rest).toBe('BYE')
  })

  it('our client → node:http2 server with enableConnectProtocol', async () => {
    const server = http2.createServer({ settings: { enableConnectProtocol: true } })
    server.on('stream', (stream, headers) => {
      expect(headers[':protocol']).toBe('websocket')
      stream.respond({ ':status': 200 })
      stream.on('data', (chunk: Buffer) =>
        stream.write(Buffer.from(chunk.toString('latin1').split('').reverse().join(''), 'latin1')),
      )
      stream.on('end', () => stream.end())
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
    const port = (server.address() as AddressInfo).port
    const session = await connect(`http://127.0.0.1:${port}`)
    cleanups.push(() => session.destroy())
    const settings = await session.remoteSettings()
    expect(settings.enableConnectProtocol).toBe(true)
    const tunnel = session.request({ ':method': 'CONNECT', ':protocol': 'websocket', ':path': '/chat' })
    const response = await tunnel.response
    expect(response.status).toBe(200)
    tunnel.write('abc')
    const first = await new Promise<Buffer>((resolve) => response.body.once('data', resolve))
    expect(first.toString()).toBe('cba')
    tunnel.end()
    expect(await text(response.body)).toBe('')
  })

  it('our client: an extended CONNECT before the server allowed it is a UsageError', async () => {
    const server = createServer((_req, res) => res.respond(200, {}, { endStream: true }))
    const port = await server.listen(0)
    cleanups.push(() => server.destroy())
    const session = await connect(`http://127.0.0.1:${port}`)
    cleanups.push(() => session.destroy())
    await session.remoteSettings()
    let error: unknown
    try {
      session.request({ ':method': 'CONNECT', ':protocol': 'websocket', ':path': '/chat' })
    } catch (e) {
      error = e
    }
    expect(isUsageError(error)).toBe(true)
  })
})
