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
import {
  formatH2loadResult,
  type H2loadBenchResult,
  type H2loadRun,
  type H2loadServerResult,
  isWarm,
  parseH2loadOutput,
  WARMUP_RUNS,
} from '../../bench/h2load.bench.js'
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
  /** The report of one h2c shape (-c 1 -m 100, 1,000 requests) with these servers' results. */
  const report = (servers: H2loadServerResult[], more: Partial<H2loadBenchResult> = {}) =>
    formatH2loadResult({
      pinned: true,
      rounds: 1,
      reference: 'node:http2',
      missing: [],
      ...more,
      shapes: [
        {
          name: '-c 1 -m 100',
          tls: false,
          clients: 1,
          streams: 100,
          transport: 'h2c',
          requests: 1000,
          servers,
        },
      ],
    })

  const failed: H2loadRun = { ...okRun, ok: false, error: '3 failed, 0 errored, 0 timeout', reqPerSec: 9e9 }
  it('reports a server whose runs all failed as FAILED, never as a speed', () => {
    const md = report([
      {
        name: 'node:http2',
        runs: [okRun],
        failedRuns: 0,
        median: { reqPerSec: 1000, mbPerSec: 1, peakRssMiB: 50, cpuUsPerRequest: 21.25 },
        ratio: 1,
      },
      { name: 'h2ts', runs: [failed], failedRuns: 1 },
    ])
    expect(md).toContain('| h2c | -c 1 -m 100 | 1,000 | node:http2 | 1,000 | 1.0 | 50 | 21.3 | 1.00× | 0 |')
    expect(md).toMatch(/\| h2ts \| FAILED \|/)
    expect(md).not.toContain('9,000,000,000')
    expect(md).toContain('- h2c -c 1 -m 100, h2ts: 3 failed, 0 errored, 0 timeout')
  })

  it("gives each server its warm-up run count and the first round's trail", () => {
    const run = (warmupCpuUs: number[]): H2loadRun => ({ ...okRun, warmupCpuUs })
    const trails = [run([12.6, 8.8, 6.4, 6.5, 6.3]), run([12, 8, 6, 6.1]), run([11, 9, 6, 6, 6, 6])]
    const md = report([{ name: 'h2ts', runs: trails, failedRuns: 0 }], { rounds: 3, warmupSeconds: 2 })
    expect(md).toContain('until 2 runs in a row failed to beat the cheapest run before them by 5%')
    expect(md).toContain('| h2c -c 1 -m 100 | h2ts | 5 (4–6) | 12.6 → 8.8 → 6.4 → 6.5 → 6.3 |')
  })
})

describe('isWarm (the warm-up stopping rule)', () => {
  it('needs two runs in a row that fail to beat the cheapest before them by 5%', () => {
    expect(WARMUP_RUNS).toMatchObject({ settled: 0.05, stale: 2 })
    expect(isWarm([])).toBe(false)
    expect(isWarm([20])).toBe(false)
    expect(isWarm([20, 19.5])).toBe(false)
    expect(isWarm([20, 19.5, 19.2])).toBe(true)
    // Still falling: every run beats the cheapest by more than 5%.
    expect(isWarm([40, 30, 24, 20, 17])).toBe(false)
  })

  it('is not stopped by one noisy run while the server is still getting cheaper', () => {
    // The trail that stopped too early under a one-run rule (TLS -c 100 -m 1): 22.0 is noise, then 15.
    expect(isWarm([34.5, 20.3, 22.0])).toBe(false)
    expect(isWarm([34.5, 20.3, 22.0, 15])).toBe(false)
    // A run 5% or less below the cheapest does not count as progress.
    expect(isWarm([34.5, 20.3, 22.0, 19.5])).toBe(true)
  })
})
