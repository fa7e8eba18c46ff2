/**
 * The peer harness itself: process control, deterministic bodies, nghttpd start-up and h2load parsing. When
 * these are wrong, every interop result is suspect.
 */
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { type AddressInfo, createServer } from 'node:net'
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { formatH2loadResult, type H2loadRun, parseH2loadOutput } from '../../bench/h2load.bench.js'
import {
  bodyChunks,
  bodySha256,
  hasCommand,
  listeningPorts,
  makeBody,
  PeerProcessError,
  run,
  sha256,
  sha256Stream,
  startNghttpd,
} from '../support/peers.js'

describe('run', () => {
  it('returns exit code, stdout and stderr, and feeds stdin', async () => {
    const r = await run('sh', ['-c', 'cat; echo oops >&2; exit 3'], { timeoutMs: 5000, input: 'abc' })
    expect(r.code).toBe(3)
    expect(r.stdout.toString()).toBe('abc')
    expect(r.stderr).toBe('oops\n')
  })

  it('hashes stdout on request', async () => {
    const r = await run('sh', ['-c', 'printf hello'], { timeoutMs: 5000, hashStdout: true })
    expect(r.stdout.length).toBe(0)
    expect(r.stdoutBytes).toBe(5)
    expect(r.stdoutSha256).toBe(sha256('hello'))
  })

  it('kills a process that outlives its timeout and rejects', async () => {
    const t0 = Date.now()
    await expect(run('sleep', ['10'], { timeoutMs: 200 })).rejects.toThrow(PeerProcessError)
    expect(Date.now() - t0).toBeLessThan(3000)
  })

  it('rejects when the command does not exist', async () => {
    await expect(run('/nonexistent/h2ts-peer', [], { timeoutMs: 1000 })).rejects.toThrow(/cannot run/)
  })
})

describe('bodies', () => {
  it('are deterministic, seed-dependent and the same whole or in chunks', () => {
    const size = 3 * (1 << 20) + 12_345
    const whole = makeBody(size, 7)
    expect(makeBody(size, 7).equals(whole)).toBe(true)
    expect(makeBody(size, 8).equals(whole)).toBe(false)
    expect(Buffer.concat([...bodyChunks(size, 7, 100_003)]).equals(whole)).toBe(true)
    expect(bodySha256(size, 7)).toBe(sha256(whole))
    // MiB blocks differ from one another (a repeated or dropped block changes the hash)
    expect(whole.subarray(0, 1 << 20).equals(whole.subarray(1 << 20, 2 << 20))).toBe(false)
    expect(makeBody(0, 1).length).toBe(0)
  })

  it('makes 100 MiB quickly', () => {
    const t0 = performance.now()
    const b = makeBody(100 << 20, 3)
    expect(b.length).toBe(100 << 20)
    expect(performance.now() - t0).toBeLessThan(2000)
  })

  it('streams a SHA-256 of a Readable', async () => {
    const data = makeBody(300_000, 4)
    const r = await sha256Stream(Readable.from([data.subarray(0, 1000), data.subarray(1000)]))
    expect(r).toEqual({ sha256: createHash('sha256').update(data).digest('hex'), bytes: 300_000 })
  })
})

describe.skipIf(!existsSync('/proc/self/fd'))('listeningPorts', () => {
  it("reads a process's listening sockets from /proc", async () => {
    const srv = createServer().listen(0, '127.0.0.1')
    await once(srv, 'listening')
    try {
      expect(listeningPorts(process.pid)).toContain((srv.address() as AddressInfo).port)
    } finally {
      srv.close()
    }
  })
})

describe.skipIf(!hasCommand('nghttpd') || !hasCommand('curl'))('startNghttpd', () => {
  it('finds the OS-chosen port, serves files, and is gone after close', async () => {
    const peer = await startNghttpd({ files: { 'a.txt': 'hi', 'sub/b.bin': makeBody(70_000, 2) } })
    expect(peer.port).toBeGreaterThan(0)
    expect(peer.origin).toBe(`http://127.0.0.1:${peer.port}`)
    const get = (path: string) =>
      run('curl', ['-sS', '--http2-prior-knowledge', `${peer.origin}${path}`], { timeoutMs: 5000 })
    expect((await get('/a.txt')).stdout.toString()).toBe('hi')
    expect(sha256((await get('/sub/b.bin')).stdout)).toBe(bodySha256(70_000, 2))
    await peer.close()
    expect((await get('/a.txt')).code).not.toBe(0)
  })
})

const sample = `starting benchmark...
spawning thread #0: 10 total client(s). 500 total requests
TLS Protocol: TLSv1.3
Application protocol: h2
progress: 100% done

finished in 458.08ms, 1091.51 req/s, 1.07GB/s
requests: 500 total, 500 started, 500 done, 498 succeeded, 2 failed, 1 errored, 0 timeout
status codes: 498 2xx, 0 3xx, 0 4xx, 0 5xx
traffic: 500.28MB (524586490) total, 5.67KB (5810) headers (space savings 86.49%), 500.00MB (524288000) data
`

describe('parseH2loadOutput', () => {
  it('reads rates, counts and protocol', () => {
    const p = parseH2loadOutput(sample)
    expect(p.reqPerSec).toBe(1091.51)
    expect(p.seconds).toBeCloseTo(0.45808, 6)
    expect(p.mbPerSec).toBeCloseTo(524586490 / 0.45808 / 1e6, 3)
    expect(p.requests).toEqual({ total: 500, succeeded: 498, failed: 2, errored: 1, timeout: 0 })
    expect(p.status2xx).toBe(498)
    expect(p.protocol).toBe('h2')
  })

  it('refuses output it does not understand', () => {
    expect(() => parseH2loadOutput('invalid URI')).toThrow(/cannot parse/)
  })
})

describe('formatH2loadResult', () => {
  const okRun: H2loadRun = {
    ok: true,
    reqPerSec: 1000,
    mbPerSec: 1,
    seconds: 1,
    requests: { total: 1000, succeeded: 1000, failed: 0, errored: 0, timeout: 0 },
    status2xx: 1000,
    protocol: 'h2c',
    peakRssKiB: 51_200,
    cpuUsPerRequest: 21.25,
  }
  const failed: H2loadRun = { ...okRun, ok: false, error: '3 failed, 0 errored, 0 timeout', reqPerSec: 9e9 }
  it('reports a server whose runs all failed as FAILED, never as a speed', () => {
    const md = formatH2loadResult({
      pinned: true,
      rounds: 1,
      reference: 'node:http2',
      missing: [],
      shapes: [
        {
          name: '-c 1 -m 100',
          tls: false,
          clients: 1,
          streams: 100,
          transport: 'h2c',
          requests: 1000,
          servers: [
            {
              name: 'node:http2',
              runs: [okRun],
              failedRuns: 0,
              median: { reqPerSec: 1000, mbPerSec: 1, peakRssMiB: 50, cpuUsPerRequest: 21.25 },
              ratio: 1,
            },
            { name: 'h2ts', runs: [failed], failedRuns: 1 },
          ],
        },
      ],
    })
    expect(md).toContain('| h2c | -c 1 -m 100 | 1,000 | node:http2 | 1,000 | 1.0 | 50 | 21.3 | 1.00× | 0 |')
    expect(md).toMatch(/\| h2ts \| FAILED \|/)
    expect(md).not.toContain('9,000,000,000')
    expect(md).toContain('- h2c -c 1 -m 100, h2ts: 3 failed, 0 errored, 0 timeout')
  })
})
