/**
 * h2load benchmark: nghttp2's load generator against small "hello" servers, one per implementation, each
 * started fresh for every run (so its peak RSS belongs to that run).
 *
 *   pnpm bench --filter h2load                 (or: npx tsx --conditions=@h2ts/source bench/h2load.bench.ts [--quick])
 *
 * Shapes: `-c 1 -m 100`, `-c 10 -m 10`, `-c 100 -m 1` on 5-byte responses, and 1 MiB responses with
 * `-c 10 -m 1`, each over cleartext h2 (prior knowledge) and TLS (ALPN h2). The request count of a shape is
 * calibrated on the first server so that one run takes about 3 s (0.6 s with --quick), and is the same for
 * every server. Each run: start the server, warm it up (h2load runs of as many requests as the first server
 * serves in 2 s, 1 s with --quick, at least WARMUP_FLOOR, until its CPU time per request stops falling:
 * see warmUp), reset its peak RSS (Linux clear_refs), the measured h2load, read the server's VmHWM, stop
 * it. Servers alternate (ABBA) over several rounds and the median run is reported. The server runs on CPU 0 and h2load on CPU 1 (`taskset`) when both exist. A
 * run with any failed, errored or timed-out request, a non-2xx status or a protocol other than h2 is
 * reported as failed, never as a speed.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  type Daemon,
  findCommand,
  makeTempDir,
  run,
  selfSignedCert,
  sleep,
  spawnDaemon,
  writeCertFiles,
} from '../test/support/peers.js'
import { type BenchOptions, median } from './common.js'
import { nativeServers } from './native-servers.js'

const benchDir = dirname(fileURLToPath(import.meta.url))
const repoRoot = join(benchDir, '..')

/** A server under benchmark: a script of bench/ taking `--port N [--size N] [--tls --cert F --key F]`. */
export interface H2loadServer {
  name: string
  /** Run compiled (serverCmd); an entry whose script does not exist is skipped. */
  script: string
}

const CORE_PROJECTS = [
  'packages/hpack',
  'packages/frames',
  'packages/streams/tsconfig.build.json',
  'bench/tsconfig.servers.json',
]
/** Projects built by this process already. */
const built = new Set<string>()

/**
 * Everything is measured as users run it: compiled to JavaScript and started by plain `node`, our packages
 * (dist/) and the benchmark servers alike (bench/dist/servers, built by buildPackages). A TypeScript loader
 * such as tsx costs every server ~28 MiB of RSS (its loader thread), and ours more than node:http2's, since
 * each of our modules goes through it and node:http2 is built in.
 */
export function serverCmd(script: string, ...args: string[]): string[] {
  return [process.execPath, join(benchDir, 'dist', script.replace(/\.ts$/, '.js')), ...args]
}

/** Builds the packages and the benchmark servers (once per process). `extra` adds projects (the gateway's). */
export function buildPackages(log: (s: string) => void, extra: readonly string[] = []): void {
  const tsc = join(repoRoot, 'node_modules', '.bin', 'tsc')
  // Once per process: the parts of one suite run share the build.
  const todo = [...CORE_PROJECTS, ...extra].filter((p) => !built.has(p))
  if (todo.length === 0) return
  for (const project of todo) {
    const r = spawnSync(tsc, ['-p', join(repoRoot, project)], { stdio: 'inherit' })
    if (r.status !== 0) throw new Error(`building ${project} failed`)
    built.add(project)
  }
  log(`built ${todo.map((p) => p.replace(/\/tsconfig.*$/, '')).join(', ')} (dist/)`)
}

/** The first entry is the reference: it calibrates the request counts and every ratio is against it. */
export const servers: H2loadServer[] = [
  { name: 'node:http2', script: 'servers/node-hello.ts' },
  { name: 'h2ts', script: 'servers/h2ts-hello.ts' },
]

export interface H2loadShape {
  name: string
  tls: boolean
  clients: number
  streams: number
  /** Response body bytes (`--size`); undefined for the 5-byte `hello`. */
  size?: number
}

const MiB = 1 << 20
const shapes: H2loadShape[] = [false, true].flatMap((tls) => [
  { name: '-c 1 -m 100', tls, clients: 1, streams: 100 },
  { name: '-c 10 -m 10', tls, clients: 10, streams: 10 },
  { name: '-c 100 -m 1', tls, clients: 100, streams: 1 },
  { name: '1 MiB, -c 10 -m 1', tls, clients: 10, streams: 1, size: MiB },
])

export interface H2loadRun {
  ok: boolean
  /** Why the run does not count, when it failed. */
  error?: string
  reqPerSec: number
  /** Total bytes on the wire (h2load's `traffic` total) per second, in 10^6 bytes. */
  mbPerSec: number
  seconds: number
  requests: { total: number; succeeded: number; failed: number; errored: number; timeout: number }
  status2xx: number
  protocol: string
  /** The server's VmHWM at the end of the run, KiB. */
  peakRssKiB: number
  /**
   * CPU time (user + system) the measured process used during the run, per request, in µs: what one
   * request costs it, whatever else shares its core (NaN where /proc cannot tell).
   */
  cpuUsPerRequest: number
  /** The server's CPU µs per request in each warm-up run, in order (absent in older results). */
  warmupCpuUs?: number[]
}

export interface H2loadServerResult {
  name: string
  runs: H2loadRun[]
  failedRuns: number
  /** Medians over the successful runs; absent when none succeeded. */
  median?: { reqPerSec: number; mbPerSec: number; peakRssMiB: number; cpuUsPerRequest: number }
  /** The spread of req/s over the successful runs: [min, max]. */
  range?: [number, number]
  /** median req/s ÷ the reference server's median req/s. */
  ratio?: number
}

export interface H2loadBenchResult {
  h2load?: string
  /** Set when the benchmark could not run at all. */
  skipped?: string
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
  /** Servers not measured and why (no script yet, not installed). */
  missing: string[]
  /** Version lines of the native servers measured. */
  versions?: Record<string, string>
  shapes: Array<
    H2loadShape & {
      transport: string
      requests: number
      /** Warm-up requests before each measured run (absent in older results). */
      warmup?: number
      servers: H2loadServerResult[]
    }
  >
}

/** Parses h2load's summary. Exported for tests. */
export function parseH2loadOutput(
  out: string,
): Omit<H2loadRun, 'ok' | 'peakRssKiB' | 'cpuUsPerRequest' | 'error'> {
  const fin = /finished in ([\d.]+)(us|ms|s), ([\d.]+) req\/s/.exec(out)
  const req =
    /requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(
      out,
    )
  const status = /status codes: (\d+) 2xx/.exec(out)
  const traffic = /traffic: \S+ \((\d+)\) total/.exec(out)
  const proto = /Application protocol: (\S+)/.exec(out)
  if (!fin || !req || !status || !traffic) throw new Error(`cannot parse h2load output:\n${out.slice(-2000)}`)
  const unit = { us: 1e-6, ms: 1e-3, s: 1 }[fin[2] as 'us' | 'ms' | 's']
  const seconds = Number(fin[1]) * unit
  return {
    reqPerSec: Number(fin[3]),
    mbPerSec: seconds > 0 ? Number(traffic[1]) / seconds / 1e6 : 0,
    seconds,
    requests: {
      total: Number(req[1]),
      succeeded: Number(req[2]),
      failed: Number(req[3]),
      errored: Number(req[4]),
      timeout: Number(req[5]),
    },
    status2xx: Number(status[1]),
    protocol: proto?.[1] ?? 'none',
  }
}

function peakRssKiB(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) : Number.NaN
  } catch {
    return Number.NaN
  }
}

/** Clock ticks per second, the unit of the CPU times in /proc/PID/stat (USER_HZ; 100 nearly everywhere). */
let clockTicks: number | undefined
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })
    const n = Number(r.stdout?.trim())
    clockTicks = Number.isInteger(n) && n > 0 ? n : 100
  }
  return clockTicks
}

/** CPU time the process has used so far (user + system, its threads included), in µs; NaN if unknown. */
function cpuTimeUs(pid: number): number {
  try {
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // utime and stime are fields 14 and 15, so 11 and 12 after the state (field 3).
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / ticksPerSecond()
  } catch {
    return Number.NaN
  }
}

export interface H2loadEnv {
  h2load: string
  /** Servers on CPU 0, h2load on CPU 1. */
  pin: boolean
  /** Certificate and key files for TLS shapes. */
  tls?: { certFile: string; keyFile: string }
  log: (s: string) => void
  /** Set by the runs: whether every peak RSS read was the measured run's (see resetPeakRss). */
  peakRssReset?: boolean
}

/** What `H2loadTarget.start` returns: the port h2load connects to, the process whose peak RSS is read. */
export interface StartedTarget {
  port: number
  /** The path h2load requests (default `/`): file servers serve a named file. */
  path?: string
  pid: number
  close(): Promise<void>
}

/** Something h2load runs against: started fresh for each run of a shape. */
export interface H2loadTarget {
  name: string
  start(shape: H2loadShape, env: H2loadEnv): Promise<StartedTarget>
}

/**
 * Spawns a server (on CPU `cpu` when pinning) and waits until its output matches `ready`, whose first group
 * is the port it listens on. Failing to start within 20 s (or exiting first) is an error carrying its output.
 */
export async function startDaemon(
  name: string,
  cmd: readonly string[],
  env: H2loadEnv,
  ready: RegExp = /^listening on (\d+)$/m,
  cpu = 0,
): Promise<{ d: Daemon; port: number }> {
  const d = env.pin
    ? spawnDaemon('taskset', ['-c', String(cpu), ...cmd], { cwd: repoRoot })
    : spawnDaemon(cmd[0]!, cmd.slice(1), { cwd: repoRoot })
  const t0 = Date.now()
  const deadline = t0 + 20_000
  for (;;) {
    const m = ready.exec(d.output())
    if (m) return { d, port: Number(m[1]) }
    if (d.child.exitCode !== null || d.child.signalCode !== null || Date.now() > deadline) {
      const how = `exit ${d.child.exitCode ?? '-'}, signal ${d.child.signalCode ?? '-'}`
      await d.close()
      throw new Error(`${name} did not start (${how}, ${Date.now() - t0} ms): ${d.output().slice(-2000)}`)
    }
    await sleep(20)
  }
}

/** A hello server as a target: `--port 0`, plus `--size` and TLS flags as the shape asks. */
function helloTarget(server: H2loadServer): H2loadTarget {
  return {
    name: server.name,
    async start(shape, env) {
      const cmd = serverCmd(server.script, '--port', '0')
      if (shape.size !== undefined) cmd.push('--size', String(shape.size))
      if (shape.tls) {
        if (env.tls === undefined) throw new Error('a TLS shape needs env.tls')
        cmd.push('--tls', '--cert', env.tls.certFile, '--key', env.tls.keyFile)
      }
      const { d, port } = await startDaemon(server.name, cmd, env)
      return { port, pid: d.pid, close: () => d.close() }
    },
  }
}

async function h2load(
  env: H2loadEnv,
  shape: H2loadShape,
  port: number,
  n: number,
  path = '/',
): Promise<H2loadRun> {
  const url = `${shape.tls ? 'https' : 'http'}://127.0.0.1:${port}${path}`
  const args = ['-n', String(n), '-c', String(shape.clients), '-m', String(shape.streams), '-t', '1', url]
  const r = env.pin
    ? await run('taskset', ['-c', '1', env.h2load, ...args], { timeoutMs: 120_000 })
    : await run(env.h2load, args, { timeoutMs: 120_000 })
  const out = r.stdout.toString('utf8')
  const p = parseH2loadOutput(out)
  const problems: string[] = []
  if (r.code !== 0) problems.push(`h2load exit ${r.code}: ${r.stderr.trim().slice(0, 200)}`)
  const q = p.requests
  if (q.failed || q.errored || q.timeout)
    problems.push(`${q.failed} failed, ${q.errored} errored, ${q.timeout} timeout`)
  if (q.succeeded !== n || p.status2xx !== n)
    problems.push(`${q.succeeded}/${n} succeeded, ${p.status2xx} 2xx`)
  const want = shape.tls ? 'h2' : 'h2c'
  if (p.protocol !== want) problems.push(`protocol ${p.protocol}, not ${want}`)
  const result: H2loadRun = {
    ok: problems.length === 0,
    ...p,
    peakRssKiB: Number.NaN,
    cpuUsPerRequest: Number.NaN,
  }
  if (problems.length > 0) result.error = problems.join('; ')
  return result
}

/**
 * Makes the process's peak RSS (VmHWM) start again from its current RSS (Linux: clear_refs "5"), so that
 * the peak read after the measured run is that run's, not the warm-up's. False where it cannot.
 */
function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5')
    return true
  } catch {
    return false
  }
}

/** Fewest warm-up requests per run: small responses, 1 MiB ones. */
export const WARMUP_FLOOR = { small: 40_000, large: 800 }

/**
 * A server is warm when `stale` warm-up runs in a row each failed to beat the cheapest run before them by
 * `settled` (a fraction) of its CPU per request: one dearer run alone may be the machine's noise, not the
 * server's state. It gets at most `maxRuns`.
 */
export const WARMUP_RUNS = { settled: 0.05, stale: 2, maxRuns: 8 }

/** Whether a warm-up trail (CPU µs per request of each run, in order) has reached a steady state. */
export function isWarm(trail: readonly number[]): boolean {
  let cheapest = Number.POSITIVE_INFINITY
  let stale = 0
  for (const cost of trail) {
    if (cost < cheapest * (1 - WARMUP_RUNS.settled)) stale = 0
    else stale++
    cheapest = Math.min(cheapest, cost)
  }
  return stale >= WARMUP_RUNS.stale
}

/** An h2load run against a started server, with the CPU time the server used per request. */
async function timedH2load(env: H2loadEnv, shape: H2loadShape, started: StartedTarget, n: number) {
  const before = cpuTimeUs(started.pid)
  const r = await h2load(env, shape, started.port, n, started.path)
  r.cpuUsPerRequest = (cpuTimeUs(started.pid) - before) / r.requests.succeeded
  return r
}

/**
 * Warms a fresh server up: h2load runs of `n` requests until its CPU time per request stops falling (see
 * WARMUP_RUNS), and returns that cost for each run. A JIT compiles hot code in the background, on the
 * server's own core here, and keeps compiling as long as it finds hotter paths and reoptimises what a new
 * connection's objects deoptimised: measured too early, a server is measured compiling. How long that takes
 * is the server's own (some 40–80k requests for node:http2, whose framing is nghttp2's C; 100–200k for
 * ours, in JavaScript), so each server is warmed to its own steady state, and the report gives every
 * trail. Where /proc cannot tell CPU time, one run.
 */
async function warmUp(
  env: H2loadEnv,
  shape: H2loadShape,
  started: StartedTarget,
  n: number,
  maxRuns: number,
): Promise<number[]> {
  const trail: number[] = []
  while (trail.length < maxRuns && !isWarm(trail)) {
    const r = await timedH2load(env, shape, started, n)
    trail.push(r.cpuUsPerRequest)
    // A failed warm-up run ends the warm-up; the measured run reports what is wrong.
    if (!r.ok || !Number.isFinite(r.cpuUsPerRequest)) break
  }
  return trail
}

/**
 * How the macro benches measure at a level: alternating rounds per figure, seconds per measured run (at
 * the reference's rate) and warm-up seconds (the smoke run warms up with one request per slot).
 */
export interface RunLevel {
  rounds: number
  seconds: number
  warmupSeconds: number
  smoke?: boolean
}

export function runLevel(opts: BenchOptions): RunLevel {
  if (opts.smoke) return { rounds: opts.rounds ?? 1, seconds: 0.2, warmupSeconds: 0, smoke: true }
  if (opts.quick) return { rounds: opts.rounds ?? 3, seconds: 0.6, warmupSeconds: 1 }
  return { rounds: opts.rounds ?? 5, seconds: 3, warmupSeconds: 2 }
}

/** The report's words for the warm-up, when the result recorded one. */
export function warmupSentence(warmupSeconds: number | undefined, adaptive: boolean): string {
  if (!warmupSeconds) return ''
  const size =
    `as many requests as the reference serves in ${warmupSeconds} s, at least` +
    ` ${fmt(WARMUP_FLOOR.small)} (${fmt(WARMUP_FLOOR.large)} of 1 MiB; the requests column gives ${adaptive ? 'that number' : 'them'} after the +)`
  if (!adaptive) return `, warmed up with ${size}`
  return (
    `, warmed up with h2load runs of ${size}, until ${WARMUP_RUNS.stale} runs in a row failed to beat the` +
    ` cheapest run before them by ${WARMUP_RUNS.settled * 100}% of the server's CPU per request (at most ${WARMUP_RUNS.maxRuns} runs;` +
    ' the warm-up table gives each server’s trail)'
  )
}

/** Whether the shapes' runs recorded their warm-up trails (results from before that did not). */
export const hasWarmupTrails = (shapes: ReadonlyArray<{ servers: H2loadServerResult[] }>): boolean =>
  shapes.some((s) => s.servers.some((v) => v.runs.some((r) => r.warmupCpuUs !== undefined)))

/**
 * The warm-up table: per shape (labelled by `label`) and server, how many warm-up runs its measured runs
 * had, and the CPU µs per request of each warm-up run in the first round.
 */
export function formatWarmups<S extends { servers: H2loadServerResult[] }>(
  shapes: readonly S[],
  label: (s: S) => string,
): string[] {
  const lines = [
    '| shape | server | warm-up runs (min–max) | CPU µs/req in each warm-up run, first round |',
    '|---|---|---:|---|',
  ]
  for (const s of shapes)
    for (const v of s.servers) {
      const trails = v.runs.map((r) => r.warmupCpuUs ?? [])
      const counts = trails.map((t) => t.length)
      const range: [number, number] = [Math.min(...counts), Math.max(...counts)]
      const first = (trails[0] ?? []).map((us) => cpuCell(us)).join(' → ')
      lines.push(`| ${label(s)} | ${v.name} | ${fmt(median(counts))}${spread(range)} | ${first} |`)
    }
  return lines
}

/** What the peak RSS figures are: "VmHWM", and of which part of the run when it was reset. */
export function peakRssWords(peakRssReset: boolean | undefined): string {
  return `VmHWM${peakRssReset ? ' of the measured run: reset after the warm-up' : ''}`
}

/** CPU µs per request, to one decimal; blank where it was not measured (older results, no /proc). */
export function cpuCell(us: number | undefined): string {
  return us === undefined || !Number.isFinite(us) ? '' : fmt(us, 1)
}

/** The requests column: measured requests, and the warm-up's when recorded. */
export function requestsCell(s: { requests: number; warmup?: number }): string {
  return s.warmup === undefined ? fmt(s.requests) : `${fmt(s.requests)} (+${fmt(s.warmup)})`
}

/**
 * One run on a fresh server: warm-up h2load, peak RSS reset, measured h2load, peak RSS. Failures become
 * failed runs.
 */
async function oneRun(
  target: H2loadTarget,
  shape: H2loadShape,
  n: number,
  warmup: { requests: number; maxRuns: number },
  env: H2loadEnv,
) {
  let started: StartedTarget | undefined
  try {
    try {
      started = await target.start(shape, env)
    } catch (e) {
      // One retry: a start can fail for reasons of the moment (e.g. a busy machine); twice is the server's.
      env.log(`h2load: ${e instanceof Error ? e.message : String(e)}; retrying once`)
      started = await target.start(shape, env)
    }
    const warmupCpuUs =
      warmup.requests > 0 ? await warmUp(env, shape, started, warmup.requests, warmup.maxRuns) : []
    env.peakRssReset = resetPeakRss(started.pid) && env.peakRssReset !== false
    const r = await timedH2load(env, shape, started, n)
    r.peakRssKiB = peakRssKiB(started.pid)
    r.warmupCpuUs = warmupCpuUs
    return r
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e)
    return {
      ok: false,
      error,
      reqPerSec: 0,
      mbPerSec: 0,
      seconds: 0,
      requests: { total: n, succeeded: 0, failed: 0, errored: 0, timeout: 0 },
      status2xx: 0,
      protocol: 'none',
      peakRssKiB: Number.NaN,
      cpuUsPerRequest: Number.NaN,
    } satisfies H2loadRun
  } finally {
    await started?.close()
  }
}

/**
 * Measures one shape on every target: calibrates the request count on `targets[0]` so that one of its
 * runs takes about `seconds`, then `rounds` alternating (ABBA) rounds of fresh-target runs. Each target's
 * result holds its runs, their medians and `ratio` (median req/s ÷ that of `targets[0]`).
 */
export async function measureShape(
  targets: readonly H2loadTarget[],
  shape: H2loadShape,
  env: H2loadEnv,
  opts: RunLevel & { label: string },
): Promise<{ requests: number; warmup: number; servers: H2loadServerResult[] }> {
  const reference = targets[0]!
  const slots = shape.clients * shape.streams
  // Calibrate the request count on the reference server.
  const calN = Math.max(slots * 4, opts.smoke ? 0 : shape.size === undefined ? 5000 : 200)
  const cal = await oneRun(reference, shape, calN, { requests: Math.round(calN / 2), maxRuns: 1 }, env)
  if (!cal.ok) throw new Error(`calibration of ${opts.label} on ${reference.name} failed: ${cal.error}`)
  const cap = shape.size === undefined ? 2_000_000 : 20_000
  const n = Math.min(cap, Math.max(slots * 4, Math.round((cal.reqPerSec * opts.seconds) / slots) * slots))
  // Each run starts a fresh server, warmed up (warmUp) in runs of as many requests as the reference serves
  // in `warmupSeconds`, at least WARMUP_FLOOR, the same size for every target (many short runs would open
  // and close thousands of connections; whole runs, not h2load -D, whose cut-off streams made the naive
  // proxy fail later requests).
  const floor = shape.size === undefined ? WARMUP_FLOOR.small : WARMUP_FLOOR.large
  const warmup = opts.smoke
    ? slots
    : Math.min(
        cap,
        Math.max(slots * 4, floor, Math.round((cal.reqPerSec * opts.warmupSeconds) / slots) * slots),
      )
  const byTarget = new Map(targets.map((t) => [t.name, [] as H2loadRun[]]))
  for (let round = 0; round < opts.rounds; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse()
    for (const target of order) {
      // The smoke run checks that the machinery works: one warm-up run.
      const r = await oneRun(
        target,
        shape,
        n,
        { requests: warmup, maxRuns: opts.smoke ? 1 : WARMUP_RUNS.maxRuns },
        env,
      )
      byTarget.get(target.name)!.push(r)
      env.log(
        `${opts.label} ${target.name} round ${round + 1}/${opts.rounds}: ` +
          (r.ok
            ? `${Math.round(r.reqPerSec)} req/s, ${r.mbPerSec.toFixed(1)} MB/s, ${(r.peakRssKiB / 1024).toFixed(0)} MiB`
            : `FAILED ${r.error}`),
      )
    }
  }
  const servers: H2loadServerResult[] = targets.map((t) => {
    const runs = byTarget.get(t.name)!
    const ok = runs.filter((r) => r.ok)
    const res: H2loadServerResult = { name: t.name, runs, failedRuns: runs.length - ok.length }
    if (ok.length > 0)
      res.range = [Math.min(...ok.map((r) => r.reqPerSec)), Math.max(...ok.map((r) => r.reqPerSec))]
    if (ok.length > 0)
      res.median = {
        reqPerSec: median(ok.map((r) => r.reqPerSec)),
        mbPerSec: median(ok.map((r) => r.mbPerSec)),
        peakRssMiB: median(ok.map((r) => r.peakRssKiB)) / 1024,
        cpuUsPerRequest: median(ok.map((r) => r.cpuUsPerRequest)),
      }
    return res
  })
  const ref = servers[0]?.median?.reqPerSec
  for (const r of servers) if (r.median && ref) r.ratio = r.median.reqPerSec / ref
  return { requests: n, warmup, servers }
}

export async function runH2loadBench(opts: BenchOptions): Promise<H2loadBenchResult> {
  const log = opts.log ?? console.log
  buildPackages(log)
  const reference = servers[0]!
  const h2loadPath = findCommand('h2load')
  const pin = findCommand('taskset') !== undefined && cpus().length >= 2
  const level = runLevel(opts)
  const result: H2loadBenchResult = {
    pinned: pin,
    rounds: level.rounds,
    warmupSeconds: level.warmupSeconds,
    reference: reference.name,
    missing: [],
    shapes: [],
  }
  if (h2loadPath === undefined) {
    result.skipped = 'h2load is not installed (apt-get install nghttp2-client)'
    log(`h2load: SKIPPED, ${result.skipped}`)
    return result
  }
  const version = await run(h2loadPath, ['--version'], { timeoutMs: 5000 })
  result.h2load = version.stdout.toString().trim()
  const present = servers.filter((s) => existsSync(join(benchDir, s.script)))
  result.missing = servers.filter((s) => !present.includes(s)).map((s) => `${s.name} (no script yet)`)

  const tmp = makeTempDir('h2ts-h2load-')
  try {
    const tls = await writeCertFiles(tmp.path, await selfSignedCert())
    const env: H2loadEnv = { h2load: h2loadPath, pin, tls, log }
    // The reference first: measureShape calibrates on it and takes ratios against it.
    const targets = [reference, ...present.filter((s) => s !== reference)].map(helloTarget)
    // Native servers (nghttpd, h2o, nginx) when installed; the smoke run keeps to the two of ours.
    if (!opts.smoke) {
      const native = nativeServers(tmp.path)
      targets.push(...native.targets)
      result.versions = native.versions
      result.missing.push(...native.missing.map((m) => `${m}: not installed`))
    }
    for (const m of result.missing) log(`h2load: NOT MEASURED ${m}`)
    for (const shape of opts.smoke ? shapes.slice(0, 1) : shapes) {
      const transport = shape.tls ? 'TLS' : 'h2c'
      const label = `h2load ${transport} ${shape.name}`
      const measured = await measureShape(targets, shape, env, { ...level, label })
      result.shapes.push({ ...shape, transport, ...measured })
    }
    result.peakRssReset = env.peakRssReset === true
  } finally {
    await tmp.cleanup()
  }
  return result
}

export const fmt = (x: number, digits = 0) =>
  x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })

/** ` (min–max)` of a median's runs, empty for a single run. */
export const spread = (range: [number, number] | undefined, digits = 0) =>
  range === undefined || range[0] === range[1] ? '' : ` (${fmt(range[0], digits)}–${fmt(range[1], digits)})`

export function formatH2loadResult(r: H2loadBenchResult): string {
  if (r.skipped !== undefined) return `Skipped: ${r.skipped}.`
  const trails = hasWarmupTrails(r.shapes)
  const lines = [
    `${r.h2load ?? 'h2load'}; median of ${r.rounds} alternating runs per server, a fresh server per run${warmupSentence(r.warmupSeconds, trails)}` +
      `${r.pinned ? ', server on CPU 0 and h2load on CPU 1' : ' (not pinned to CPUs)'}.` +
      ' req/s is the median with the min–max of the runs. MB/s counts all bytes on the wire; RSS is the server' +
      ` process peak (${peakRssWords(r.peakRssReset)}; every server runs as compiled JavaScript under plain node).` +
      ' CPU µs/req is the CPU time (user + system) the server used in the measured run per request.' +
      (r.versions === undefined || Object.keys(r.versions).length === 0
        ? ''
        : ` Native servers (one process, one thread, static files /hello and /1m): ${Object.values(r.versions).join('; ')}.`) +
      (r.missing.length > 0 ? ` Not measured: ${r.missing.join('; ')}.` : ''),
    '',
    `| transport | shape | requests | server | req/s (min–max) | MB/s | peak RSS MiB | CPU µs/req | req/s ÷ ${r.reference} | failed runs |`,
    '|---|---|---:|---|---:|---:|---:|---:|---:|---:|',
  ]
  for (const s of r.shapes) {
    for (const v of s.servers) {
      const m = v.median
      const failed = v.failedRuns > 0 ? `${v.failedRuns}/${v.runs.length}` : '0'
      lines.push(
        m === undefined
          ? `| ${s.transport} | ${s.name} | ${requestsCell(s)} | ${v.name} | FAILED | | | | | ${failed}: ${v.runs.find((x) => !x.ok)?.error ?? ''} |`
          : `| ${s.transport} | ${s.name} | ${requestsCell(s)} | ${v.name} | ${fmt(m.reqPerSec)}${spread(v.range)} | ${fmt(m.mbPerSec, 1)} | ${fmt(m.peakRssMiB, 0)} | ${cpuCell(m.cpuUsPerRequest)} | ${v.ratio === undefined ? '' : `${v.ratio.toFixed(2)}×`} | ${failed} |`,
      )
    }
  }
  if (trails) lines.push('', 'Warm-up:', '', ...formatWarmups(r.shapes, (s) => `${s.transport} ${s.name}`))
  const failures = new Set<string>()
  for (const s of r.shapes)
    for (const v of s.servers)
      for (const run of v.runs) if (!run.ok) failures.add(`${s.transport} ${s.name}, ${v.name}: ${run.error}`)
  if (failures.size > 0) lines.push('', 'Failed runs:', '', ...[...failures].map((f) => `- ${f}`))
  return lines.join('\n')
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const r = await runH2loadBench({ quick: process.argv.includes('--quick'), log: (s) => console.error(s) })
  console.log(formatH2loadResult(r))
}
