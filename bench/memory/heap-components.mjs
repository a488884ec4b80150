// Where the heap goes, from a V8 heap snapshot: retained sizes over the dominator tree (Cooper, Harvey,
// Kennedy), the largest retainers with their path, and self size by constructor. The per-component
// figures of the README (issue 17) came from it. Hand-written: no maintained npm package computes
// retained sizes from a .heapsnapshot outside DevTools.
//   node --max-old-space-size=12000 bench/memory/heap-components.mjs FILE.heapsnapshot
import { readFileSync } from 'node:fs'
const snap = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const m = snap.snapshot.meta
const NF = m.node_fields.length
const EF = m.edge_fields.length
const nTypes = m.node_fields.indexOf('type')
const nName = m.node_fields.indexOf('name')
const nSize = m.node_fields.indexOf('self_size')
const nEdges = m.node_fields.indexOf('edge_count')
const eType = m.edge_fields.indexOf('type')
const eName = m.edge_fields.indexOf('name_or_index')
const eTo = m.edge_fields.indexOf('to_node')
const nodeTypes = m.node_types[nTypes]
const edgeTypes = m.edge_types[eType]
const nodes = snap.nodes
const edges = snap.edges
const strings = snap.strings
const N = nodes.length / NF
const firstEdge = new Uint32Array(N + 1)
for (let i = 0, e = 0; i < N; i++) { firstEdge[i] = e; e += nodes[i * NF + nEdges] * EF }
firstEdge[N] = edges.length
const WEAK = edgeTypes.indexOf('weak')
const SHORTCUT = edgeTypes.indexOf('shortcut')
const typeOf = (i) => nodeTypes[nodes[i * NF + nTypes]]
const nameOf = (i) => strings[nodes[i * NF + nName]]
const sizeOf = (i) => nodes[i * NF + nSize]
// DFS postorder from root 0
const post = new Int32Array(N).fill(-1)
const order = new Int32Array(N)
let count = 0
{
  const stack = new Int32Array(N * 2 + 10)
  const visited = new Uint8Array(N)
  let sp = 0
  stack[sp++] = 0; stack[sp++] = firstEdge[0]
  visited[0] = 1
  while (sp > 0) {
    const v = stack[sp - 2]
    let e = stack[sp - 1]
    let pushed = false
    while (e < firstEdge[v + 1]) {
      const t = edges[e + eType]
      const to = edges[e + eTo] / NF
      e += EF
      if (t === WEAK || t === SHORTCUT) continue
      if (!visited[to]) {
        visited[to] = 1
        stack[sp - 1] = e
        stack[sp++] = to; stack[sp++] = firstEdge[to]
        pushed = true
        break
      }
    }
    if (!pushed) { sp -= 2; post[v] = count; order[count++] = v }
  }
}
console.error('reachable', count, 'of', N)
// predecessors
const predCount = new Uint32Array(N + 1)
for (let v = 0; v < N; v++) {
  if (post[v] < 0) continue
  for (let e = firstEdge[v]; e < firstEdge[v + 1]; e += EF) {
    const t = edges[e + eType]; if (t === WEAK || t === SHORTCUT) continue
    predCount[edges[e + eTo] / NF]++
  }
}
const predStart = new Uint32Array(N + 1)
for (let i = 0; i < N; i++) predStart[i + 1] = predStart[i] + predCount[i]
const preds = new Int32Array(predStart[N])
const fill = predStart.slice()
for (let v = 0; v < N; v++) {
  if (post[v] < 0) continue
  for (let e = firstEdge[v]; e < firstEdge[v + 1]; e += EF) {
    const t = edges[e + eType]; if (t === WEAK || t === SHORTCUT) continue
    const to = edges[e + eTo] / NF
    preds[fill[to]++] = v
  }
}
const idom = new Int32Array(N).fill(-1)
idom[0] = 0
let changed = true
let rounds = 0
while (changed) {
  changed = false; rounds++
  for (let k = count - 2; k >= 0; k--) {
    const b = order[k]
    let nd = -1
    for (let p = predStart[b]; p < predStart[b + 1]; p++) {
      const q = preds[p]
      if (post[q] < 0 || idom[q] === -1) continue
      if (nd === -1) { nd = q; continue }
      let f1 = q; let f2 = nd
      while (f1 !== f2) {
        while (post[f1] < post[f2]) f1 = idom[f1]
        while (post[f2] < post[f1]) f2 = idom[f2]
      }
      nd = f1
    }
    if (nd !== -1 && idom[b] !== nd) { idom[b] = nd; changed = true }
  }
}
console.error('dominator rounds', rounds)
const retained = new Float64Array(N)
for (let k = 0; k < count; k++) { const v = order[k]; retained[v] += sizeOf(v); if (v !== 0) retained[idom[v]] += retained[v] }
let total = 0
for (let k = 0; k < count; k++) total += sizeOf(order[k])
console.log('total reachable self size MB', (total / 1e6).toFixed(1))
// by constructor (self)
const byName = new Map()
for (let k = 0; k < count; k++) {
  const v = order[k]
  const key = typeOf(v) + ':' + (typeOf(v) === 'string' || typeOf(v) === 'concatenated string' || typeOf(v) === 'sliced string' ? '' : nameOf(v).slice(0, 60))
  const o = byName.get(key) ?? { n: 0, s: 0 }
  o.n++; o.s += sizeOf(v)
  byName.set(key, o)
}
console.log('\n== self size by type:name (top 40)')
for (const [k, o] of [...byName].sort((a, b) => b[1].s - a[1].s).slice(0, 40)) console.log((o.s / 1e6).toFixed(2).padStart(8), 'MB', String(o.n).padStart(9), k)
// largest retainers: nodes with retained > 1MB, and their edge name from idom
function edgeNameTo (from, to) {
  for (let e = firstEdge[from]; e < firstEdge[from + 1]; e += EF) {
    if (edges[e + eTo] / NF === to) {
      const t = edgeTypes[edges[e + eType]]
      return t === 'element' || t === 'hidden' ? `[${edges[e + eName]}]` : String(strings[edges[e + eName]])
    }
  }
  return '?'
}
function path (v) {
  const parts = []
  let x = v
  for (let d = 0; d < 12 && x !== 0; d++) {
    const p = idom[x]
    parts.push(`${edgeNameTo(p, x)}(${typeOf(x)}:${nameOf(x).slice(0, 30)})`)
    x = p
  }
  return parts.reverse().join(' > ')
}
const big = []
for (let k = 0; k < count; k++) { const v = order[k]; if (retained[v] > 1.5e6) big.push(v) }
big.sort((a, b) => retained[b] - retained[a])
console.log('\n== retained > 1.5 MB, not counting nodes whose only child dominates most of it')
for (const v of big.slice(0, 120)) console.log((retained[v] / 1e6).toFixed(2).padStart(8), 'MB', typeOf(v), nameOf(v).slice(0, 40), ' <- ', path(v).slice(-400))
