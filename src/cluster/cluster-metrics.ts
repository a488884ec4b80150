import { Counter, Gauge, type Registry } from 'prom-client'
import type { Cluster } from './cluster.js'

/** Cluster mode's metric families, read from the cluster's own counters at scrape time. */
export function clusterMetrics (cluster: Cluster): (registry: Registry, prefix: string) => void {
  return (registry, p) => {
    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({ name: p + name, help, registers: [registry], collect () { this.set(read()) } }) // eslint-disable-line no-new
    }
    const counter = (name: string, help: string, read: () => number): void => {
      new Counter({ name: p + name, help, registers: [registry], collect () { this.reset(); this.inc(read()) } }) // eslint-disable-line no-new
    }
    gauge('cluster_members', 'Live cluster members that take partitions, as this instance sees them', () => cluster.status().members.length)
    gauge('cluster_partitions_owned', 'Partitions this instance pings in the current cycle', () => cluster.status().partitions_owned)
    gauge('cluster_fenced', '1 while this instance pings nothing because NATS has not answered for 0.6 x CLUSTER_LEASE', () => cluster.status().fenced ? 1 : 0)
    counter('cluster_handovers_total', 'Partitions released to a new preferred owner at a cycle boundary', () => cluster.status().handovers)
    counter('cluster_takeovers_total', 'Partitions claimed from another owner (released, or gone)', () => cluster.status().takeovers)
    counter('cluster_fences_total', 'Times this instance fenced itself', () => cluster.status().fence_count)
    counter('cluster_duplicate_results_total', 'Partition results published here that another instance had already published for the same cycle', () => cluster.status().duplicate_results)
    // only the partitions that ever missed a cycle get a series: 1,024 idle series would cost every scrape
    new Counter({ // eslint-disable-line no-new
      name: `${p}cluster_missed_cycles_total`,
      help: 'Cycles of a partition (with devices) whose results nobody published, as this instance counted them',
      labelNames: ['partition'],
      registers: [registry],
      collect () {
        this.reset()
        for (const [partition, n] of cluster.fleet.missedCycles().byPartition) this.inc({ partition: String(partition) }, n)
      }
    })
  }
}
