/**
 * JSON answers for the routes beside the hot path.
 */

/** A JSON response. */
export const jsonResponse = (
  status: number,
  body: unknown,
  headers?: Readonly<Record<string, string>>
): Response =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers }
  })
