/**
 * Spreads an alias's load over its deployments by weight: a weighted random order (the first is
 * the deployment that gets the request, the rest are its fallbacks in the same group). A
 * deployment is first with probability weight / total weight (Efraimidis–Spirakis sampling:
 * each item draws u^(1/weight), highest first). A weight of 0 puts a deployment last: it is
 * tried only when every weighted one has failed.
 */
import { Effect, Random } from "effect"

/** A random order of `items`, each first with probability proportional to its weight. */
export const weightedOrder = <A>(
  items: ReadonlyArray<A>,
  weightOf: (item: A) => number,
  random: () => number
): Array<A> => {
  if (items.length < 2) return [...items]
  return items
    .map((item) => {
      const weight = weightOf(item)
      return { item, key: weight > 0 ? random() ** (1 / weight) : -1 }
    })
    .sort((a, b) => b.key - a.key)
    .map(({ item }) => item)
}

/** `weightedOrder` drawing from the `Random` service (deterministic under a seeded `Random`). */
export const order = <A>(items: ReadonlyArray<A>, weightOf: (item: A) => number): Effect.Effect<Array<A>> =>
  items.length < 2
    ? Effect.succeed([...items])
    : Effect.map(
        Effect.forEach(items, () => Random.next),
        (draws) => {
          let i = 0
          return weightedOrder(items, weightOf, () => draws[i++]!)
        }
      )
