/**
 * Fixed-size slots for the devices' result rings (DeviceSeries), carved out of shared chunks: one
 * chunk (one ArrayBuffer) holds the rings of thousands of devices. A typed array per ring, as before,
 * made every ring past 64 bytes an ArrayBuffer of its own: a malloc, ~400 bytes of backing-store
 * bookkeeping and an ArrayBuffer object per device, each swept by the GC; at 50,000 devices the rings'
 * first growth (the 9th cycle) added ~20 MB of RSS that way (measured, README issue 17). Written
 * here: no maintained npm package hands out slots of typed-array chunks.
 *
 * A slot is known by its id (chunk index × slots per chunk + slot index) and its capacity. Slots
 * of one capacity come from one class; a chunk whose slots are all released is dropped, so the small
 * rings a fleet grew out of give their memory back.
 */
export class RingSlab {
  private readonly classes = new Map<number, SlotClass>()

  /** a slot for `words` 32-bit words; read its place with chunk() and base() */
  alloc (words: number): number {
    let c = this.classes.get(words)
    if (c === undefined) {
      c = new SlotClass(words)
      this.classes.set(words, c)
    }
    return c.alloc()
  }

  release (words: number, id: number): void {
    this.classOf(words).release(id)
  }

  /** the chunk that holds slot `id` */
  chunk (words: number, id: number): Uint32Array {
    return this.classOf(words).chunkOf(id)
  }

  /** where slot `id` starts in its chunk, in words */
  base (words: number, id: number): number {
    return (id % this.classOf(words).span) * words
  }

  /** bytes of the chunks held (used and free slots) */
  bytes (): number {
    let n = 0
    for (const c of this.classes.values()) n += c.bytes()
    return n
  }

  private classOf (words: number): SlotClass {
    const c = this.classes.get(words)
    if (c === undefined) throw new Error(`no ring slots of ${words} words`)
    return c
  }
}

/** the largest chunk: 256 KB (a ring larger than that gets a chunk to itself) */
const CHUNK_WORDS = 64 * 1024
/** the first chunk of a class holds this many slots; each next one twice as many, up to CHUNK_WORDS */
const FIRST_SLOTS = 16

class SlotClass {
  /** slots per chunk at most: ids are chunk × span + slot */
  readonly span: number
  private readonly chunks: Array<Uint32Array | null> = []
  /** per chunk: slots handed out so far (bump), released slots to hand out again, slots in use */
  private readonly next: number[] = []
  private readonly free: number[][] = []
  private readonly used: number[] = []
  /** chunks with a slot to hand out (bump room or a released one) */
  private readonly open = new Set<number>()
  /** indexes of dropped chunks, to be used again */
  private readonly gone: number[] = []
  private nextSlots = FIRST_SLOTS

  constructor (private readonly words: number) {
    this.span = Math.max(1, Math.floor(CHUNK_WORDS / words))
  }

  alloc (): number {
    let c: number | undefined = this.open.values().next().value
    if (c === undefined) c = this.newChunk()
    const chunk = this.chunks[c] as Uint32Array
    const free = this.free[c]
    let slot: number
    if (free.length > 0) slot = free.pop() as number
    else slot = this.next[c]++
    this.used[c]++
    if (free.length === 0 && this.next[c] * this.words >= chunk.length) this.open.delete(c)
    return c * this.span + slot
  }

  release (id: number): void {
    const c = Math.floor(id / this.span)
    if (--this.used[c] === 0) {
      // nothing left in it: give the memory back
      this.chunks[c] = null
      this.free[c] = []
      this.next[c] = 0
      this.open.delete(c)
      this.gone.push(c)
      return
    }
    this.free[c].push(id - c * this.span)
    this.open.add(c)
  }

  chunkOf (id: number): Uint32Array {
    return this.chunks[Math.floor(id / this.span)] as Uint32Array
  }

  bytes (): number {
    let n = 0
    for (const c of this.chunks) if (c !== null) n += c.byteLength
    return n
  }

  private newChunk (): number {
    const slots = Math.min(this.span, this.nextSlots)
    this.nextSlots = Math.min(this.span, this.nextSlots * 2)
    const c = this.gone.pop() ?? this.chunks.length
    this.chunks[c] = new Uint32Array(slots * this.words)
    this.next[c] = 0
    this.free[c] = []
    this.used[c] = 0
    this.open.add(c)
    return c
  }
}
