/**
 * Ids of the Responses the gateway writes itself (translated answers): OpenAI's prefixes, random.
 */

const hex = () => crypto.randomUUID().replaceAll("-", "")

/** A fresh Response id, `resp_…`. */
export const newResponseId = (): string => `resp_${hex()}${hex().slice(0, 16)}`

/** A fresh output item id: `msg_…` (message), `fc_…` (function call), `rs_…` (reasoning). */
export const newItemId = (prefix: "msg_" | "fc_" | "rs_"): string => `${prefix}${hex()}${hex().slice(0, 16)}`
