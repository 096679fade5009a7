/** How numbers, money and times read on the dashboard (the browser's own `Intl`, no library). */

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" })
const time = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" })
const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 })
const percent = new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 1 })

export const formatDateTime = (date: Date): string => dateTime.format(date)
export const formatTime = (date: Date): string => time.format(date)
export const formatCount = (n: number): string => integer.format(n)
export const formatPercent = (ratio: number): string => percent.format(ratio)
export const formatMs = (ms: number): string =>
  ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`

/** Dollars with enough decimals that a fraction of a cent still shows. */
export const formatUsd = (usd: number): string =>
  usd === 0 ? "$0.00" : usd >= 0.01 ? `$${usd.toFixed(2)}` : `$${usd.toPrecision(2)}`

/** Integer micro-dollars as dollars. */
export const formatMicros = (micros: number): string => formatUsd(micros / 1_000_000)
