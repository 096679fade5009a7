/**
 * Reads JavaScriptCore's collection log (`BUN_JSC_logGC=1`) per heap: each thread of a bun process
 * (the main thread, every Worker) has a heap of its own, named by its address in every line:
 *
 *   [GC<0x3ad31800118>: START M 8789kb => EdenCollection, … => 1455kb, p=17.62ms (max …), cycle … END]
 *
 * Bytes allocated between two collections = the heap's size when the next one starts minus its
 * size after the previous one ended. With `BUN_GC_TIMER_DISABLE=1` collections happen only when
 * the allocation budget is spent, so the sum over a run is what the run allocated.
 */

/** One heap's collections over a stretch of log. */
export interface HeapCollections {
  /** The heap's address, as the log names it. */
  readonly heap: string
  /** Order in which the heap first appeared in the whole log (0: the main thread's). */
  readonly order: number
  readonly collections: number
  readonly edenCollections: number
  /** KB allocated in the stretch (sum of before − previous after). */
  readonly allocatedKb: number
  /** Pause of each collection, ms. */
  readonly pausesMs: ReadonlyArray<number>
  /** Heap size after the last collection of the stretch, KB. */
  readonly lastAfterKb: number
}

const LINE = /^\[GC<(0x[0-9a-f]+)>: START \S+ (\d+)kb => (\w+),.*=> (\d+)kb, p=([\d.]+)ms/

/** Heaps in order of first appearance in `fullLog`, and their collections within `stretch`. */
export const readGcLog = (fullLog: string, stretch: string): Array<HeapCollections> => {
  const order = new Map<string, number>()
  for (const match of fullLog.matchAll(/\[GC<(0x[0-9a-f]+)>/g)) {
    if (!order.has(match[1]!)) order.set(match[1]!, order.size)
  }
  // The size after the collection before the stretch, per heap, so its first gap counts too.
  const before = fullLog.slice(0, Math.max(0, fullLog.length - stretch.length))
  const lastAfter = new Map<string, number>()
  for (const line of before.split("\n")) {
    const match = LINE.exec(line)
    if (match) lastAfter.set(match[1]!, Number(match[4]))
  }
  const heaps = new Map<
    string,
    { collections: number; eden: number; allocated: number; pauses: Array<number>; after: number }
  >()
  for (const line of stretch.split("\n")) {
    const match = LINE.exec(line)
    if (!match) continue
    const [, heap, sizeBefore, kind, sizeAfter, pause] = match
    const entry = heaps.get(heap!) ?? { collections: 0, eden: 0, allocated: 0, pauses: [], after: 0 }
    const previous = entry.collections === 0 ? lastAfter.get(heap!) : entry.after
    if (previous !== undefined) entry.allocated += Math.max(0, Number(sizeBefore) - previous)
    entry.collections++
    if (kind === "EdenCollection") entry.eden++
    entry.pauses.push(Number(pause))
    entry.after = Number(sizeAfter)
    heaps.set(heap!, entry)
  }
  return [...heaps.entries()]
    .map(([heap, e]) => ({
      heap,
      order: order.get(heap) ?? -1,
      collections: e.collections,
      edenCollections: e.eden,
      allocatedKb: e.allocated,
      pausesMs: e.pauses,
      lastAfterKb: e.after
    }))
    .sort((a, b) => a.order - b.order)
}

/** The q-quantile (0–1) of `values`, nearest rank. */
export const quantile = (values: ReadonlyArray<number>, q: number): number => {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}
