/**
 * Client interop: each subject client (see `clientSubjects`) talks to real servers: nghttpd (serving files,
 * echoing uploads) and a node:http2 server running the interop app, over cleartext h2 and TLS (the client
 * verifies the self-signed certificate). Bodies of 0 B, 1 B, 64 KiB and 100 MiB both ways, and 1,000
 * concurrent streams on one connection against servers that allow 100 at a time, all checked by SHA-256.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createInteropApp } from '../support/interop-app.js'
import {
  bodySha256,
  bodyStream,
  hasCommand,
  makeBody,
  makeTempDir,
  type PeerServer,
  selfSignedCert,
  sha256,
  sha256Stream,
  startNghttpd,
  writeBodyFile,
} from '../support/peers.js'
import {
  clientSubjects,
  type NodeHttp2ServerHandle,
  type SubjectClient,
  type SubjectClientConnection,
  startNodeHttp2Server,
} from '../support/subject.js'

const MiB = 1 << 20
const sizes = [
  { label: '0 B', size: 0, seed: 21 },
  { label: '1 B', size: 1, seed: 22 },
  { label: '64 KiB', size: 64 * 1024, seed: 23 },
  { label: '100 MiB', size: 100 * MiB, seed: 24 },
] as const
const BIG = 60_000
const CONCURRENT = 1000
const PEER_MAX_STREAMS = 100
/** Small files or bodies for the concurrency cases: size and seed vary with the index. */
const small = (i: number) => ({ size: 1 + ((i * 997) % 20_000), seed: 1000 + i })

const transports = [
  { transport: 'h2c', tls: false },
  { transport: 'TLS', tls: true },
] as const

/** Connects, runs `fn`, and closes the connection whatever happens. */
async function withConnection<T>(
  client: SubjectClient,
  origin: string,
  ca: string | undefined,
  fn: (c: SubjectClientConnection) => Promise<T>,
): Promise<T> {
  const conn = await client(ca === undefined ? { origin } : { origin, ca })
  try {
    return await fn(conn)
  } finally {
    await conn.close()
  }
}

describe.each(clientSubjects)('$name client', ({ client }) => {
  describe.skipIf(!hasCommand('nghttpd'))('against nghttpd', () => {
    const tmp = makeTempDir('h2ts-client-interop-')
    const docroot = `${tmp.path}/htdocs`
    beforeAll(async () => {
      for (const s of sizes) await writeBodyFile(`${docroot}/b/${s.size}`, s.size, s.seed)
      for (let i = 0; i < 100; i++) await writeBodyFile(`${docroot}/c/${i}`, small(i).size, small(i).seed)
    }, 30_000)
    afterAll(() => tmp.cleanup())

    describe.each(transports)('over $transport', ({ tls }) => {
      let peer: PeerServer
      let ca: string | undefined
      beforeAll(async () => {
        const cert = tls ? await selfSignedCert() : undefined
        ca = cert?.cert
        peer = await startNghttpd({
          docroot,
          echoUpload: true,
          maxConcurrentStreams: PEER_MAX_STREAMS,
          ...(cert === undefined ? {} : { tls: cert }),
        })
      })
      afterAll(() => peer?.close())

      it.each(sizes)(
        'downloads $label',
        async ({ size, seed }) => {
          await withConnection(client, peer.origin, ca, async (c) => {
            const res = await c.request({ method: 'GET', path: `/b/${size}` })
            expect(res.status).toBe(200)
            expect(res.headers['content-length']).toBe(String(size))
            expect(await sha256Stream(res.body)).toEqual({ sha256: bodySha256(size, seed), bytes: size })
          })
        },
        BIG,
      )

      it.each(sizes)(
        'uploads $label and gets it echoed',
        async ({ size, seed }) => {
          await withConnection(client, peer.origin, ca, async (c) => {
            const res = await c.request({
              method: 'POST',
              path: '/echo',
              headers: { 'content-length': String(size) },
              body: bodyStream(size, seed),
            })
            expect(res.status).toBe(200)
            expect(await sha256Stream(res.body)).toEqual({ sha256: bodySha256(size, seed), bytes: size })
          })
        },
        BIG,
      )

      it('gets 404 for a missing file', async () => {
        await withConnection(client, peer.origin, ca, async (c) => {
          const res = await c.request({ method: 'GET', path: '/missing' })
          expect(res.status).toBe(404)
          await sha256Stream(res.body)
        })
      })

      it(`runs ${CONCURRENT} concurrent streams on one connection (peer allows ${PEER_MAX_STREAMS})`, async () => {
        const results = await withConnection(client, peer.origin, ca, (c) =>
          Promise.all(
            Array.from({ length: CONCURRENT }, async (_, i) => {
              const res = await c.request({ method: 'GET', path: `/c/${i % 100}` })
              const body = await sha256Stream(res.body)
              return { i, status: res.status, ...body }
            }),
          ),
        )
        expect(results.filter((r) => r.status !== 200)).toEqual([])
        const wrong = results.filter(
          (r) => r.sha256 !== bodySha256(small(r.i % 100).size, small(r.i % 100).seed),
        )
        expect(wrong).toEqual([])
      }, 30_000)
    })
  })

  describe('against node:http2', () => {
    describe.each(transports)('over $transport', ({ tls }) => {
      let peer: NodeHttp2ServerHandle
      let origin = ''
      let ca: string | undefined
      const app = createInteropApp()
      beforeAll(async () => {
        const cert = tls ? await selfSignedCert() : undefined
        ca = cert?.cert
        peer = await startNodeHttp2Server(
          { maxConcurrentStreams: PEER_MAX_STREAMS, ...(cert === undefined ? {} : { tls: cert }) },
          app.handler,
        )
        origin = `${tls ? 'https' : 'http'}://127.0.0.1:${peer.port}`
      })
      afterAll(async () => {
        await peer?.close()
        expect(app.stats.errors).toEqual([])
      })

      it('GET /hello', async () => {
        await withConnection(client, origin, ca, async (c) => {
          const res = await c.request({ method: 'GET', path: '/hello' })
          expect(res.status).toBe(200)
          expect(res.headers['content-type']).toBe('text/plain')
          expect((await sha256Stream(res.body)).sha256).toBe(sha256('hello'))
        })
      })

      it.each(sizes)(
        'downloads $label',
        async ({ size, seed }) => {
          await withConnection(client, origin, ca, async (c) => {
            const res = await c.request({ method: 'GET', path: `/download?size=${size}&seed=${seed}` })
            expect(res.status).toBe(200)
            expect(res.headers['x-body-sha256']).toBe(bodySha256(size, seed))
            expect(await sha256Stream(res.body)).toEqual({ sha256: bodySha256(size, seed), bytes: size })
          })
        },
        BIG,
      )

      it.each(sizes)(
        'uploads $label and the server hashes it',
        async ({ size, seed }) => {
          await withConnection(client, origin, ca, async (c) => {
            const res = await c.request({ method: 'POST', path: '/sha256', body: bodyStream(size, seed) })
            expect(res.status).toBe(200)
            expect(res.headers['x-received-sha256']).toBe(bodySha256(size, seed))
            expect(res.headers['x-received-bytes']).toBe(String(size))
            await sha256Stream(res.body)
          })
        },
        BIG,
      )

      it.each(sizes)(
        'streams $label both ways (echo) and receives trailers',
        async ({ size, seed }) => {
          await withConnection(client, origin, ca, async (c) => {
            const res = await c.request({
              method: 'POST',
              path: '/echo',
              headers: { 'x-want-trailers': '1' },
              body: bodyStream(size, seed),
            })
            expect(res.status).toBe(200)
            expect(await sha256Stream(res.body)).toEqual({ sha256: bodySha256(size, seed), bytes: size })
            expect(await res.trailers).toEqual({
              'x-echo-sha256': bodySha256(size, seed),
              'x-echo-bytes': String(size),
            })
          })
        },
        BIG,
      )

      it('sends a body given as one Uint8Array', async () => {
        const body = makeBody(100_000, 7)
        await withConnection(client, origin, ca, async (c) => {
          const res = await c.request({ method: 'PUT', path: '/sha256', body })
          expect(res.status).toBe(200)
          expect(res.headers['x-received-sha256']).toBe(sha256(body))
          await sha256Stream(res.body)
        })
      })

      it(`runs ${CONCURRENT} concurrent echo streams on one connection (peer allows ${PEER_MAX_STREAMS})`, async () => {
        const sessionsBefore = peer.sessions()
        const requestsBefore = app.stats.requests
        app.stats.peakActive = 0
        const results = await withConnection(client, origin, ca, (c) =>
          Promise.all(
            Array.from({ length: CONCURRENT }, async (_, i) => {
              const { size, seed } = small(i)
              const res = await c.request({
                method: 'POST',
                path: '/echo?hold=2',
                body: bodyStream(size, seed),
              })
              const body = await sha256Stream(res.body)
              return {
                i,
                status: res.status,
                ok: body.sha256 === bodySha256(size, seed) && body.bytes === size,
              }
            }),
          ),
        )
        expect(results.filter((r) => r.status !== 200 || !r.ok)).toEqual([])
        expect(peer.sessions() - sessionsBefore).toBe(1)
        expect(app.stats.requests - requestsBefore).toBe(CONCURRENT)
        // The streams really overlapped, and never beyond what the server allowed.
        expect(app.stats.peakActive).toBeGreaterThan(PEER_MAX_STREAMS / 2)
        expect(app.stats.peakActive).toBeLessThanOrEqual(PEER_MAX_STREAMS)
      }, 30_000)
    })
  })
})
