/**
 * The `api` benchmark: N = 1, 10, 100, 1,000 concurrent chat completions, streamed and not, sent by the
 * `openai` npm client, over two paths with TLS on every hop:
 *
 *   HTTP/1.1 direct   client ──HTTP/1.1 + TLS──▶ mock upstream (bench/servers/openai-mock.ts --protocol http1)
 *   via gateway       client ──HTTP/1.1 + TLS──▶ h2ts-gateway ──one HTTP/2 + TLS connection──▶ the demo's
 *                     mock upstream (startMockUpstream, --protocol h2)
 *
 *   pnpm bench --filter api          (or: npx tsx --conditions=@h2ts/source bench/api.bench.ts [--quick])
 *
 * The client is what most applications run: the openai client on Node's fetch, which speaks HTTP/1.1 and
 * opens one connection per request in flight. The question is the seed's claim: does carrying those
 * requests as streams of one multiplexed HTTP/2 connection (through the gateway, next to the client) beat
 * sending them straight to the upstream over HTTP/1.1? On loopback a handshake costs CPU only, no round
 * trips, so this is the least favourable setting for the gateway: it adds a hop, and the client still makes
 * its N TLS handshakes (to the gateway instead of the upstream). What the gateway saves is on the upstream's
 * side: its connections, handshakes and header bytes.
 *
 * Each measured batch runs in a fresh client process (bench/servers/openai-client.ts). It first warms up
 * against `localhost` (another origin, so fetch's pool for the measured `127.0.0.1` stays empty), then the
 * servers' counters are read, then the N requests go at once. The servers stay up for the whole part, so
 * the gateway's upstream connection is opened once (by the first warm-up) and reused, as a running gateway
 * does. Paths alternate (ABBA) over the rounds; figures are medians, the total time with its min–max.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Daemon, makeTempDir, selfSignedCert, sleep, writeCertFiles } from '../test/support/peers.js'
import type { BenchOptions } from './common.js'
import { median } from './common.js'
import { buildPackages, fmt, type H2loadEnv, serverCmd, startDaemon } from './h2load.bench.js'

const benchDir = dirname(fileURLToPath(import.meta.url))
const repoRoot = join(benchDir, '..')

export const DIRECT = 'HTTP/1.1 direct'
export const GATEWAY = 'via gateway (HTTP/2)'

export interface ApiRun {
  ok: boolean
  error?: string
  totalMs: number
  p50Ms: number
  p99Ms: number
  /** Streaming only: time to the first token, p50. */
  firstTokenP50Ms?: number
  /** Connections (each a TLS handshake) the client opened. */
  clientConnections: number
  /** Connections the upstream accepted during the batch (each a TLS handshake; `resumed` of them abbreviated). */
  upstreamConnections: number
  upstreamResumed: number
  /** Connections open at the upstream at the end of the batch, the warm-up's included. */
  upstreamOpen: number
  cpuMs: { client: number; gateway?: number; upstream: number; total: number }
  /** Bytes read + written on sockets: by the client (its hop), and by the upstream (the last hop). */
  bytes: { client: number; upstream: number }
  /** Header bytes: on the client's hop (HTTP/1.1 text), and on the upstream's hop as sent and uncompressed. */
  headerBytes: { client: number; upstreamWire: number; upstreamUncompressed: number }
}

export interface ApiRow {
  n: number
  stream: boolean
  path: string
  runs: ApiRun[]
  failedRuns: number
  /** Medians of the successful runs (absent when none succeeded); `totalMsRange` is their min and max. */
  median?: Omit<ApiRun, 'ok' | 'error'>
  totalMsRange?: [number, number]
}

export interface ApiBenchResult {
  rounds: number
  tokenInterval: number
  counts: number[]
  rows: ApiRow[]
}

interface MockStats {
  connections: number
  resumed: number
  open: number
  requests: number
  cpuUs: number
  headerBytes: { wire: number; uncompressed: number }
}

/** Asks a mock for its counters (SIGUSR2 → one `stats <json>` line) and waits for the answer. */
async function mockStats(d: Daemon): Promise<MockStats> {
  const count = () => d.output().split('\nstats ').length
  const before = count()
  process.kill(d.pid, 'SIGUSR2')
  const deadline = Date.now() + 5000
  while (count() === before) {
    if (Date.now() > deadline) throw new Error(`the mock did not report its stats: ${d.output().slice(-500)}`)
    await sleep(5)
  }
  const lines = d.output().split('\n')
  const last = lines.filter((l) => l.startsWith('stats ')).at(-1)!
  return JSON.parse(last.slice('stats '.length)) as MockStats
}

/** Socket (and pipe) bytes a process read + wrote so far, from /proc/<pid>/io. */
function procIoBytes(pid: number): number {
  const text = readFileSync(`/proc/${pid}/io`, 'utf8')
  return Number(/rchar: (\d+)/.exec(text)?.[1]) + Number(/wchar: (\d+)/.exec(text)?.[1])
}

/** CPU time (user + system) of a process so far, ms, from /proc/<pid>/stat (clock ticks of 10 ms). */
function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

interface ClientReport {
  totalMs: number
  latencies: number[]
  firstTokenMs: number[]
  failed: number
  error?: string
  cpuUs: number
  bytes: { read: number; written: number }
  connections: number
  headerBytes: number
}

/**
 * Runs one client process: waits for its `ready` (warm-up done), calls `before`, says go, waits for its
 * `done <json>`, calls `after` at once, lets it exit, and returns the report. Killed after `timeoutMs`.
 */
function runClient(
  args: string[],
  env: NodeJS.ProcessEnv,
  hooks: { before(): Promise<void>; after(): Promise<void> },
  timeoutMs: number,
): Promise<ClientReport> {
  const [node, ...argv] = serverCmd('servers/openai-client.ts', ...args)
  const child: ChildProcess = spawn(node!, argv, {
    cwd: benchDir,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  return new Promise<ClientReport>((resolvePromise, reject) => {
    let settled = false
    const fail = (e: Error) => {
      if (settled) return
      settled = true
      child.kill('SIGKILL')
      reject(e)
    }
    const timer = setTimeout(() => fail(new Error(`client timed out after ${timeoutMs} ms`)), timeoutMs)
    child.stderr?.on('data', (b: Buffer) => {
      err = (err + b.toString('utf8')).slice(-4000)
    })
    let said = false
    let report: ClientReport | undefined
    child.once('error', fail)
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString('utf8')
      if (!said && /^ready$/m.test(out)) {
        said = true
        hooks.before().then(() => child.stdin?.write('go\n'), fail)
      }
      const done = /^done (.*)\n/m.exec(out)
      if (done && report === undefined) {
        report = JSON.parse(done[1]!) as ClientReport
        hooks.after().then(() => child.stdin?.write('exit\n'), fail)
      }
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      if (report !== undefined && !settled) {
        settled = true
        resolvePromise(report)
      }
      fail(new Error(`client exited (${code ?? signal}) before reporting: ${err.trim().slice(-1500)}`))
    })
  })
}

const percentile = (xs: number[], p: number) => {
  if (xs.length === 0) return Number.NaN
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

export async function runApiBench(opts: BenchOptions): Promise<ApiBenchResult> {
  const log = opts.log ?? console.log
  buildPackages(log, ['packages/gateway'])
  const counts = opts.smoke ? [1, 10] : [1, 10, 100, 1000]
  const rounds = opts.rounds ?? (opts.smoke || opts.quick ? 1 : 3)
  const tokenInterval = 5
  const result: ApiBenchResult = { rounds, tokenInterval, counts, rows: [] }

  const tmp = makeTempDir('h2ts-api-bench-')
  const daemons: Daemon[] = []
  try {
    const { certFile, keyFile } = await writeCertFiles(tmp.path, await selfSignedCert())
    const env: H2loadEnv = { h2load: '', pin: false, log }
    const mockCmd = (protocol: string) =>
      serverCmd(
        'servers/openai-mock.ts',
        '--protocol',
        protocol,
        '--cert',
        certFile,
        '--key',
        keyFile,
        '--token-interval',
        String(tokenInterval),
      )
    const h1 = await startDaemon('HTTP/1.1 mock', mockCmd('http1'), env)
    daemons.push(h1.d)
    const h2 = await startDaemon('HTTP/2 mock', mockCmd('h2'), env)
    daemons.push(h2.d)
    // The gateway as users run it (its compiled binary), TLS in front, one HTTP/2 connection upstream.
    const config = join(tmp.path, 'gateway.json')
    writeFileSync(
      config,
      JSON.stringify({
        listen: '127.0.0.1:0',
        tls: { listen: '127.0.0.1:0', cert: certFile, key: keyFile },
        accessLog: false,
        upstreams: { mock: { url: `https://127.0.0.1:${h2.port}`, ca: certFile, maxConnections: 1 } },
        routes: [{ prefix: '/', upstream: 'mock' }],
      }),
    )
    const gw = await startDaemon(
      'h2ts-gateway',
      [process.execPath, join(repoRoot, 'packages/gateway/dist/cli.js'), '--config', config],
      env,
      /"tls":"https:\/\/127\.0\.0\.1:(\d+)"/,
    )
    daemons.push(gw.d)
    log('api: HTTP/1.1 mock, HTTP/2 mock and h2ts-gateway started')

    const paths = [
      { name: DIRECT, port: h1.port, upstream: h1.d, gateway: undefined },
      { name: GATEWAY, port: gw.port, upstream: h2.d, gateway: gw.d },
    ]
    const clientEnv = { ...process.env, NODE_EXTRA_CA_CERTS: certFile }
    for (const stream of [false, true]) {
      for (const n of counts) {
        const rows = paths.map((p): ApiRow => ({ n, stream, path: p.name, runs: [], failedRuns: 0 }))
        for (let round = 0; round < rounds; round++) {
          const order = round % 2 === 0 ? [0, 1] : [1, 0]
          for (const i of order) {
            const path = paths[i]!
            const warmup = Math.min(n, opts.smoke ? 2 : opts.quick ? 20 : 100)
            let s0: MockStats | undefined
            let s1: MockStats | undefined
            let io0 = 0
            let io1 = 0
            let g0 = 0
            let g1 = 0
            const args = [
              '--url',
              `https://127.0.0.1:${path.port}/v1`,
              '--n',
              String(n),
              '--warmup-url',
              `https://localhost:${path.port}/v1`,
              '--warmup',
              String(warmup),
            ]
            if (stream) args.push('--stream')
            let run: ApiRun
            try {
              const report = await runClient(
                args,
                clientEnv,
                {
                  async before() {
                    s0 = await mockStats(path.upstream)
                    io0 = procIoBytes(path.upstream.pid)
                    if (path.gateway) g0 = procCpuMs(path.gateway.pid)
                  },
                  async after() {
                    io1 = procIoBytes(path.upstream.pid)
                    if (path.gateway) g1 = procCpuMs(path.gateway.pid)
                    s1 = await mockStats(path.upstream)
                  },
                },
                60_000 + n * 100,
              )
              const a = s0!
              const b = s1!
              const cpu = {
                client: report.cpuUs / 1000,
                upstream: (b.cpuUs - a.cpuUs) / 1000,
                ...(path.gateway ? { gateway: g1 - g0 } : {}),
              }
              run = {
                ok: report.failed === 0 && b.requests - a.requests === n,
                totalMs: report.totalMs,
                p50Ms: percentile(report.latencies, 50),
                p99Ms: percentile(report.latencies, 99),
                clientConnections: report.connections,
                upstreamConnections: b.connections - a.connections,
                upstreamResumed: b.resumed - a.resumed,
                upstreamOpen: b.open,
                cpuMs: { ...cpu, total: cpu.client + cpu.upstream + (cpu.gateway ?? 0) },
                bytes: { client: report.bytes.read + report.bytes.written, upstream: io1 - io0 },
                headerBytes: {
                  client: report.headerBytes,
                  upstreamWire: b.headerBytes.wire - a.headerBytes.wire,
                  upstreamUncompressed: b.headerBytes.uncompressed - a.headerBytes.uncompressed,
                },
              }
              if (stream) run.firstTokenP50Ms = percentile(report.firstTokenMs, 50)
              if (!run.ok)
                run.error =
                  report.failed > 0
                    ? `${report.failed}/${n} failed: ${report.error}`
                    : `the upstream saw ${b.requests - a.requests} requests, not ${n}`
            } catch (e) {
              run = failedRun(e instanceof Error ? e.message : String(e))
            }
            rows[i]!.runs.push(run)
            log(
              `api ${stream ? 'streaming' : 'non-streaming'} N=${n} ${path.name} round ${round + 1}/${rounds}: ` +
                (run.ok
                  ? `${fmt(run.totalMs)} ms, p99 ${fmt(run.p99Ms)} ms, ${run.upstreamConnections} upstream handshakes, CPU ${fmt(run.cpuMs.total)} ms`
                  : `FAILED ${run.error}`),
            )
          }
        }
        for (const row of rows) summarize(row)
        result.rows.push(...rows)
      }
    }
  } finally {
    for (const d of daemons.reverse()) await d.close()
    await tmp.cleanup()
  }
  return result
}

function failedRun(error: string): ApiRun {
  return {
    ok: false,
    error,
    totalMs: 0,
    p50Ms: 0,
    p99Ms: 0,
    clientConnections: 0,
    upstreamConnections: 0,
    upstreamResumed: 0,
    upstreamOpen: 0,
    cpuMs: { client: 0, upstream: 0, total: 0 },
    bytes: { client: 0, upstream: 0 },
    headerBytes: { client: 0, upstreamWire: 0, upstreamUncompressed: 0 },
  }
}

function summarize(row: ApiRow): void {
  const ok = row.runs.filter((r) => r.ok)
  row.failedRuns = row.runs.length - ok.length
  if (ok.length === 0) return
  const m = (f: (r: ApiRun) => number) => median(ok.map(f))
  const gateway = ok.every((r) => r.cpuMs.gateway !== undefined)
  const totals = ok.map((r) => r.totalMs)
  row.totalMsRange = [Math.min(...totals), Math.max(...totals)]
  row.median = {
    totalMs: m((r) => r.totalMs),
    p50Ms: m((r) => r.p50Ms),
    p99Ms: m((r) => r.p99Ms),
    ...(row.stream ? { firstTokenP50Ms: m((r) => r.firstTokenP50Ms ?? Number.NaN) } : {}),
    clientConnections: m((r) => r.clientConnections),
    upstreamConnections: m((r) => r.upstreamConnections),
    upstreamResumed: m((r) => r.upstreamResumed),
    upstreamOpen: m((r) => r.upstreamOpen),
    cpuMs: {
      client: m((r) => r.cpuMs.client),
      ...(gateway ? { gateway: m((r) => r.cpuMs.gateway!) } : {}),
      upstream: m((r) => r.cpuMs.upstream),
      total: m((r) => r.cpuMs.total),
    },
    bytes: { client: m((r) => r.bytes.client), upstream: m((r) => r.bytes.upstream) },
    headerBytes: {
      client: m((r) => r.headerBytes.client),
      upstreamWire: m((r) => r.headerBytes.upstreamWire),
      upstreamUncompressed: m((r) => r.headerBytes.upstreamUncompressed),
    },
  }
}

const kb = (bytes: number) => fmt(bytes / 1000, bytes < 10_000 ? 1 : 0)

/** Who wins a comparison where less is better; ties within 5% are called even. */
function winner(direct: number, gateway: number): string {
  if (!Number.isFinite(direct) || !Number.isFinite(gateway)) return ''
  const hi = Math.max(direct, gateway)
  if (hi === 0 || Math.abs(direct - gateway) / hi < 0.05) return 'even'
  return direct < gateway ? 'HTTP/1.1' : 'gateway'
}

export function formatApiResult(r: ApiBenchResult): string {
  const lines = [
    `The openai client (Node fetch, HTTP/1.1) sends N chat completions at once; TLS on every hop; the mock's` +
      ` tokens come every ${r.tokenInterval} ms. ${DIRECT}: client → mock upstream over HTTP/1.1.` +
      ` ${GATEWAY}: client → h2ts-gateway over HTTP/1.1 on loopback → one HTTP/2 connection → the demo's mock.` +
      ` Median of ${r.rounds} alternating run${r.rounds === 1 ? '' : 's'} (total time: min–max);` +
      ' a fresh client process per run, warmed up on another origin first. CPU is user + system time of each' +
      ' process during the batch (the gateway’s from /proc, 10 ms ticks). Bytes are what the processes read' +
      ' and wrote on their sockets (TLS records, handshakes included). Header bytes: HTTP/1.1 heads as text;' +
      ' on the HTTP/2 hop as HPACK blocks, and in brackets their uncompressed RFC 7541 size (name + value +' +
      ' 32 per field).' +
      ' The two upstreams are different servers (HTTP/1.1: node:https; HTTP/2: ours) sending the same replies' +
      ' at the same pace, so their CPU compares the protocols and the servers together. Client connections are' +
      ' TLS handshakes on both paths (to the upstream, or to the gateway); "upstream handshakes" counts those the' +
      ' upstream made during the batch, with its open connections in brackets.',
    '',
    '| mode | N | path | total ms (min–max) | p50 ms | p99 ms | client conns | upstream handshakes (open) | CPU ms client / gateway / upstream = total | KB client hop | KB at upstream | header KB client hop | header KB at upstream |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ]
  for (const row of r.rows) {
    const mode = row.stream ? 'stream' : 'JSON'
    const m = row.median
    if (m === undefined || row.totalMsRange === undefined) {
      const err = (row.runs.find((x) => !x.ok)?.error ?? '').replace(/\s+/g, ' ').replace(/\|/g, '/')
      lines.push(`| ${mode} | ${fmt(row.n)} | ${row.path} | FAILED: ${err} | | | | | | | | | |`)
      continue
    }
    const cpu = `${fmt(m.cpuMs.client)} / ${m.cpuMs.gateway === undefined ? '–' : fmt(m.cpuMs.gateway)} / ${fmt(m.cpuMs.upstream)} = ${fmt(m.cpuMs.total)}`
    const upHeaders =
      m.headerBytes.upstreamWire === m.headerBytes.upstreamUncompressed
        ? kb(m.headerBytes.upstreamWire)
        : `${kb(m.headerBytes.upstreamWire)} (${kb(m.headerBytes.upstreamUncompressed)})`
    lines.push(
      `| ${mode} | ${fmt(row.n)} | ${row.path} | ${fmt(m.totalMs)} (${fmt(row.totalMsRange[0])}–${fmt(row.totalMsRange[1])}) | ${fmt(m.p50Ms, 1)} | ${fmt(m.p99Ms, 1)} | ${fmt(m.clientConnections)} | ${fmt(m.upstreamConnections)} (${fmt(m.upstreamOpen)}) | ${cpu} | ${kb(m.bytes.client)} | ${kb(m.bytes.upstream)} | ${kb(m.headerBytes.client)} | ${upHeaders} |`,
    )
  }
  // Who wins each row, said plainly.
  lines.push(
    '',
    'Who wins (less is better; within 5% is called even):',
    '',
    '| mode | N | total time | p99 latency | CPU, all processes | upstream handshakes | bytes at the upstream | header bytes at the upstream |',
    '|---|---:|---|---|---|---|---|---|',
  )
  for (const stream of [false, true]) {
    for (const n of r.counts) {
      const d = r.rows.find((x) => x.stream === stream && x.n === n && x.path === DIRECT)?.median
      const g = r.rows.find((x) => x.stream === stream && x.n === n && x.path === GATEWAY)?.median
      if (d === undefined || g === undefined) continue
      lines.push(
        `| ${stream ? 'stream' : 'JSON'} | ${fmt(n)} | ${winner(d.totalMs, g.totalMs)} | ${winner(d.p99Ms, g.p99Ms)} | ${winner(d.cpuMs.total, g.cpuMs.total)} | ${winner(d.upstreamConnections, g.upstreamConnections)} | ${winner(d.bytes.upstream, g.bytes.upstream)} | ${winner(d.headerBytes.upstreamWire, g.headerBytes.upstreamWire)} |`,
      )
    }
  }
  const failures = new Set<string>()
  for (const row of r.rows)
    for (const run of row.runs)
      if (!run.ok) failures.add(`${row.stream ? 'stream' : 'JSON'} N=${row.n} ${row.path}: ${run.error}`)
  if (failures.size > 0) lines.push('', 'Failed runs:', '', ...[...failures].map((f) => `- ${f}`))
  return lines.join('\n')
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const r = await runApiBench({
    quick: process.argv.includes('--quick'),
    smoke: process.argv.includes('--smoke'),
    log: (s) => console.error(s),
  })
  console.log(formatApiResult(r))
}
