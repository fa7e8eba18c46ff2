/**
 * Runs the server conformance cases against any HTTP/2 server.
 *
 *   npx tsx --conditions=@h2ts/source test/conformance/run.ts --host 127.0.0.1 --port 8443 --tls
 *
 * Options: `--host` (default 127.0.0.1), `--port` (required), `--tls` (h2 over TLS with ALPN; certificates are
 * not verified), `--timeout ms` (guard per wait, default 2000), `--filter text` (cases whose name contains it),
 * `--concurrency n` (cases run side by side, each on its own connection; default 1),
 * `--verbose` (the frames the server wrote, for every case that did not pass), `--json` (results as JSON).
 *
 * The server must answer a request for `/` once its body has ended, with a body of at least 4 octets.
 * Prints one line per case and a summary; exits with 1 if any case failed or answered late.
 */
import { parseArgs } from 'node:util'
import { serverCases } from './cases-server.js'
import { type CaseResult, runServerSuite, summarize } from './server-runner.js'

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
    tls: { type: 'boolean', default: false },
    timeout: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '1' },
    filter: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
})

const port = Number(values.port)
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  process.stderr.write(
    'usage: run.ts --port N [--host H] [--tls] [--timeout ms] [--concurrency n] [--filter text] [--verbose] [--json]\n',
  )
  process.exit(2)
}
const filter = values.filter
const cases =
  filter === undefined ? serverCases : serverCases.filter((k) => `${k.id} ${k.title}`.includes(filter))

const mark: Record<CaseResult['status'], string> = { pass: 'PASS', late: 'LATE', fail: 'FAIL', skip: 'SKIP' }
const results = await runServerSuite({ host: values.host, port, tls: values.tls }, cases, {
  timeoutMs: Number(values.timeout),
  concurrency: Number(values.concurrency),
  onResult: (r) => {
    if (values.json) return
    const detail = r.status === 'pass' ? '' : `  — ${r.detail}`
    process.stdout.write(`${mark[r.status]}  ${r.name}${detail}\n`)
    if (values.verbose && r.status !== 'pass') process.stdout.write(`        frames: ${r.trace.join(', ')}\n`)
  },
})
const s = summarize(results)
if (values.json) {
  process.stdout.write(`${JSON.stringify({ summary: s, results }, null, 2)}\n`)
} else {
  process.stdout.write(
    `\n${values.tls ? 'https' : 'http'}://${values.host}:${port}: ${s.pass}/${s.total} passed, ${s.late} late, ${s.fail} failed, ${s.skip} skipped\n`,
  )
}
process.exit(s.fail > 0 || s.late > 0 ? 1 : 0)
