/**
 * The h2ts "hello" server for the h2load benchmark, the twin of node-hello.ts: every request (any method,
 * any path) gets 200, `content-type: text/plain` and the body `hello` (or `--size N` bytes); request bodies
 * are read and dropped.
 *
 *   npx tsx --conditions=@h2ts/source bench/servers/h2ts-hello.ts --port 0 [--size N] [--tls --cert F --key F]
 *
 * Prints exactly `listening on <port>` when ready; exits cleanly on SIGTERM or SIGINT.
 */
import { createServer } from '@h2ts/streams/node'
import { helloArgs } from './args.js'

const { port, body, tls } = helloArgs()
const headers = { 'content-type': 'text/plain', 'content-length': body.length }

const server = createServer(tls === undefined ? {} : { tls }, (req, res) => {
  // A request that ended with its headers has no body to drain (and then none is created).
  if (req.hasBody) req.body.resume()
  res.respond(200, headers)
  res.end(body)
})

const actual = await server.listen(port, '127.0.0.1')
process.stdout.write(`listening on ${actual}\n`)

const stop = () => {
  server.destroy().then(() => process.exit(0))
  setTimeout(() => process.exit(0), 1000).unref()
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
