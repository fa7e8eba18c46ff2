/**
 * The RFC 7540 §5.3 dependency tree (kept by RFC 9113 §5.3.2 as an optional, deprecated signal).
 *
 * Each node keeps its active children (those with something to send in their subtree) in a heap ordered by
 * a virtual finish time, `cycle`: serving a frame of n bytes from a subtree advances that subtree's root by
 * n / weight at every level, so siblings share bytes in proportion to their weights (stride scheduling,
 * as nghttp2 does). A stream that can send is served before its dependents (§5.3.1: dependents get
 * resources only when their parent cannot progress). A newly active child starts at its parent's current
 * virtual time, so a quiet stream cannot bank credit and then starve the others.
 *
 * State stays bounded (CVE-2019-9513 "resource loop"): nodes exist for open streams, plus at most
 * `maxIdleNodes` idle streams named by PRIORITY frames or as dependencies, and `maxClosedNodes` closed
 * streams kept so their dependents keep their place (§5.3.4). Past a cap the oldest such node leaves the
 * tree and its children move to its parent, its weight shared among them (§5.3.4). Every operation costs
 * O(depth · log n) with n bounded by those caps and the number of open streams.
 */
import { IdMap } from '../id-map.js'
import { IndexedHeap } from './heap.js'
import {
  DEFAULT_WEIGHT,
  type PrioritySignal,
  type Rfc7540Priority,
  type WriteScheduler,
} from './scheduler.js'

type Kind = 'root' | 'live' | 'idle' | 'closed'

/** Active siblings in order of virtual finish time, first come first served between equals. */
function servedFirst(a: Node, b: Node): boolean {
  return a.cycle < b.cycle || (a.cycle === b.cycle && a.seq < b.seq)
}

/**
 * A stream in the tree. Most streams never have dependents, so the child list and queue are made on first
 * use. Nodes do not point at each other once out of the tree (see IdMap for why that matters to V8's
 * young-generation collector): lists are arrays whose slots are cleared, and `older`/`newer` (the idle or
 * closed list) are cleared on removal.
 */
class Node {
  heapIndex = -1
  parent: Node | undefined
  /** Children (all of them, active or not); `childIndex` is a node's place in its parent's list. */
  children: Node[] | undefined
  childIndex = -1
  weight = DEFAULT_WEIGHT
  /** The stream has a frame to send. */
  ready = false
  /** This node's virtual finish time among its siblings. */
  cycle = 0
  /** Enqueue order: breaks ties between equal cycles first come, first served. */
  seq = 0
  /** Virtual time of this node's queue: the start time of the child served last. */
  lastCycle = 0
  /** Active children, by `servedFirst`. */
  queue: IndexedHeap<Node> | undefined
  /** Neighbours in the idle or closed list (oldest first), while the node is on one. */
  older: Node | undefined
  newer: Node | undefined

  constructor(
    readonly id: number,
    public kind: Kind,
  ) {}

  get active(): boolean {
    return this.ready || (this.queue !== undefined && this.queue.size > 0)
  }

  get childCount(): number {
    return this.children?.length ?? 0
  }

  addChild(child: Node): void {
    this.children ??= []
    child.childIndex = this.children.length
    this.children.push(child)
  }

  removeChild(child: Node): void {
    const list = this.children
    if (list === undefined || list[child.childIndex] !== child) return
    const last = list.pop()!
    if (last !== child) {
      list[child.childIndex] = last
      last.childIndex = child.childIndex
    }
    child.childIndex = -1
  }
}

/** Idle or closed nodes, oldest first, linked through the nodes themselves: O(1) to add, drop or evict. */
class NodeList {
  oldest: Node | undefined
  newest: Node | undefined
  size = 0

  append(node: Node): void {
    node.older = this.newest
    node.newer = undefined
    if (this.newest !== undefined) this.newest.newer = node
    else this.oldest = node
    this.newest = node
    this.size++
  }

  /** Takes the node off the list; a node that is not on it (a closed stream dropped at once) is left alone. */
  remove(node: Node): void {
    if (node.older === undefined && this.oldest !== node) return
    if (node.older !== undefined) node.older.newer = node.newer
    else this.oldest = node.newer
    if (node.newer !== undefined) node.newer.older = node.older
    else this.newest = node.older
    node.older = undefined
    node.newer = undefined
    this.size--
  }
}

export interface Rfc7540SchedulerOptions {
  /** Idle streams kept in the tree (named by PRIORITY frames or as a dependency; default 100). */
  maxIdleNodes?: number
  /** Closed streams kept in the tree for their dependents (default 100). */
  maxClosedNodes?: number
}

/** Bytes are scaled so that a weight-256 stream advances by at least one unit per octet. */
const SCALE = 256

export class Rfc7540Scheduler implements WriteScheduler {
  readonly #root = new Node(0, 'root')
  readonly #nodes = new IdMap<Node>()
  /** Idle and closed nodes, oldest first: the ones evicted past the caps. */
  readonly #idle = new NodeList()
  readonly #closed = new NodeList()
  readonly #maxIdle: number
  readonly #maxClosed: number
  #seq = 0
  /** The last pop's choice: node, parent, child, parent… from the root down, for `sent`. */
  readonly #path: Node[] = []

  constructor(options: Rfc7540SchedulerOptions = {}) {
    this.#maxIdle = Math.max(0, options.maxIdleNodes ?? 100)
    this.#maxClosed = Math.max(0, options.maxClosedNodes ?? 100)
  }

  // --- Inspection (tests, metrics) ------------------------------------------------------------------

  /** Nodes in the tree (open, idle and closed streams), not counting the root. */
  get size(): number {
    return this.#nodes.size
  }

  /** A stream's place in the tree, or undefined when it has none. */
  describe(streamId: number): { parent: number; weight: number; children: number[] } | undefined {
    const node = this.#nodes.get(streamId)
    if (node === undefined) return undefined
    return {
      parent: node.parent?.id ?? 0,
      weight: node.weight,
      children: (node.children ?? []).map((c) => c.id).sort((a, b) => a - b),
    }
  }

  // --- WriteScheduler ---------------------------------------------------------------------------------

  open(streamId: number, signals?: readonly PrioritySignal[]): void {
    let node = this.#nodes.get(streamId)
    if (node === undefined) {
      node = new Node(streamId, 'live')
      this.#nodes.set(streamId, node)
      this.#attach(node, this.#root)
    } else if (node.kind === 'idle') {
      this.#idle.remove(node)
      node.kind = 'live'
    }
    const signal = signals?.find((s): s is Rfc7540Priority => s.scheme === 'rfc7540')
    if (signal !== undefined) this.#reprioritize(node, signal)
  }

  push(streamId: number): void {
    let node = this.#nodes.get(streamId)
    if (node === undefined || node.kind !== 'live') {
      this.open(streamId)
      node = this.#nodes.get(streamId)!
    }
    if (node.ready) return
    node.ready = true
    this.#refresh(node)
  }

  pop(): number | undefined {
    const path = this.#path
    if (path.length > 0) path.length = 0
    let parent = this.#root
    let node = parent.queue?.peek()
    while (node !== undefined) {
      path.push(node, parent)
      if (node.ready) break
      parent = node
      node = node.queue?.peek()
    }
    if (node === undefined) return undefined
    node.ready = false
    this.#refresh(node)
    return node.id
  }

  sent(streamId: number, bytes: number): void {
    // Charged along the path the frame was chosen by (kept from pop: the stream may have closed since):
    // each level competes with its own siblings.
    const path = this.#path
    if (path[path.length - 2]?.id !== streamId) return
    for (let i = path.length - 2; i >= 0; i -= 2) {
      const node = path[i]!
      const parent = path[i + 1]!
      parent.lastCycle = Math.max(parent.lastCycle, node.cycle)
      node.cycle += (Math.max(1, bytes) * SCALE) / node.weight
      parent.queue?.update(node)
    }
    path.length = 0
  }

  hasReady(): boolean {
    return this.#root.active
  }

  remove(streamId: number): void {
    const node = this.#nodes.get(streamId)
    if (node === undefined || node.kind === 'closed') return
    if (node.kind === 'idle') this.#idle.remove(node)
    node.ready = false
    this.#refresh(node)
    node.kind = 'closed'
    if (node.childCount === 0 || this.#maxClosed === 0) {
      // Nobody depends on it: nothing to keep. A later signal naming it gets a default node (§5.3.1).
      this.#drop(node)
      return
    }
    this.#closed.append(node)
    this.#trim(this.#closed, this.#maxClosed)
  }

  prioritize(streamId: number, priority: PrioritySignal): void {
    if (priority.scheme !== 'rfc7540' || priority.dependency === streamId) return
    let node = this.#nodes.get(streamId)
    if (node === undefined) {
      // §5.3.4, §6.3: PRIORITY may name an idle stream (clients group requests under such placeholders).
      node = this.#newIdle(streamId)
    } else if (node.kind === 'idle') {
      // Refreshed: the most recently used idle nodes are the ones kept.
      this.#idle.remove(node)
      this.#idle.append(node)
    }
    this.#reprioritize(node, priority)
    this.#trim(this.#idle, this.#maxIdle)
  }

  // --- The tree ---------------------------------------------------------------------------------------

  #newIdle(streamId: number): Node {
    const node = new Node(streamId, 'idle')
    this.#nodes.set(streamId, node)
    this.#idle.append(node)
    this.#attach(node, this.#root)
    return node
  }

  /** §5.3.3 reprioritisation (also used for a new stream's own priority, §5.3.1). */
  #reprioritize(node: Node, { dependency, weight, exclusive }: Rfc7540Priority): void {
    let parent = dependency === 0 ? this.#root : this.#nodes.get(dependency)
    if (parent === undefined) {
      // §5.3.1: a dependency on a stream not in the tree gives that stream a default priority.
      parent = this.#newIdle(dependency)
    }
    node.weight = Math.min(256, Math.max(1, weight))
    if (this.#isInSubtree(parent, node)) {
      // §5.3.3: the new parent is a dependent: it first moves up to the node's former parent, keeping its
      // weight.
      this.#detach(parent)
      this.#attach(parent, node.parent!)
    }
    this.#detach(node)
    if (exclusive) {
      // §5.3.1: an exclusive dependent becomes the sole child; the former children become its own.
      for (const child of [...(parent.children ?? [])]) {
        this.#detach(child)
        this.#attach(child, node)
      }
    }
    this.#attach(node, parent)
  }

  #isInSubtree(candidate: Node, ancestor: Node): boolean {
    for (let n: Node | undefined = candidate; n !== undefined; n = n.parent) if (n === ancestor) return true
    return false
  }

  #detach(node: Node): void {
    const parent = node.parent
    if (parent === undefined) return
    parent.removeChild(node)
    parent.queue?.remove(node)
    node.parent = undefined
    this.#refresh(parent)
  }

  #attach(node: Node, parent: Node): void {
    node.parent = parent
    parent.addChild(node)
    this.#refresh(node)
  }

  /**
   * Makes the node's place in its parent's queue match whether its subtree has something to send, and
   * walks up while that changes the parent's own activity.
   */
  #refresh(node: Node): void {
    for (let n = node; n.parent !== undefined; n = n.parent) {
      const parent: Node = n.parent
      const queued = parent.queue?.has(n) === true
      if (n.active === queued) return
      if (n.active) {
        n.cycle = Math.max(n.cycle, parent.lastCycle)
        n.seq = ++this.#seq
        parent.queue ??= new IndexedHeap(servedFirst)
        parent.queue.push(n)
      } else {
        parent.queue?.remove(n)
      }
    }
  }

  /** Evicts the oldest nodes of `list` beyond `max`. */
  #trim(list: NodeList, max: number): void {
    while (list.size > max) this.#drop(list.oldest!)
  }

  /** Takes a node out of the tree; its children move to its parent, sharing its weight (§5.3.4). */
  #drop(node: Node): void {
    const parent = node.parent ?? this.#root
    this.#detach(node)
    // Most nodes have no children (a closed request nobody depends on): no copy of an empty list.
    if (node.childCount > 0) {
      const children = [...node.children!]
      let total = 0
      for (const child of children) total += child.weight
      for (const child of children) {
        this.#detach(child)
        child.weight = Math.max(1, Math.floor((node.weight * child.weight) / total))
        this.#attach(child, parent)
      }
    }
    this.#nodes.delete(node.id)
    if (node.kind === 'idle') this.#idle.remove(node)
    else if (node.kind === 'closed') this.#closed.remove(node)
  }
}
