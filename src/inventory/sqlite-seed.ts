import type { Knex } from 'knex'

/** The same columns as the inventory application's `inventaris` table (../shared/fixtures/inventaris.sql). */
export async function ensureSqliteInventory (knex: Knex): Promise<{ created: boolean, seeded: number }> {
  const exists = await knex.schema.hasTable('inventaris')
  if (!exists) {
    await knex.schema.createTable('inventaris', (t) => {
      t.bigIncrements('id').primary()
      t.string('ip', 255).notNullable().index('inventaris_ip_index')
      t.string('hostname', 255).nullable()
      t.text('spesifikasi').nullable()
      t.integer('asal_rak').nullable()
      t.string('serial_number', 255).nullable().unique()
      t.string('product_number', 255).nullable()
      t.bigInteger('who_fixes').unsigned().nullable()
      t.bigInteger('barang_id').unsigned().nullable()
      t.bigInteger('jenis_barang_id').unsigned().notNullable()
      t.string('os', 255).nullable()
      t.string('merk', 255).nullable()
      t.bigInteger('id_lokasi').unsigned().notNullable().index('inventaris_id_lokasi_index')
      t.string('kondisi', 50).notNullable().defaultTo('baik').index('inventaris_kondisi_index')
      t.date('tenggat_maintenance').nullable()
      t.timestamp('created_at').nullable()
      t.timestamp('updated_at').nullable()
    })
  }
  const [{ n }] = await knex('inventaris').count({ n: '*' })
  if (Number(n) > 0) return { created: !exists, seeded: 0 }
  const now = new Date().toISOString()
  const demo = [
    { ip: '127.0.0.1', hostname: 'demo-gateway', kondisi: 'baik' },
    { ip: '127.0.0.2', hostname: 'demo-switch-1', kondisi: 'baik' },
    { ip: '127.0.0.3', hostname: 'demo-printer', kondisi: 'maintenance' },
    { ip: '::1', hostname: 'demo-ipv6-host', kondisi: 'baik' },
    { ip: 'localhost', hostname: null, kondisi: 'baik' },
    { ip: '127.0.0.9', hostname: 'demo-lost-laptop', kondisi: 'hilang' }
  ]
  await knex('inventaris').insert(demo.map((d) => ({ ...d, jenis_barang_id: 1, id_lokasi: 1, created_at: now, updated_at: now })))
  return { created: !exists, seeded: demo.length }
}
