/**
 * Runs the benchmark suite and writes bench/results/latest.json and bench/results/RESULTS.md.
 *
 *   pnpm bench                  everything
 *   pnpm bench --quick          a short run (what CI can afford)
 *   pnpm bench --filter hpack   only the parts whose name contains "hpack"
 *
 * Figures are ratios against peers measured in the same run; absolute numbers depend on the machine,
 * which is recorded alongside them.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { formatFramesResult, runFramesBench } from './frames.bench.js'
import { formatGatewayResult, runGatewayBench } from './gateway.bench.js'
import { formatH2loadResult, runH2loadBench } from './h2load.bench.js'
import { formatHpackResult, runHpackBench } from './hpack.bench.js'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const filterAt = args.indexOf('--filter')
const filter = filterAt >= 0 ? args[filterAt + 1] : undefined

interface Part {
  name: string
  run(): Promise<{ data: unknown; markdown: string }>
}
const parts: Part[] = [
  {
    name: 'hpack',
    async run() {
      const r = await runHpackBench({ quick, log: (s) => console.error(s) })
      return { data: r, markdown: formatHpackResult(r) }
    },
  },
  {
    name: 'frames',
    async run() {
      const r = await runFramesBench({ quick })
      return { data: r, markdown: formatFramesResult(r) }
    },
  },
  {
    name: 'h2load',
    async run() {
      const r = await runH2loadBench({ quick, log: (s) => console.error(s) })
      return { data: r, markdown: formatH2loadResult(r) }
    },
  },
  {
    name: 'gateway',
    async run() {
      const r = await runGatewayBench({ quick, log: (s) => console.error(s) })
      return { data: r, markdown: formatGatewayResult(r) }
    },
  },
]

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  node: process.version,
  date: new Date().toISOString(),
  quick,
}
const results: Record<string, unknown> = {}
const sections: string[] = [
  '# h2ts benchmark results',
  '',
  `Machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; ${machine.date}${quick ? ' (quick run)' : ''}.`,
]
for (const part of parts) {
  if (filter !== undefined && !part.name.includes(filter)) continue
  console.error(`== ${part.name}`)
  const { data, markdown } = await part.run()
  results[part.name] = data
  sections.push('', `## ${part.name}`, '', markdown)
  console.log(`\n## ${part.name}\n\n${markdown}`)
}
const dir = fileURLToPath(new URL('./results/', import.meta.url))
mkdirSync(dir, { recursive: true })
writeFileSync(`${dir}latest.json`, `${JSON.stringify({ machine, results }, null, 2)}\n`)
writeFileSync(`${dir}RESULTS.md`, `${sections.join('\n')}\n`)
console.error(`wrote ${dir}latest.json and ${dir}RESULTS.md`)
