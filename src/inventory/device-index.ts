import type { Device } from './filter-inventory.js'

/**
 * Device id → position in a device list, without a Map entry per device. The lists the stages get
 * are sorted by id (filterInventory sorts them; a cluster partition filters that order), so a binary
 * search over the ids finds any one, and a cycle's rows, which come in the list's order, are found at
 * the position after the previous one in one comparison. A Map of 50,000 ids costs ~1.8 MB of heap
 * (measured in a heap snapshot of the 50,000-device bench), this 8 bytes a device. A list that is not
 * sorted (or has an id twice) gets a Map instead: the same answers, the old cost.
 */
export class DeviceIndex {
  private readonly ids: Float64Array
  private readonly map: Map<number, number> | null
  /** where the next lookup looks first: just after the last position found */
  private hint = 0

  constructor (devices: readonly Device[]) {
    const ids = new Float64Array(devices.length)
    let sorted = true
    for (let i = 0; i < devices.length; i++) {
      ids[i] = devices[i].device_id
      if (i > 0 && !(ids[i] > ids[i - 1])) sorted = false
    }
    this.ids = ids
    this.map = sorted ? null : new Map(devices.map((d, i) => [d.device_id, i]))
  }

  get size (): number {
    return this.ids.length
  }

  /** the position of a device id in the list, or -1 */
  indexOf (id: number): number {
    if (this.map !== null) return this.map.get(id) ?? -1
    const ids = this.ids
    const h = this.hint
    if (h < ids.length && ids[h] === id) {
      this.hint = h + 1
      return h
    }
    let lo = 0
    let hi = ids.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      const v = ids[mid]
      if (v < id) lo = mid + 1
      else if (v > id) hi = mid - 1
      else {
        this.hint = mid + 1
        return mid
      }
    }
    return -1
  }

  has (id: number): boolean {
    return this.indexOf(id) !== -1
  }
}

/** ids up to this are kept in the direct table; beyond it (or below 0, or not whole) in a Map */
const DIRECT_MAX = 1 << 24

/**
 * Device id → a small number (a slot in the columns of a per-device table), for tables that are keyed
 * by id and filled as results come (in no particular order). Inventory ids are the database's
 * auto-increment keys: an Int32Array indexed by id holds them in 4 bytes per id up to the largest, where
 * a Map entry costs ~36 bytes and, at 50,000 devices, a 1.8 MB table that V8 moves as one large object.
 * Ids that are not small whole numbers go to a Map; the direct table grows only to 4 times the number of
 * ids it holds (beyond that an id goes to the Map too), so scattered ids cannot make it huge.
 */
export class IdSlots {
  private direct = new Int32Array(0)
  private directCount = 0
  private readonly other = new Map<number, number>()

  get size (): number {
    return this.directCount + this.other.size
  }

  /** the id's slot, or -1 */
  get (id: number): number {
    if (id >= 0 && id < this.direct.length && Number.isInteger(id)) {
      const s = this.direct[id]
      if (s !== -1) return s
    }
    return this.other.get(id) ?? -1
  }

  set (id: number, slot: number): void {
    if (Number.isInteger(id) && id >= 0 && id < DIRECT_MAX && this.other.get(id) === undefined) {
      if (id >= this.direct.length) this.growTo(id)
      if (id < this.direct.length) {
        if (this.direct[id] === -1) this.directCount++
        this.direct[id] = slot
        return
      }
    }
    this.other.set(id, slot)
  }

  delete (id: number): void {
    if (id >= 0 && id < this.direct.length && Number.isInteger(id) && this.direct[id] !== -1) {
      this.direct[id] = -1
      this.directCount--
      return
    }
    this.other.delete(id)
  }

  /** [id, slot] of every id held */
  * entries (): IterableIterator<[number, number]> {
    const d = this.direct
    for (let id = 0; id < d.length; id++) if (d[id] !== -1) yield [id, d[id]]
    yield * this.other.entries()
  }

  private growTo (id: number): void {
    const want = Math.max(1024, 2 ** Math.ceil(Math.log2(id + 1)))
    // scattered ids: the table stays within 4 entries per id held
    if (want > 4 * (this.size + 1) && want > 1024) return
    const grown = new Int32Array(want).fill(-1)
    grown.set(this.direct)
    this.direct = grown
  }
}
