/**
 * Server interop: each subject server (see `serverSubjects`) runs the interop app and real clients talk to
 * it: curl (--http2-prior-knowledge over cleartext, --http2 over TLS with ALPN) and nghttp (both). Bodies of
 * 0 B, 1 B, 64 KiB and 100 MiB go up (hashed by the server), come down (hash known to the test) and are
 * echoed back, all checked by SHA-256.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createInteropApp } from '../support/interop-app.js'
import {
  bodySha256,
  curlH2,
  hasCommand,
  makeTempDir,
  nghttp,
  type PeerResponse,
  selfSignedCert,
  sha256,
  writeBodyFile,
} from '../support/peers.js'
import { type SubjectServerHandle, serverSubjects } from '../support/subject.js'

const MiB = 1 << 20
const sizes = [
  { label: '0 B', size: 0, seed: 11 },
  { label: '1 B', size: 1, seed: 12 },
  { label: '64 KiB', size: 64 * 1024, seed: 13 },
  { label: '100 MiB', size: 100 * MiB, seed: 14 },
] as const
const timeoutFor = (size: number) => (size >= MiB ? 60_000 : 15_000)

const files = new Map<number, string>()
const tmp = makeTempDir('h2ts-server-interop-')
beforeAll(async () => {
  for (const s of sizes) files.set(s.size, await writeBodyFile(`${tmp.path}/body-${s.size}`, s.size, s.seed))
}, 30_000)
afterAll(() => tmp.cleanup())

interface ClientPeer {
  name: string
  binary: string
  version: string
  /** One request to the server at `origin`, uploading the file when given. */
  request(o: {
    origin: string
    tls: boolean
    path: string
    dataFile?: string
    size: number
  }): Promise<PeerResponse>
}

const clients: ClientPeer[] = [
  {
    name: 'curl',
    binary: 'curl',
    version: '2',
    request: ({ origin, tls, path, dataFile, size }) =>
      curlH2({
        url: origin + path,
        priorKnowledge: !tls,
        insecure: tls,
        ...(dataFile === undefined ? {} : { dataFile, method: 'POST' }),
        output: 'sha256',
        timeoutMs: timeoutFor(size) - 5000,
      }),
  },
  {
    name: 'nghttp',
    binary: 'nghttp',
    version: 'HTTP/2.0',
    request: ({ origin, path, dataFile, size }) =>
      nghttp({
        url: origin + path,
        ...(dataFile === undefined ? {} : { dataFile }),
        output: 'sha256',
        timeoutMs: timeoutFor(size) - 5000,
      }),
  },
]

describe.each(serverSubjects)('$name server', ({ server }) => {
  describe.each([
    { transport: 'h2c', tls: false },
    { transport: 'TLS', tls: true },
  ])('over $transport', ({ tls }) => {
    let handle: SubjectServerHandle
    let origin = ''
    const app = createInteropApp()
    beforeAll(async () => {
      handle = await server(tls ? { tls: await selfSignedCert() } : {}, app.handler)
      origin = `${tls ? 'https' : 'http'}://127.0.0.1:${handle.port}`
    })
    afterAll(async () => {
      await handle?.close()
      expect(app.stats.errors).toEqual([])
    })

    for (const client of clients) {
      describe.skipIf(!hasCommand(client.binary))(`with ${client.name}`, () => {
        it('GET /hello → 200 "hello" over HTTP/2', async () => {
          const r = await curlOrNghttp(client, origin, tls, '/hello')
          expect(r.status).toBe(200)
          expect(r.httpVersion).toBe(client.version)
          expect(r.headers['content-type']).toBe('text/plain')
          expect(r.bodySha256).toBe(sha256('hello'))
        })

        it('unknown path → 404', async () => {
          const r = await curlOrNghttp(client, origin, tls, '/nope')
          expect(r.status).toBe(404)
        })

        it.each(sizes)(
          'uploads $label and the server hashes it',
          async ({ size, seed }) => {
            const r = await client.request({
              origin,
              tls,
              path: '/sha256',
              dataFile: files.get(size)!,
              size,
            })
            expect(r.status).toBe(200)
            expect(r.headers['x-received-bytes']).toBe(String(size))
            expect(r.headers['x-received-sha256']).toBe(bodySha256(size, seed))
          },
          timeoutFor(100 * MiB),
        )

        it.each(sizes)(
          'downloads $label with the expected hash',
          async ({ size, seed }) => {
            const r = await client.request({ origin, tls, path: `/download?size=${size}&seed=${seed}`, size })
            expect(r.status).toBe(200)
            expect(r.headers['content-length']).toBe(String(size))
            expect(r.bodyBytes).toBe(size)
            expect(r.bodySha256).toBe(bodySha256(size, seed))
          },
          timeoutFor(100 * MiB),
        )

        it.each(sizes)(
          'gets $label echoed back',
          async ({ size, seed }) => {
            const r = await client.request({ origin, tls, path: '/echo', dataFile: files.get(size)!, size })
            expect(r.status).toBe(200)
            expect(r.bodyBytes).toBe(size)
            expect(r.bodySha256).toBe(bodySha256(size, seed))
          },
          timeoutFor(100 * MiB),
        )
      })
    }

    describe.skipIf(!hasCommand('nghttp'))('with nghttp -m 200 (concurrent streams, one connection)', () => {
      it('answers every stream', async () => {
        const before = app.stats.requests
        const r = await nghttp({ url: `${origin}/download?size=1000&seed=5&hold=5`, multiply: 200 })
        expect(r.statuses).toHaveLength(200)
        expect(new Set(r.statuses)).toEqual(new Set([200]))
        expect(r.bodyBytes).toBe(200 * 1000)
        expect(app.stats.requests - before).toBe(200)
        expect(app.stats.peakActive).toBeGreaterThan(1)
      })
    })
  })
})

function curlOrNghttp(client: ClientPeer, origin: string, tls: boolean, path: string): Promise<PeerResponse> {
  return client.request({ origin, tls, path, size: 0 })
}
