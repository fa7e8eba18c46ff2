/**
 * Runs the benchmark suite and writes, to bench/results/ (or `--out DIR`): latest.json (every run of every
 * figure, and the machine), RESULTS.md (the tables) and ratios.svg (req/s ÷ node:http2, linked from
 * RESULTS.md).
 *
 *   pnpm bench                      everything (about half an hour on 2 cores)
 *   pnpm bench --quick              a short run, fewer rounds and shorter runs
 *   pnpm bench --filter h2load,api  only the parts whose name contains one of these words; the report keeps
 *                                   the other parts from the previous run in the same place, marked with its date
 *   pnpm bench --rounds N           N alternating rounds per figure in the macro parts (default 3 to 5)
 *   pnpm bench --out DIR            write the results there
 *   pnpm bench --smoke              the smallest run that exercises every part (what CI runs)
 *   pnpm bench --report             run nothing: rewrite RESULTS.md and ratios.svg from latest.json
 *
 * Parts: hpack, huffman, frames (micro, tinybench); h2load, gateway, idle, api (macro, separate
 * processes). Figures are medians of alternating runs with their spread, and ratios against peers measured
 * in the same run; absolute numbers depend on the machine, which is recorded alongside them. A part that
 * fails is reported as failed and the others still run; the exit status is then 1.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, release, totalmem } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { formatApiResult, runApiBench } from './api.bench.js'
import { type ChartGroup, ratioChart } from './chart.js'
import { formatFramesResult, runFramesBench } from './frames.bench.js'
import { formatGatewayResult, type GatewayBenchResult, runGatewayBench } from './gateway.bench.js'
import { formatH2loadResult, type H2loadBenchResult, runH2loadBench } from './h2load.bench.js'
import { formatHpackResult, runHpackBench } from './hpack.bench.js'
import { formatHuffmanResult, runHuffmanBench } from './huffman.bench.js'
import { formatIdleResult, runIdleBench } from './idle.bench.js'
import { peerVersions } from './native-servers.js'

const benchDir = dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
const smoke = args.includes('--smoke')
const quick = args.includes('--quick') || smoke
const option = (name: string) => {
  const at = args.indexOf(name)
  return at >= 0 ? args[at + 1] : undefined
}
const filters = option('--filter')?.split(',').filter(Boolean)
const outDir = resolve(option('--out') ?? join(benchDir, 'results'))
const roundsOption = option('--rounds')
const rounds = roundsOption === undefined ? undefined : Number(roundsOption)
if (rounds !== undefined && !(Number.isInteger(rounds) && rounds > 0)) {
  console.error(`--rounds needs a positive integer, not ${roundsOption}`)
  process.exit(2)
}
const started = performance.now()
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`
const log = (s: string) => console.error(`[${elapsed()}] ${s}`)

interface Part {
  name: string
  run(): Promise<{ data: unknown; markdown: string }>
  /** The part's table from its JSON result (for parts kept from a previous run). */
  format(data: never): string
}
const level = { quick, ...(smoke ? { smoke: true } : {}), ...(rounds === undefined ? {} : { rounds }), log }
/** A part: its runner and the formatter of its result, for a fresh run and for one kept from before. */
function part<R>(name: string, run: () => Promise<R>, format: (result: R) => string): Part {
  return {
    name,
    async run() {
      const data = await run()
      return { data, markdown: format(data) }
    },
    format,
  }
}
const parts: Part[] = [
  part('hpack', () => runHpackBench(level), formatHpackResult),
  part('huffman', () => runHuffmanBench(level), formatHuffmanResult),
  part('frames', () => runFramesBench({ quick }), formatFramesResult),
  part('h2load', () => runH2loadBench(level), formatH2loadResult),
  part('gateway', () => runGatewayBench(level), formatGatewayResult),
  part('idle', () => runIdleBench(level), formatIdleResult),
  part('api', () => runApiBench(level), formatApiResult),
]
const TITLES: Record<string, string> = {
  hpack: 'HPACK (micro)',
  huffman: 'Huffman (micro)',
  frames: 'Frame codec (micro)',
  h2load: 'Servers under h2load (macro)',
  gateway: 'Gateway under h2load (macro)',
  idle: 'Memory per idle connection',
  api: 'HTTP/1.1 straight to the API vs. through the gateway over one HTTP/2 connection',
}

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))
    if (m) return m[1]!.trim()
  } catch {
    // not Linux: os.cpus() below
  }
  return cpus()[0]?.model ?? 'unknown'
}

function gitCommit(): string | undefined {
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: benchDir, encoding: 'utf8' })
  return r.status === 0 ? r.stdout.trim() : undefined
}

/** The version of an npm package the bench uses (installed in bench/ or at the workspace root). */
function packageVersion(name: string): string | undefined {
  for (const dir of [benchDir, join(benchDir, '..')]) {
    const file = join(dir, 'node_modules', name, 'package.json')
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
  }
  return undefined
}

const machine = {
  cpu: cpuModel(),
  cores: cpus().length,
  memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  kernel: release(),
  node: process.version,
  commit: gitCommit(),
  peers: peerVersions(),
  npm: Object.fromEntries(
    ['hpack', 'hpack.js', 'openai', 'tinybench'].map((n) => [n, packageVersion(n) ?? '?']),
  ),
  date: new Date().toISOString(),
  mode: args.includes('--report') ? 'report' : smoke ? 'smoke' : quick ? 'quick' : 'full',
}

const reportOnly = args.includes('--report')
const MODES: Record<string, string> = {
  full: 'full run',
  quick: 'quick run: fewer and shorter runs, rougher figures',
  smoke: 'smoke run: the smallest of every part, figures not to be read',
  report: 'report only: each section says which run measured it',
}
const selected = reportOnly
  ? []
  : parts.filter((p) => filters === undefined || filters.some((f) => p.name.includes(f)))
if (selected.length === 0 && !reportOnly) {
  console.error(
    `no part matches --filter ${filters?.join(',')}; parts: ${parts.map((p) => p.name).join(', ')}`,
  )
  process.exit(2)
}
log(
  `h2ts benchmarks (${machine.mode}): ${selected.map((p) => p.name).join(', ')}; ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}`,
)
/** When each part's figures were measured (parts kept from an earlier run keep their own). */
interface PartRun {
  date: string
  mode: string
  commit?: string | undefined
}
const results: Record<string, unknown> = {}
const runs: Record<string, PartRun> = {}
// A filtered run keeps the other parts of the previous report in the same place, so it stays whole.
const previousFile = join(outDir, 'latest.json')
if ((filters !== undefined || reportOnly) && existsSync(previousFile)) {
  try {
    const previous = JSON.parse(readFileSync(previousFile, 'utf8')) as {
      machine?: PartRun
      results?: Record<string, unknown>
      runs?: Record<string, PartRun>
    }
    for (const [name, data] of Object.entries(previous.results ?? {})) {
      if (selected.some((p) => p.name === name) || (data as { error?: unknown }).error !== undefined) continue
      const run = previous.runs?.[name] ?? previous.machine
      if (run === undefined) continue
      results[name] = data
      runs[name] = { date: run.date, mode: run.mode, commit: run.commit }
    }
    const kept = Object.keys(results)
    if (kept.length > 0) log(`keeping ${kept.join(', ')} from ${previousFile}`)
  } catch (e) {
    log(`not keeping the previous results (${e instanceof Error ? e.message : String(e)})`)
  }
}
const failures: string[] = []
const errors: Record<string, string> = {}
for (const [i, part] of selected.entries()) {
  log(`== [${i + 1}/${selected.length}] ${part.name}`)
  const t0 = performance.now()
  runs[part.name] = { date: machine.date, mode: machine.mode, commit: machine.commit }
  try {
    const { data, markdown } = await part.run()
    results[part.name] = data
    console.log(`\n## ${part.name}\n\n${markdown}\n`)
  } catch (e) {
    const message = e instanceof Error ? (e.stack ?? e.message) : String(e)
    failures.push(part.name)
    results[part.name] = { error: message }
    errors[part.name] = message.split('\n')[0] ?? message
    log(`${part.name} FAILED: ${message}`)
  }
  log(`== ${part.name} done in ${((performance.now() - t0) / 1000).toFixed(0)} s`)
}

const sections: string[] = []
for (const part of parts) {
  if (!(part.name in results)) continue
  const run = runs[part.name]
  const earlier =
    run !== undefined && run.date !== machine.date
      ? `_Kept from the ${run.mode} run of ${run.date} (commit ${run.commit ?? 'unknown'})._\n\n`
      : ''
  const error = errors[part.name]
  sections.push(
    '',
    `## ${TITLES[part.name] ?? part.name}`,
    '',
    `${earlier}${error === undefined ? part.format(results[part.name] as never) : `FAILED: ${error}`}`,
  )
}

// The chart: req/s ÷ the reference of each macro part, per shape.
const groups: ChartGroup[] = []
const h2load = results['h2load'] as H2loadBenchResult | undefined
for (const s of h2load?.shapes ?? [])
  groups.push({
    title: `servers, ${s.transport} ${s.name} (÷ ${h2load!.reference})`,
    bars: s.servers.map((v) => ({ label: v.name, ratio: v.ratio ?? Number.NaN })),
  })
const gateway = results['gateway'] as GatewayBenchResult | undefined
for (const s of gateway?.shapes ?? [])
  groups.push({
    title: `gateway, h2c ${s.name}${s.layout === undefined ? '' : `, ${s.layout}`} (÷ ${gateway!.reference})`,
    bars: s.servers.map((v) => ({ label: v.name, ratio: v.ratio ?? Number.NaN })),
  })
const chart = groups.length > 0
mkdirSync(outDir, { recursive: true })
if (chart)
  writeFileSync(
    join(outDir, 'ratios.svg'),
    ratioChart(
      'h2ts: requests per second, as a ratio to node:http2 in the same run',
      `median of alternating runs; ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; ${machine.date.slice(0, 10)}`,
      groups,
    ),
  )

const peerLine = Object.entries(machine.peers)
  .map(([name, v]) => `${name}: ${v}`)
  .join('; ')
const npmLine = Object.entries(machine.npm)
  .map(([n, v]) => `${n} ${v}`)
  .join(', ')
const header = [
  '# h2ts benchmark results',
  '',
  `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Linux ${machine.kernel}, Node ${machine.node}.` +
    ` Peers: ${peerLine}. npm: ${npmLine}. Commit ${machine.commit ?? 'unknown'}, ${machine.date}` +
    ` (${MODES[machine.mode] ?? machine.mode}).`,
  '',
  'Every figure is a median of several runs alternating between the implementations compared (ABBA), with the' +
    ' spread of the runs (min–max, or ±% for the micro benchmarks) next to it; ratios are against the peer' +
    ' measured in the same run. `pnpm bench` regenerates this file; `latest.json` beside it has every run.',
  ...(chart ? ['', '![req/s ratios to node:http2](ratios.svg)'] : []),
  ...(failures.length > 0 ? ['', `**Failed parts:** ${failures.join(', ')}.`] : []),
]
writeFileSync(previousFile, `${JSON.stringify({ machine, runs, results }, null, 2)}\n`)
writeFileSync(join(outDir, 'RESULTS.md'), `${[...header, ...sections].join('\n')}\n`)
log(`wrote ${previousFile}, RESULTS.md${chart ? ' and ratios.svg' : ''}`)
process.exit(failures.length > 0 ? 1 : 0)
