import Database from 'better-sqlite3'

export interface FleetDevice {
  id: number
  ip: string
  /** true: inside the dropped range, must be reported down */
  dropped: boolean
}

/**
 * N loopback devices; round(N·share) of them, spread evenly, sit in 127.66.0.0/16 where the bench's nft
 * rule drops echo requests. The first two reachable ones are ::1 and `localhost`, so that every
 * cycle also has IPv6 and a hostname.
 */
export function makeFleet (n: number, share: number): FleetDevice[] {
  const out: FleetDevice[] = []
  let up = 0
  let down = 0
  for (let i = 0; i < n; i++) {
    const dropped = Math.floor((i + 1) * share) > Math.floor(i * share)
    let ip: string
    if (dropped) {
      ip = `127.66.${Math.floor(down / 250)}.${(down % 250) + 1}`
      down++
    } else {
      ip = up === 0 ? '::1' : up === 1 ? 'localhost' : `127.${1 + Math.floor(up / 62_500)}.${Math.floor((up % 62_500) / 250)}.${(up % 250) + 1}`
      up++
    }
    out.push({ id: i + 1, ip, dropped })
  }
  if (down > 65_000 || up > 62_500 * 60) throw new Error('fleet too large for the address plan')
  return out
}

/** The inventory table with the columns the service reads. */
export function writeInventory (file: string, fleet: FleetDevice[]): void {
  const db = new Database(file)
  try {
    db.exec(`CREATE TABLE inventaris (id INTEGER PRIMARY KEY, ip VARCHAR(255) NOT NULL, hostname VARCHAR(255),
      jenis_barang_id INTEGER NOT NULL DEFAULT 1, id_lokasi INTEGER NOT NULL DEFAULT 1, kondisi VARCHAR(50) NOT NULL DEFAULT 'baik')`)
    const insert = db.prepare('INSERT INTO inventaris (id, ip, hostname) VALUES (?, ?, ?)')
    db.transaction(() => { for (const d of fleet) insert.run(d.id, d.ip, `bench-${d.id}`) })()
  } finally {
    db.close()
  }
}
