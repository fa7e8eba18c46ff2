/**
 * Gateway benchmark: h2load through h2ts-gateway to a node:http2 upstream (bench/servers/node-hello.ts), in
 * the same run as h2load through a naive node:http2 proxy (bench/servers/node-proxy.ts), through HAProxy
 * (`proto h2` on both sides, one thread; skipped with a note when not installed) and straight to the
 * upstream.
 *
 *   pnpm bench --filter gateway          (or: npx tsx --conditions=@h2ts/source bench/gateway.bench.ts [--quick])
 *
 * Targets: ≥ 2× the naive proxy's requests/s; HAProxy is the long-run aim. Everything is cleartext, h2 with
 * prior knowledge on both hops. Shapes: `-c 1 -m 100`, `-c 10 -m 10`, `-c 100 -m 1` on 5-byte responses,
 * and 1 MiB responses with `-c 10 -m 1`. The machinery is the h2load bench's (h2load.bench.ts): each run
 * starts a fresh upstream and a fresh proxy, warms up (as many requests for every path), resets the proxy's
 * peak RSS, measures, reads that peak and the CPU time the proxy used, and stops both; paths alternate
 * (ABBA) over several rounds and the median run is reported; the request count of a shape is calibrated on
 * the naive proxy, whose req/s every ratio is against.
 *
 * These machines have two cores, and three programs (h2load, the proxy, the upstream) need them, so every
 * shape runs in two layouts (when pinned):
 * - `shared core`: the proxy and its upstream on CPU 0, h2load on CPU 1. A proxy's figure includes the
 *   upstream's cost: a proxy that cost nothing could not pass 1 ÷ (the upstream's CPU per request).
 * - `own core`: the proxy alone on CPU 0, as a proxy runs in production; h2load and the upstream share
 *   CPU 1, so a proxy fast enough to saturate that core is held back by it (its ratio is then a floor).
 * The CPU µs per request column (the proxy's own CPU time, user + system, over the measured run) is the
 * layout-independent figure.
 */
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  accepts,
  findCommand,
  freePort,
  makeTempDir,
  run,
  sleep,
  spawnDaemon,
} from '../test/support/peers.js'
import type { BenchOptions } from './common.js'
import {
  buildPackages,
  cpuCell,
  fmt,
  formatWarmups,
  type H2loadEnv,
  type H2loadServerResult,
  type H2loadShape,
  type H2loadTarget,
  hasWarmupTrails,
  measureShape,
  peakRssWords,
  requestsCell,
  runLevel,
  type StartedTarget,
  serverCmd,
  spread,
  startDaemon,
  warmupSentence,
} from './h2load.bench.js'

const benchDir = dirname(fileURLToPath(import.meta.url))
const repoRoot = join(benchDir, '..')

const MiB = 1 << 20
const shapes: H2loadShape[] = [
  { name: '-c 1 -m 100', tls: false, clients: 1, streams: 100 },
  { name: '-c 10 -m 10', tls: false, clients: 10, streams: 10 },
  { name: '-c 100 -m 1', tls: false, clients: 100, streams: 1 },
  { name: '1 MiB, -c 10 -m 1', tls: false, clients: 10, streams: 1, size: MiB },
]

const NODE_PROXY = 'node:http2 proxy'
const GATEWAY = 'h2ts-gateway'
const HAPROXY = 'HAProxy'
const DIRECT = 'direct to upstream'

/** Where the upstream runs: with the proxy on CPU 0, or with h2load on CPU 1 (see the file comment). */
export type GatewayLayout = 'shared core' | 'own core'
const LAYOUTS: readonly GatewayLayout[] = ['shared core', 'own core']
/** A shape's layout; older results, which predate layouts, all ran with the upstream on the proxy's core. */
const layoutOf = (s: { layout?: GatewayLayout }): GatewayLayout => s.layout ?? 'shared core'

/** The upstream of every path: node:http2, compiled and run by plain node (as in the h2load bench). */
async function startUpstream(shape: H2loadShape, env: H2loadEnv, layout: GatewayLayout) {
  const cmd = serverCmd('servers/node-hello.ts', '--port', '0')
  if (shape.size !== undefined) cmd.push('--size', String(shape.size))
  return startDaemon('upstream (node-hello)', cmd, env, undefined, layout === 'shared core' ? 0 : 1)
}

/** A path through a proxy: a fresh upstream, then the proxy in front of it; the proxy's RSS is measured. */
function proxied(
  name: string,
  layout: GatewayLayout,
  startFront: (upstreamPort: number, env: H2loadEnv) => Promise<StartedTarget>,
): H2loadTarget {
  return {
    name,
    async start(shape, env) {
      const upstream = await startUpstream(shape, env, layout)
      let front: StartedTarget
      try {
        front = await startFront(upstream.port, env)
      } catch (e) {
        await upstream.d.close()
        throw e
      }
      return {
        port: front.port,
        pid: front.pid,
        async close() {
          await front.close()
          await upstream.d.close()
        },
      }
    },
  }
}

function direct(layout: GatewayLayout): H2loadTarget {
  return {
    name: DIRECT,
    async start(shape, env) {
      const { d, port } = await startUpstream(shape, env, layout)
      return { port, pid: d.pid, close: () => d.close() }
    },
  }
}

async function startNodeProxy(upstreamPort: number, env: H2loadEnv): Promise<StartedTarget> {
  const upstream = `http://127.0.0.1:${upstreamPort}`
  const cmd = serverCmd('servers/node-proxy.ts', '--port', '0', '--upstream', upstream)
  const { d, port } = await startDaemon(NODE_PROXY, cmd, env)
  return { port, pid: d.pid, close: () => d.close() }
}

/** The gateway as users run it: its compiled binary (packages/gateway/dist/cli.js), access log off. */
async function startGateway(upstreamPort: number, env: H2loadEnv): Promise<StartedTarget> {
  const cli = join(repoRoot, 'packages/gateway/dist/cli.js')
  const upstream = `http://127.0.0.1:${upstreamPort}`
  const cmd = [process.execPath, cli, '--listen', '127.0.0.1:0', '--upstream', upstream, '--no-access-log']
  // The gateway logs (pino, JSON) `"urls":{"cleartext":"http://127.0.0.1:PORT"}` once it listens.
  const { d, port } = await startDaemon(GATEWAY, cmd, env, /"cleartext":"http:\/\/127\.0\.0\.1:(\d+)"/)
  return { port, pid: d.pid, close: () => d.close() }
}

/** HAProxy, one thread, h2 with prior knowledge in front (`proto h2`) and to the upstream. */
function haproxy(binary: string, dir: string, layout: GatewayLayout): H2loadTarget {
  let configs = 0
  return proxied(HAPROXY, layout, async (upstreamPort, env) => {
    const port = await freePort()
    const config = join(dir, `haproxy-${layout.replace(' ', '-')}-${++configs}.cfg`)
    writeFileSync(
      config,
      [
        'global',
        '  nbthread 1',
        // Enough for -c 100 and its upstream side; far below the 20k-descriptor limits seen in containers.
        '  maxconn 1000',
        'defaults',
        '  mode http',
        '  timeout connect 5s',
        '  timeout client 60s',
        '  timeout server 60s',
        'frontend fe',
        `  bind 127.0.0.1:${port} proto h2`,
        '  default_backend be',
        'backend be',
        `  server s 127.0.0.1:${upstreamPort} proto h2`,
        '',
      ].join('\n'),
    )
    // -db: stay in the foreground, one process (its pid is the one measured).
    const cmd = [binary, '-db', '-f', config]
    const d = env.pin
      ? spawnDaemon('taskset', ['-c', '0', ...cmd], { cwd: repoRoot })
      : spawnDaemon(cmd[0]!, cmd.slice(1), { cwd: repoRoot })
    const deadline = Date.now() + 10_000
    for (;;) {
      if (d.child.exitCode !== null || d.child.signalCode !== null || Date.now() > deadline) {
        await d.close()
        throw new Error(`HAProxy did not start: ${d.output().slice(-2000)}`)
      }
      if (await accepts(port)) return { port, pid: d.pid, close: () => d.close() }
      await sleep(20)
    }
  })
}

export interface GatewayBenchResult {
  h2load?: string
  /** Set when the benchmark could not run at all. */
  skipped?: string
  /** HAProxy's version line, or why it was not measured. */
  haproxy: { version?: string; skipped?: string }
  pinned: boolean
  rounds: number
  /**
   * Warm-up before each measured run: as many requests as the reference served in this many seconds
   * (absent in results from before it was recorded).
   */
  warmupSeconds?: number
  /** The peak RSS figures are each measured run's own (the high-water mark reset after the warm-up). */
  peakRssReset?: boolean
  reference: string
  shapes: Array<
    H2loadShape & {
      /** Where the upstream ran (absent in older results, which are all 'shared core'). */
      layout?: GatewayLayout
      requests: number
      /** Warm-up requests before each measured run (absent in older results). */
      warmup?: number
      /** `ratio` is against the naive proxy; `vsHaproxy` and `vsDirect` against those paths. */
      servers: Array<H2loadServerResult & { vsHaproxy?: number; vsDirect?: number }>
    }
  >
}

export async function runGatewayBench(opts: BenchOptions): Promise<GatewayBenchResult> {
  const log = opts.log ?? console.log
  const h2loadPath = findCommand('h2load')
  // The smoke run keeps to our paths; HAProxy is optional everywhere.
  const haproxyPath = opts.smoke ? undefined : findCommand('haproxy')
  const pin = findCommand('taskset') !== undefined && cpus().length >= 2
  const level = runLevel(opts)
  const result: GatewayBenchResult = {
    haproxy: {},
    pinned: pin,
    rounds: level.rounds,
    warmupSeconds: level.warmupSeconds,
    reference: NODE_PROXY,
    shapes: [],
  }
  if (h2loadPath === undefined) {
    result.skipped = 'h2load is not installed (apt-get install nghttp2-client)'
    log(`gateway: SKIPPED, ${result.skipped}`)
    return result
  }
  buildPackages(log, ['packages/gateway'])
  result.h2load = (await run(h2loadPath, ['--version'], { timeoutMs: 5000 })).stdout.toString().trim()
  if (haproxyPath === undefined) {
    result.haproxy.skipped = opts.smoke
      ? 'not in the smoke run'
      : 'haproxy is not installed (apt-get install haproxy)'
    log(`gateway: HAProxy NOT MEASURED, ${result.haproxy.skipped}`)
  } else {
    const v = spawnSync(haproxyPath, ['-v'], { encoding: 'utf8' })
    result.haproxy.version = v.stdout.split('\n')[0]?.trim() ?? 'HAProxy'
  }
  if (pin)
    log('gateway: layouts: shared core (proxy + upstream on CPU 0), own core (upstream on CPU 1 with h2load)')

  const tmp = makeTempDir('h2ts-gateway-bench-')
  try {
    const env: H2loadEnv = { h2load: h2loadPath, pin, log }
    // Without pinning there is no layout to choose: one pass.
    for (const layout of opts.smoke || !pin ? LAYOUTS.slice(0, 1) : LAYOUTS) {
      const targets = [proxied(NODE_PROXY, layout, startNodeProxy), proxied(GATEWAY, layout, startGateway)]
      if (haproxyPath !== undefined) targets.push(haproxy(haproxyPath, tmp.path, layout))
      targets.push(direct(layout))
      for (const shape of opts.smoke ? shapes.slice(0, 1) : shapes) {
        const label = `gateway h2c ${shape.name} (${layout})`
        const measured = await measureShape(targets, shape, env, { ...level, label })
        const against = (name: string) => measured.servers.find((s) => s.name === name)?.median?.reqPerSec
        const haproxyReqs = against(HAPROXY)
        const directReqs = against(DIRECT)
        const servers = measured.servers.map((s) => {
          const r: GatewayBenchResult['shapes'][number]['servers'][number] = { ...s }
          if (s.median && haproxyReqs) r.vsHaproxy = s.median.reqPerSec / haproxyReqs
          if (s.median && directReqs) r.vsDirect = s.median.reqPerSec / directReqs
          return r
        })
        result.shapes.push({
          ...shape,
          layout,
          requests: measured.requests,
          warmup: measured.warmup,
          servers,
        })
      }
    }
    result.peakRssReset = env.peakRssReset === true
  } finally {
    await tmp.cleanup()
  }
  return result
}

const ratio = (x: number | undefined) => (x === undefined ? '' : `${x.toFixed(2)}×`)
/** An error on one line (a daemon's output spans several), for a table cell or a list item. */
const oneLine = (s: string | undefined) => (s ?? '').replace(/\s+/g, ' ').trim()

/** What each layout means, for the report. */
const LAYOUT_WORDS: Record<GatewayLayout, string> = {
  'shared core':
    'the proxy and its upstream share CPU 0 (so a proxy’s req/s includes the upstream’s cost), h2load on CPU 1',
  'own core':
    'the proxy alone on CPU 0, the upstream and h2load on CPU 1 (a proxy that saturates CPU 1 is held back by it)',
}

export function formatGatewayResult(r: GatewayBenchResult): string {
  if (r.skipped !== undefined) return `Skipped: ${r.skipped}.`
  const trails = hasWarmupTrails(r.shapes)
  const lines = [
    `${r.h2load ?? 'h2load'} → proxy → node:http2 upstream (bench/servers/node-hello.ts), h2c on both hops;` +
      ` median of ${r.rounds} alternating runs per path, a fresh proxy and upstream per run${warmupSentence(r.warmupSeconds, trails)}` +
      `${r.pinned ? '' : ' (not pinned to CPUs)'}.` +
      ` HAProxy: ${r.haproxy.version ?? `not measured, ${r.haproxy.skipped}`}` +
      `${r.haproxy.version === undefined ? '' : ', nbthread 1, proto h2 both sides'}.` +
      ` RSS is the peak (${peakRssWords(r.peakRssReset)}) of the process h2load talks to (the upstream’s for the direct path);` +
      ' CPU µs/req is that process’s CPU time (user + system) in the measured run per request.' +
      ` Target: h2ts-gateway ≥ 2× ${r.reference}.`,
  ]
  const layouts = [...new Set(r.shapes.map(layoutOf))]
  for (const layout of layouts) {
    lines.push(
      '',
      r.pinned ? `**${layout}**: ${LAYOUT_WORDS[layout]}.` : `**not pinned**`,
      '',
      `| shape | requests | path | req/s (min–max) | MB/s | peak RSS MiB | CPU µs/req | req/s ÷ ${r.reference} | CPU ÷ ${r.reference} | ÷ HAProxy | ÷ direct | failed runs |`,
      '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    )
    for (const s of r.shapes) {
      if (layoutOf(s) !== layout) continue
      const referenceCpu = s.servers.find((v) => v.name === r.reference)?.median?.cpuUsPerRequest
      for (const v of s.servers) {
        const m = v.median
        const failed = v.failedRuns > 0 ? `${v.failedRuns}/${v.runs.length}` : '0'
        // A cost, so the reference's over this one: 2× means half the CPU per request. The direct path's CPU
        // is the upstream's, not a proxy's: no ratio.
        const cpuRatio =
          m === undefined || v.name === DIRECT || referenceCpu === undefined
            ? undefined
            : referenceCpu / m.cpuUsPerRequest
        lines.push(
          m === undefined
            ? `| ${s.name} | ${requestsCell(s)} | ${v.name} | FAILED | | | | | | | | ${failed}: ${oneLine(v.runs.find((x) => !x.ok)?.error)} |`
            : `| ${s.name} | ${requestsCell(s)} | ${v.name} | ${fmt(m.reqPerSec)}${spread(v.range)} | ${fmt(m.mbPerSec, 1)} | ${fmt(m.peakRssMiB, 0)} | ${cpuCell(m.cpuUsPerRequest)} | ${ratio(v.ratio)} | ${cpuRatio !== undefined && Number.isFinite(cpuRatio) ? ratio(cpuRatio) : ''} | ${ratio(v.vsHaproxy)} | ${ratio(v.vsDirect)} | ${failed} |`,
        )
      }
    }
  }
  if (trails)
    lines.push(
      '',
      'Warm-up (CPU µs/req of the process measured: the proxy, or the upstream for the direct path):',
      '',
      ...formatWarmups(r.shapes, (s) => `${s.name} (${layoutOf(s)})`),
    )
  const failures = new Set<string>()
  for (const s of r.shapes)
    for (const v of s.servers)
      for (const run of v.runs)
        if (!run.ok) failures.add(`${s.name} (${layoutOf(s)}), ${v.name}: ${oneLine(run.error)}`)
  if (failures.size > 0) lines.push('', 'Failed runs:', '', ...[...failures].map((f) => `- ${f}`))
  return lines.join('\n')
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const r = await runGatewayBench({ quick: process.argv.includes('--quick'), log: (s) => console.error(s) })
  console.log(formatGatewayResult(r))
}
