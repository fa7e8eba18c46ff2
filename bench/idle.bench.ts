/**
 * Memory per idle connection: 1,000 HTTP/2 connections held open, with nothing on them, to our server and
 * to node:http2 (the "hello" servers of the h2load bench), over cleartext (prior knowledge) and TLS.
 *
 *   pnpm bench --filter idle          (or: npx tsx --conditions=@h2ts/source bench/idle.bench.ts [--quick])
 *
 * Each run starts a fresh server, opens and closes 50 connections (so code paths are loaded and compiled
 * before the baseline), reads its resident set (VmRSS), opens the 1,000 connections — each sends the
 * preface and an empty SETTINGS, acknowledges the server's SETTINGS, then stays silent — waits for the
 * server to settle, and reads VmRSS again. The figure is (after − before) / connections. Servers alternate
 * (ABBA) over the rounds; the median is reported with its min–max. RSS counts whatever the process holds
 * (socket buffers, TLS state, the engine's per-connection objects, garbage not yet collected), which is
 * what a machine running the server pays.
 */

import { readFileSync } from 'node:fs'
import { connect as netConnect, type Socket } from 'node:net'
import { resolve } from 'node:path'
import { connect as tlsConnect } from 'node:tls'
import { fileURLToPath } from 'node:url'
import { makeTempDir, selfSignedCert, sleep, writeCertFiles } from '../test/support/peers.js'
import type { BenchOptions } from './common.js'
import { median } from './common.js'
import { buildPackages, fmt, type H2loadEnv, serverCmd, servers, startDaemon } from './h2load.bench.js'

// RFC 9113 §3.4: the client preface, then an empty SETTINGS frame; §6.5.3: SETTINGS with ACK.
const PREFACE = Buffer.concat([
  Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'),
  Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]),
])
const SETTINGS_ACK = Buffer.from([0, 0, 0, 4, 1, 0, 0, 0, 0])

export interface IdleRun {
  ok: boolean
  error?: string
  connections: number
  rssBeforeKiB: number
  rssAfterKiB: number
  kibPerConnection: number
}

export interface IdleBenchResult {
  connections: number
  rounds: number
  rows: Array<{
    transport: string
    server: string
    runs: IdleRun[]
    median?: number
    range?: [number, number]
    /** median KiB per connection ÷ node:http2's. */
    ratio?: number
  }>
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) : Number.NaN
}

/** Opens one idle HTTP/2 connection: resolves once the server's first frame (its SETTINGS) arrived. */
function openIdle(port: number, tls: boolean): Promise<Socket> {
  return new Promise((resolvePromise, reject) => {
    const socket: Socket = tls
      ? tlsConnect({ host: '127.0.0.1', port, ALPNProtocols: ['h2'], rejectUnauthorized: false })
      : netConnect({ host: '127.0.0.1', port })
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error('no SETTINGS from the server within 10 s'))
    }, 10_000)
    socket.once(tls ? 'secureConnect' : 'connect', () => socket.write(PREFACE))
    socket.once('data', () => {
      clearTimeout(timer)
      // The server's SETTINGS comes first (§3.4); whatever else it sent needs no answer.
      socket.write(SETTINGS_ACK)
      resolvePromise(socket)
    })
    socket.on('data', () => {})
    socket.once('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
  })
}

async function openMany(port: number, tls: boolean, count: number): Promise<Socket[]> {
  const sockets: Socket[] = []
  // In batches, well below the listen backlog, so no SYN is dropped and retried a second later.
  for (let i = 0; i < count; i += 100)
    sockets.push(
      ...(await Promise.all(Array.from({ length: Math.min(100, count - i) }, () => openIdle(port, tls)))),
    )
  return sockets
}

async function oneRun(
  script: string,
  tls: { certFile: string; keyFile: string } | undefined,
  count: number,
  env: H2loadEnv,
): Promise<IdleRun> {
  const cmd = serverCmd(script, '--port', '0')
  if (tls) cmd.push('--tls', '--cert', tls.certFile, '--key', tls.keyFile)
  const { d, port } = await startDaemon(script, cmd, env)
  let sockets: Socket[] = []
  try {
    for (const s of await openMany(port, tls !== undefined, 50)) s.destroy()
    await sleep(300)
    const before = rssKiB(d.pid)
    sockets = await openMany(port, tls !== undefined, count)
    await sleep(500)
    const after = rssKiB(d.pid)
    const open = sockets.filter((s) => !s.destroyed && s.readyState === 'open').length
    const run: IdleRun = {
      ok: open === count,
      connections: open,
      rssBeforeKiB: before,
      rssAfterKiB: after,
      kibPerConnection: (after - before) / count,
    }
    if (!run.ok) run.error = `${count - open} of ${count} connections closed while idle`
    return run
  } catch (e) {
    return {
      ok: false,
      error: e instanceof Error ? e.message : String(e),
      connections: 0,
      rssBeforeKiB: 0,
      rssAfterKiB: 0,
      kibPerConnection: 0,
    }
  } finally {
    for (const s of sockets) s.destroy()
    await d.close()
  }
}

export async function runIdleBench(opts: BenchOptions): Promise<IdleBenchResult> {
  const log = opts.log ?? console.log
  buildPackages(log)
  const connections = opts.smoke ? 100 : 1000
  const rounds = opts.rounds ?? (opts.smoke ? 1 : opts.quick ? 2 : 4)
  const env: H2loadEnv = { h2load: '', pin: false, log }
  const result: IdleBenchResult = { connections, rounds, rows: [] }
  const tmp = makeTempDir('h2ts-idle-')
  try {
    const certs = await writeCertFiles(tmp.path, await selfSignedCert())
    for (const tls of opts.smoke ? [false] : [false, true]) {
      const transport = tls ? 'TLS' : 'h2c'
      const rows = servers.map((s) => ({ transport, server: s.name, runs: [] as IdleRun[] }))
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? [0, 1] : [1, 0]
        for (const i of order) {
          const r = await oneRun(servers[i]!.script, tls ? certs : undefined, connections, env)
          rows[i]!.runs.push(r)
          log(
            `idle ${transport} ${servers[i]!.name} round ${round + 1}/${rounds}: ` +
              (r.ok
                ? `${fmt(r.kibPerConnection, 1)} KiB per connection (RSS ${fmt(r.rssBeforeKiB / 1024, 1)} → ${fmt(r.rssAfterKiB / 1024, 1)} MiB)`
                : `FAILED ${r.error}`),
          )
        }
      }
      for (const row of rows) {
        const ok = row.runs.filter((r) => r.ok).map((r) => r.kibPerConnection)
        const out: IdleBenchResult['rows'][number] = { ...row }
        if (ok.length > 0) {
          out.median = median(ok)
          out.range = [Math.min(...ok), Math.max(...ok)]
        }
        result.rows.push(out)
      }
      const ref = result.rows.find((r) => r.transport === transport && r.server === 'node:http2')?.median
      for (const row of result.rows)
        if (row.transport === transport && row.median !== undefined && ref) row.ratio = row.median / ref
    }
  } finally {
    await tmp.cleanup()
  }
  return result
}

export function formatIdleResult(r: IdleBenchResult): string {
  const lines = [
    `${fmt(r.connections)} idle HTTP/2 connections (preface, SETTINGS exchanged, nothing else) held open to a fresh` +
      ` server; (VmRSS after − before) ÷ connections; median of ${r.rounds} alternating run${r.rounds === 1 ? '' : 's'}` +
      ' (min–max). Lower is better.',
    '',
    '| transport | server | KiB per connection (min–max) | ÷ node:http2 | failed runs |',
    '|---|---|---:|---:|---:|',
  ]
  for (const row of r.rows) {
    const failed = row.runs.filter((x) => !x.ok)
    const f = failed.length === 0 ? '0' : `${failed.length}/${row.runs.length}: ${failed[0]!.error}`
    lines.push(
      row.median === undefined || row.range === undefined
        ? `| ${row.transport} | ${row.server} | FAILED | | ${f} |`
        : `| ${row.transport} | ${row.server} | ${fmt(row.median, 1)} (${fmt(row.range[0], 1)}–${fmt(row.range[1], 1)}) | ${row.ratio === undefined ? '' : `${row.ratio.toFixed(2)}×`} | ${f} |`,
    )
  }
  return lines.join('\n')
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const r = await runIdleBench({
    quick: process.argv.includes('--quick'),
    smoke: process.argv.includes('--smoke'),
    log: (s) => console.error(s),
  })
  console.log(formatIdleResult(r))
}
