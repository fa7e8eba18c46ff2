/**
 * Request priority through the gateway (RFC 9218). The client's own signals — the `priority` header,
 * PRIORITY_UPDATE frames, RFC 7540 PRIORITY fields — are applied by the HTTP/2 engine of the front: they
 * order the gateway's writes to that client. Here: a route's default urgency for requests that carry no
 * `priority` header, and the `priority` header sent upstream, so the upstream orders its writes to us the
 * same way (RFC 9218 §5: the header is end to end).
 */
import { formatPriorityField, parsePriorityField } from '@h2ts/streams'
import type { RouteConfig } from './config.js'
import type { Exchange } from './exchange.js'
import type { Field } from './forwarding.js'

/**
 * The client's `priority` header (its lines joined as one list, RFC 9110 §5.3), parsed: undefined when
 * there is none, 'invalid' when it does not parse (RFC 9218 §4: then it says nothing).
 */
export function clientPriority(
  fields: readonly Field[],
): { urgency?: number; incremental?: boolean } | 'invalid' | undefined {
  let value: string | undefined
  for (const [name, v] of fields) if (name === 'priority') value = value === undefined ? v : `${value}, ${v}`
  return value === undefined ? undefined : (parsePriorityField(value) ?? 'invalid')
}

/**
 * Returns the upstream request's fields with the priority the upstream should see. A request with its own
 * valid `priority` header keeps it: it is forwarded as sent (unknown parameters included). One without
 * gets the route's default, if the route has one; a header that did not parse is replaced by that default,
 * or dropped when the route has none (it would tell the upstream nothing either).
 *
 * On the front, the route's default reaches the client connection's scheduler when the request's stream
 * opens (`Gateway.defaultPriority`, the engine's `defaultPriority` option), so that a PRIORITY_UPDATE the
 * client sent before or after the request still wins. A pushed stream is ours: it is prioritized here.
 */
export function forwardPriority(exchange: Exchange, route: RouteConfig, upstream: Field[]): Field[] {
  const fromClient = clientPriority(exchange.fields)
  if (fromClient !== undefined && fromClient !== 'invalid') return upstream
  const fields = fromClient === 'invalid' ? upstream.filter(([name]) => name !== 'priority') : upstream
  const defaults = route.priority
  if (defaults === undefined) return fields
  if (exchange.pushed === true) {
    try {
      exchange.prioritize?.(defaults.urgency, defaults.incremental)
    } catch {
      // The client connection is closing: its scheduling no longer matters.
    }
  }
  // RFC 9218 §4: defaults (u=3, not incremental) are left out; an empty value would say nothing.
  const value = formatPriorityField(defaults.urgency, defaults.incremental)
  if (value !== '') fields.push(['priority', value])
  return fields
}
