import { toDeviceId, type InventoryRow } from './filter-inventory.js'

/** Which part of the inventory this instance monitors. */
export interface Shard {
  index: number
  count: number
}

/**
 * The sharding rule: device `id` belongs to shard `id mod count`. It depends on nothing but the id
 * and the count, so every instance decides alike without talking to the others, and a device changes
 * shard only when SHARD_COUNT changes. Rows without a usable id belong to shard 0, so that the row is
 * reported as skipped by exactly one instance.
 */
export function shardOf (id: InventoryRow['id'], count: number): number {
  const n = toDeviceId(id)
  return n === null ? 0 : n % count
}

export function inShard (id: InventoryRow['id'], shard: Shard): boolean {
  return shard.count === 1 || shardOf(id, shard.count) === shard.index
}

export interface ShardSplit<R> {
  /** this shard's rows, in their order */
  rows: R[]
  /** rows of the other shards: neither monitored nor counted as skipped here */
  otherShard: number
}

export function splitShard<R extends Pick<InventoryRow, 'id'>> (rows: R[], shard: Shard): ShardSplit<R> {
  if (shard.count === 1) return { rows, otherShard: 0 }
  const mine = rows.filter((r) => inShard(r.id, shard))
  return { rows: mine, otherShard: rows.length - mine.length }
}

/** `index/count`, as the X-MPM-Shard header and the logs write it */
export function shardLabel (shard: Shard): string {
  return `${shard.index}/${shard.count}`
}
