/**
 * Starts one of the suite's servers for running run.ts by hand:
 *
 *   npx tsx --conditions=@h2ts/source test/conformance/serve.ts [h2ts|node] [--tls]
 *
 * Prints `listening on <port>`; stops on SIGINT or SIGTERM.
 */
import { startH2ts, startNodeHttp2 } from './servers.js'

const which = process.argv[2] === 'node' ? 'node' : 'h2ts'
const tls = process.argv.includes('--tls')
const server = which === 'node' ? await startNodeHttp2({ tls }) : await startH2ts({ tls })
process.stdout.write(`listening on ${server.port}\n`)
const stop = () => {
  server.close().then(() => process.exit(0))
  setTimeout(() => process.exit(0), 1000).unref()
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
