/**
 * Starts nghttpd (cleartext, or TLS with a self-signed certificate) serving the suite's response body at `/`,
 * for running run.ts against it by hand:
 *
 *   npx tsx --conditions=@h2ts/source test/conformance/serve-nghttpd.ts [--tls]
 */
import { selfSignedCert, startNghttpd } from '../support/peers.js'
import { BODY } from './servers.js'

const tls = process.argv.includes('--tls')
const server = await startNghttpd({
  files: { 'index.html': BODY },
  ...(tls ? { tls: await selfSignedCert() } : {}),
})
process.stdout.write(`listening on ${server.port}\n`)
const stop = () => {
  server.close().then(() => process.exit(0))
  setTimeout(() => process.exit(0), 2000).unref()
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
