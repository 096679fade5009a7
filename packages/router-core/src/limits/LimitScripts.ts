/**
 * The Redis side of the limiter: two Lua scripts, each one atomic step on the server (Redis runs
 * a script to completion before any other command), so N router instances admitting at once can
 * never both see the same free unit. Time comes from the Redis server (`TIME`), so instances with
 * different clocks still share one notion of "now" for the rate windows.
 *
 * Every request has three scope slots: slot 0 is the key's limits, slot 1 the user's, slot 2 the
 * user's rate on one family of routes; a slot whose limits are all zero is skipped. All keys of one request carry the user's hash tag, so the
 * scripts also run on Redis Cluster.
 *
 * The arithmetic mirrors `TokenBucket.ts` and `MemoryStore.ts` line for line.
 */

const prelude = `
local WINDOW = 60000
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)

local function levelOf(key, cap)
  local v = redis.call('HMGET', key, 'l', 't')
  if not v[1] then return cap end
  local lvl = tonumber(v[1]) + math.max(0, now - tonumber(v[2])) * cap / WINDOW
  if lvl > cap then return cap end
  return lvl
end

local function msUntil(cap, lvl, target)
  if lvl >= target then return 0 end
  return math.ceil((target - lvl) * WINDOW / cap)
end

local function whole(lvl)
  if lvl > 0 then return math.floor(lvl) end
  return 0
end

local function store(key, cap, lvl)
  if lvl > cap then lvl = cap end
  redis.call('HSET', key, 'l', lvl, 't', now)
  -- A bucket that has refilled completely is the same as no bucket: let it expire then.
  redis.call('PEXPIRE', key, msUntil(cap, lvl, cap) + 1000)
end
`

/** Scope slots per request: key, user, route. */
export const SLOTS = 3

/**
 * Admit. KEYS (12): per slot s, at 4s+1..4s+4: rpm bucket, tpm bucket, concurrency leases (sorted
 * set scored by expiry), budget counter (named after the period).
 * ARGV: 1 estimated tokens, 2 estimated cost (integer micro-dollars), 3 lease id, 4 lease TTL ms;
 * per slot s at 5+5s..9+5s: rpm, tpm, concurrency (0 = none), budget amount (-1 = none), budget
 * counter TTL ms (period end + settle grace), then 20, 21, 22: budget reset ms for slots 0 to 2.
 *
 * Returns `{1, reqLimit, reqRemaining, reqResetMs, tokLimit, tokRemaining, tokResetMs}` (limit 0:
 * no such window) or `{0, kind, slot, limit, remaining, resetMs, ...same six}` where kind is
 * 1 requests, 2 tokens, 3 concurrency, 4 budget.
 */
export const admit = `${prelude}
local estTokens = tonumber(ARGV[1])
local estCost = tonumber(ARGV[2])
local lease = ARGV[3]
local leaseTtl = tonumber(ARGV[4])

local function tighter(current, cap, lvl)
  local w = {cap, whole(lvl), msUntil(cap, lvl, cap)}
  if current == nil or w[2] < current[2] then return w end
  return current
end

local function withWindows(out, requests, tokens)
  for _, w in ipairs({requests or {0, 0, 0}, tokens or {0, 0, 0}}) do
    out[#out + 1] = w[1]
    out[#out + 1] = w[2]
    out[#out + 1] = w[3]
  end
  return out
end

local slots = {}
local requests = nil
local tokens = nil
for s = 0, 2 do
  local a = 5 + s * 5
  local slot = {
    k = s * 4,
    rpm = tonumber(ARGV[a]),
    tpm = tonumber(ARGV[a + 1]),
    conc = tonumber(ARGV[a + 2]),
    budget = tonumber(ARGV[a + 3]),
    budgetTtl = tonumber(ARGV[a + 4]),
    budgetReset = tonumber(ARGV[20 + s]),
    r = 0,
    t = 0
  }
  if slot.rpm > 0 then
    slot.r = levelOf(KEYS[slot.k + 1], slot.rpm)
    requests = tighter(requests, slot.rpm, slot.r)
  end
  if slot.tpm > 0 then
    slot.t = levelOf(KEYS[slot.k + 2], slot.tpm)
    tokens = tighter(tokens, slot.tpm, slot.t)
  end
  slots[s] = slot
end

for s = 0, 2 do
  local slot = slots[s]
  if slot.rpm > 0 and slot.r < 1 then
    return withWindows({0, 1, s, slot.rpm, whole(slot.r), msUntil(slot.rpm, slot.r, 1)}, requests, tokens)
  end
  if slot.tpm > 0 then
    local need = math.min(estTokens, slot.tpm)
    if not (slot.t > 0 and slot.t >= need) then
      return withWindows({0, 2, s, slot.tpm, whole(slot.t), msUntil(slot.tpm, slot.t, math.max(need, 1))}, requests, tokens)
    end
  end
  if slot.conc > 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[slot.k + 3], '-inf', now)
    if redis.call('ZCARD', KEYS[slot.k + 3]) >= slot.conc then
      return withWindows({0, 3, s, slot.conc, 0, 1000}, requests, tokens)
    end
  end
  if slot.budget >= 0 then
    local spent = tonumber(redis.call('GET', KEYS[slot.k + 4]) or '0')
    if spent >= slot.budget or spent + estCost > slot.budget then
      return withWindows({0, 4, s, slot.budget, math.max(0, slot.budget - spent), slot.budgetReset}, requests, tokens)
    end
  end
end

-- Every limit admits the request: charge them all.
requests = nil
tokens = nil
for s = 0, 2 do
  local slot = slots[s]
  if slot.rpm > 0 then
    store(KEYS[slot.k + 1], slot.rpm, slot.r - 1)
    requests = tighter(requests, slot.rpm, slot.r - 1)
  end
  if slot.tpm > 0 then
    store(KEYS[slot.k + 2], slot.tpm, slot.t - estTokens)
    tokens = tighter(tokens, slot.tpm, slot.t - estTokens)
  end
  if slot.conc > 0 then
    redis.call('ZADD', KEYS[slot.k + 3], now + leaseTtl, lease)
    redis.call('PEXPIRE', KEYS[slot.k + 3], leaseTtl)
  end
  if slot.budget >= 0 then
    redis.call('INCRBY', KEYS[slot.k + 4], ARGV[2])
    redis.call('PEXPIRE', KEYS[slot.k + 4], slot.budgetTtl)
  end
end
return withWindows({1}, requests, tokens)
`

/**
 * Settle: correct the reservation to the real usage and free the concurrency slot.
 * KEYS (9): per slot s at 3s+1..3s+3: tpm bucket, concurrency leases, budget counter.
 * ARGV: 1 token delta (actual − estimate), 2 cost delta (micro-dollars), 3 lease id to free ('' to
 * keep it); per slot s at 4+3s..6+3s: tpm (0 = none), concurrency (0 = none), budget (0/1).
 * A budget counter that has already expired (settled after its period's grace) is left alone.
 */
export const settle = `${prelude}
local tokenDelta = tonumber(ARGV[1])
local costDelta = tonumber(ARGV[2])
local lease = ARGV[3]
for s = 0, 2 do
  local k = s * 3
  local a = 4 + s * 3
  local tpm = tonumber(ARGV[a])
  if tpm > 0 and tokenDelta ~= 0 then
    store(KEYS[k + 1], tpm, levelOf(KEYS[k + 1], tpm) - tokenDelta)
  end
  if tonumber(ARGV[a + 1]) > 0 and lease ~= '' then
    redis.call('ZREM', KEYS[k + 2], lease)
  end
  if tonumber(ARGV[a + 2]) > 0 and costDelta ~= 0 and redis.call('EXISTS', KEYS[k + 3]) == 1 then
    redis.call('INCRBY', KEYS[k + 3], ARGV[2])
  end
end
return 1
`
