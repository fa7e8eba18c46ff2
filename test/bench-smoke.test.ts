/**
 * The benchmark suite cannot rot: `bench/run.ts --smoke` runs every part in its smallest form (one shape,
 * one round, small batches; HAProxy, h2o and nginx left out) into a temporary directory, and the results
 * must be there and make sense: positive speeds, the files written, and the `api` part's connection counts
 * being what the two paths do (HTTP/1.1 opens a connection per request in flight; the gateway carries them
 * on the one HTTP/2 connection it already has, with HPACK-compressed headers).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { makeTempDir, run } from './support/peers.js'

const repoRoot = fileURLToPath(new URL('..', import.meta.url))

interface Row {
  median?: Record<string, unknown> & { reqPerSec?: number; cpuUsPerRequest?: number }
  ratio?: number
}

describe('pnpm bench --smoke', () => {
  const tmp = makeTempDir('h2ts-bench-smoke-')
  afterAll(() => tmp.cleanup())

  it('runs every part and writes latest.json, RESULTS.md and ratios.svg with sane figures', async () => {
    const r = await run(
      process.execPath,
      ['--conditions=@h2ts/source', '--import', 'tsx', 'bench/run.ts', '--smoke', '--out', tmp.path],
      // A failure guard, not a timing assertion: the smoke run takes well under a minute when alone.
      { timeoutMs: 170_000, cwd: repoRoot },
    )
    expect(r.code, r.stderr.slice(-3000)).toBe(0)
    // Progress is reported while it runs.
    expect(r.stderr).toMatch(/== \[1\/7\] hpack/)

    const { machine, results } = JSON.parse(readFileSync(join(tmp.path, 'latest.json'), 'utf8'))
    expect(machine.cores).toBeGreaterThan(0)
    expect(machine.node).toBe(process.version)
    expect(machine.cpu).not.toBe('')
    expect(Object.keys(machine.peers)).toEqual(['h2load', 'nghttpd', 'haproxy', 'nginx', 'h2o'])

    for (const row of [...results.hpack.decode, ...results.hpack.encode])
      expect(row.blocksPerSec, row.name).toBeGreaterThan(0)
    expect(results.hpack.decode.map((x: { name: string }) => x.name)).toEqual(['h2ts', 'hpack.js', 'hpack'])
    for (const row of [...results.huffman.encode, ...results.huffman.decode])
      expect(row.mbPerSec, row.name).toBeGreaterThan(0)
    expect(results.frames.decode.framesPerSec).toBeGreaterThan(0)
    expect(results.frames.copy.mbPerSec).toBeGreaterThan(0)

    for (const part of ['h2load', 'gateway'] as const) {
      if (results[part].skipped !== undefined) {
        console.warn(`bench smoke: ${part} skipped: ${results[part].skipped}`)
        continue
      }
      const servers: Row[] = results[part].shapes[0].servers
      expect(servers.length).toBeGreaterThanOrEqual(2)
      for (const s of servers) {
        expect(s.median?.reqPerSec).toBeGreaterThan(0)
        expect(s.ratio).toBeGreaterThan(0)
        // Read from /proc/PID/stat around the measured run: a server that answered used some CPU.
        expect(s.median?.cpuUsPerRequest).toBeGreaterThan(0)
      }
    }

    for (const row of results.idle.rows) {
      expect(
        row.runs.every((x: { ok: boolean }) => x.ok),
        JSON.stringify(row.runs),
      ).toBe(true)
      expect(Number.isFinite(row.median)).toBe(true)
    }

    const api = results.api.rows as Array<{
      n: number
      stream: boolean
      path: string
      failedRuns: number
      median: {
        totalMs: number
        p99Ms: number
        clientConnections: number
        upstreamConnections: number
        cpuMs: { total: number }
        bytes: { client: number; upstream: number }
        headerBytes: { upstreamWire: number; upstreamUncompressed: number }
      }
    }>
    expect(api.length).toBe(8)
    for (const row of api) {
      const label = `${row.path} N=${row.n} ${row.stream ? 'stream' : 'JSON'}`
      expect(row.failedRuns, label).toBe(0)
      const m = row.median
      expect(m.totalMs, label).toBeGreaterThan(0)
      expect(m.p99Ms, label).toBeGreaterThan(0)
      expect(m.cpuMs.total, label).toBeGreaterThan(0)
      expect(m.bytes.client, label).toBeGreaterThan(0)
      expect(m.bytes.upstream, label).toBeGreaterThan(0)
      // fetch opens one connection (one TLS handshake) per request in flight, whichever the path.
      expect(m.clientConnections, label).toBe(row.n)
      if (row.path.startsWith('HTTP/1.1')) {
        expect(m.upstreamConnections, label).toBe(row.n)
        expect(m.headerBytes.upstreamWire, label).toBe(m.headerBytes.upstreamUncompressed)
      } else {
        // The gateway's one upstream connection was opened by the warm-up and is reused.
        expect(m.upstreamConnections, label).toBe(0)
        expect(m.headerBytes.upstreamWire, label).toBeLessThan(m.headerBytes.upstreamUncompressed)
      }
    }

    const md = readFileSync(join(tmp.path, 'RESULTS.md'), 'utf8')
    for (const heading of [
      'HPACK',
      'Huffman',
      'Frame codec',
      'Servers under h2load',
      'Memory per idle',
      'HTTP/1.1 straight',
    ])
      expect(md).toContain(`## ${heading}`)
    expect(md).not.toContain('FAILED')
    if (results.h2load.skipped !== undefined) return // no req/s ratios, no chart
    expect(md).toContain('![req/s ratios to node:http2](ratios.svg)')
    const svg = readFileSync(join(tmp.path, 'ratios.svg'), 'utf8')
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
    expect(svg).toMatch(/\d\.\d\d×/)
  }, 180_000)
})
