/**
 * `bun run bench:ledger [--sizes=100000,10000000] [--runs=30] [--ingest=200000] [--rate=20000]
 * [--seconds=15] [--keep]`: the ledger's benchmark. Its code lives in the ledger package
 * (packages/ledger/bench/), where its dependencies resolve.
 */
import { fileURLToPath } from "node:url"
import { main } from "../packages/ledger/bench/LedgerBench.ts"

await main(process.argv.slice(2), fileURLToPath(new URL("./results", import.meta.url)))
