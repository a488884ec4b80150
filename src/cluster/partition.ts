import { hash32 } from './hash.js'

/**
 * The partition of a device: hash of its id mod the partition count. It depends on nothing but the
 * id and CLUSTER_PARTITIONS, so every instance agrees without talking, and the partitions do not
 * change when instances come and go (only their owners do).
 */
export function partitionOf (deviceId: number, partitions: number): number {
  return hash32(String(deviceId)) % partitions
}
