/**
 * Budget periods are UTC calendar days and months. A period has an id (part of the counter's
 * name, so a new period starts from zero without any reset job) and an end.
 */
import type { BudgetPeriod } from "@switchyard/domain"

/** A budget period containing some instant. */
export interface PeriodWindow {
  /** `2025-11-23` for a day, `2025-11` for a month. */
  readonly id: string
  /** When the period ends (epoch milliseconds). */
  readonly endsAt: number
}

const pad = (n: number) => (n < 10 ? `0${n}` : String(n))

/** The period of kind `period` containing the instant `now` (epoch milliseconds). */
export const windowAt = (period: BudgetPeriod, now: number): PeriodWindow => {
  const date = new Date(now)
  const year = date.getUTCFullYear()
  const month = date.getUTCMonth()
  if (period === "month") {
    return { id: `${year}-${pad(month + 1)}`, endsAt: Date.UTC(year, month + 1, 1) }
  }
  const day = date.getUTCDate()
  return { id: `${year}-${pad(month + 1)}-${pad(day)}`, endsAt: Date.UTC(year, month, day + 1) }
}

/**
 * How long a period's counter is kept after the period ends, so that a request admitted just
 * before the end can still settle its real cost against the period it reserved in.
 */
export const SETTLE_GRACE_MS = 24 * 60 * 60 * 1000
