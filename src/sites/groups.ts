import type { Device } from '../inventory/filter-inventory.js'
import type { MaintenanceStatus } from '../schemas/device-facts.js'
import type { DeviceState } from '../state/device-state.js'

export type GroupBy = 'location' | 'type' | 'rack'
export const GROUP_BY: readonly GroupBy[] = ['location', 'type', 'rack']

/** A group's verdict, worst first: the order /api/ping/groups sorts by. */
export const GROUP_STATES = ['down', 'unreachable', 'degraded', 'flapping', 'up', 'unknown'] as const
export type GroupState = typeof GROUP_STATES[number]
const RANK: Record<GroupState, number> = Object.fromEntries(GROUP_STATES.map((s, i) => [s, i])) as Record<GroupState, number>

export interface Group {
  /** location or type id (null: devices without one); for racks, null */
  id: number | null
  name: string
  total: number
  up: number
  down: number
  unreachable: number
  flapping: number
  unknown: number
  /** devices in maintenance (also counted in their state) */
  maintenance: number
  state: GroupState
}

export interface GroupRule {
  minDown: number
  ratio: number
}

/**
 * A group's state: `down` when the site rule holds (at least `minDown` of its devices not in
 * maintenance down, and at least `ratio` of them); else `unreachable` when some of its devices are
 * behind down uplinks; else `degraded` when some are down; else `flapping`, `up`, and `unknown` for a
 * group without any result yet.
 */
export function groupState (g: Group, downOutsideMaintenance: number, totalOutsideMaintenance: number, rule: GroupRule): GroupState {
  if (downOutsideMaintenance >= rule.minDown && downOutsideMaintenance >= rule.ratio * totalOutsideMaintenance) return 'down'
  if (g.unreachable > 0) return 'unreachable'
  if (g.down > 0) return 'degraded'
  if (g.flapping > 0) return 'flapping'
  if (g.up > 0) return 'up'
  return 'unknown'
}

/** Worst first: by state (GROUP_STATES), then by the share of devices down or unreachable, then by name. */
export function compareGroups (a: Group, b: Group): number {
  return RANK[a.state] - RANK[b.state] ||
    (b.down + b.unreachable) / b.total - (a.down + a.unreachable) / a.total ||
    a.name.localeCompare(b.name)
}

function keyOf (d: Device, by: GroupBy): { key: string | number, id: number | null, name: string } {
  if (by === 'rack') return { key: d.rack ?? '', id: null, name: d.rack ?? 'Tanpa rak' }
  const ref = by === 'location' ? d.location : d.type
  return { key: ref.id ?? -1, id: ref.id, name: ref.name }
}

/** The devices counted by group, in one pass. `stateOf` is the state shown (unreachable included). */
export function computeGroups (devices: Device[], by: GroupBy, stateOf: (id: number) => DeviceState, maintenanceOf: (d: Device) => MaintenanceStatus, rule: GroupRule): Group[] {
  const groups = new Map<string | number, { g: Group, downOut: number, totalOut: number }>()
  for (const d of devices) {
    const k = keyOf(d, by)
    let e = groups.get(k.key)
    if (e === undefined) {
      e = { g: { id: k.id, name: k.name, total: 0, up: 0, down: 0, unreachable: 0, flapping: 0, unknown: 0, maintenance: 0, state: 'unknown' }, downOut: 0, totalOut: 0 }
      groups.set(k.key, e)
    }
    const s = stateOf(d.device_id)
    const g = e.g
    g.total++
    g[s]++
    if (maintenanceOf(d).active) {
      g.maintenance++
    } else {
      e.totalOut++
      if (s === 'down' || s === 'unreachable') e.downOut++
    }
  }
  const out: Group[] = []
  for (const e of groups.values()) {
    e.g.state = groupState(e.g, e.downOut, e.totalOut, rule)
    out.push(e.g)
  }
  return out.sort(compareGroups)
}

/** The groups, computed at most once per cycle and only when asked for (a cycle nobody reads costs nothing). */
export class GroupsCache {
  private readonly cached = new Map<GroupBy, Group[]>()

  constructor (private readonly compute: (by: GroupBy) => Group[]) {}

  /** A cycle, an inventory change or a site verdict changed what the groups show. */
  invalidate (): void {
    this.cached.clear()
  }

  get (by: GroupBy): Group[] {
    let g = this.cached.get(by)
    if (g === undefined) {
      g = this.compute(by)
      this.cached.set(by, g)
    }
    return g
  }
}
