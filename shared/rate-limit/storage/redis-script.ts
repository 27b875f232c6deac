/**
 * The token bucket with leases as one atomic Redis Lua script: the same algorithm as ../domain/token-bucket.ts,
 * line for line (test/node/rate-limit-redis.test.ts runs both on the same operation sequences and compares).
 * Kept free of imports so Node tests can load it.
 *
 * KEYS[1]  the bucket key
 * ARGV[1]  'acquire' | 'charge'
 * ARGV[2]  capacity           ARGV[3]  refill per second
 * ARGV[4]  cost               ARGV[5]  lease wanted          ARGV[6]  lease TTL (ms)
 * ARGV[7]  returns as "id=unspent;id=unspent" or ""
 * ARGV[8]  "" to use the Redis clock (production); a millisecond time only for deterministic tests
 *
 * The clock is Redis's (TIME), one clock for every replica. State is one string:
 *   tokens|updatedAt|epoch|nextLeaseId|lease;lease...   with lease = id,amount,expiresAt
 * The key expires once the bucket would be full with nothing lent, so idle keys vanish. The epoch is the creation
 * time in microseconds: a key lives at least 1 ms, so two incarnations never share one and a stale lease return
 * can never match a newer lease.
 *
 * Reply: { allowed 0|1, remaining, retryAfterMs, resetMs, leaseId or "", leaseAmount, leaseTtlMs }
 */
export const TOKEN_BUCKET_LUA = `
local MAX_LEASES = 64
local MAX_WAIT = 86400000
local cap = tonumber(ARGV[2])
local rate = tonumber(ARGV[3]) / 1000
local time = redis.call('TIME')
local now
if ARGV[8] ~= nil and ARGV[8] ~= '' then
  now = tonumber(ARGV[8])
else
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

local tokens, updated, epoch, nextId
local leases = {}
local raw = redis.call('GET', KEYS[1])
if raw then
  local f = {}
  for part in string.gmatch(raw, '([^|]*)|?') do table.insert(f, part) end
  tokens = tonumber(f[1]); updated = tonumber(f[2]); epoch = f[3]; nextId = tonumber(f[4])
  if f[5] and f[5] ~= '' then
    for id, amount, exp in string.gmatch(f[5], '([^,;]+),([^,;]+),([^,;]+)') do
      table.insert(leases, { id = id, amount = tonumber(amount), exp = tonumber(exp) })
    end
  end
else
  tokens = cap; updated = now; epoch = time[1] .. string.format('%06d', tonumber(time[2])); nextId = 1
end

local function outstanding()
  local s = 0
  for _, l in ipairs(leases) do s = s + l.amount end
  return s
end

-- advance: expire leases and refill piecewise, capped at capacity - outstanding
if now > updated then
  local t = updated
  local out = outstanding()
  local keep = {}
  for _, l in ipairs(leases) do
    if l.exp <= now then
      if l.exp > t then
        tokens = math.min(cap - out, tokens + rate * (l.exp - t))
        t = l.exp
      end
      out = out - l.amount
    else
      table.insert(keep, l)
    end
  end
  tokens = math.min(cap - out, tokens + rate * (now - t))
  updated = now
  leases = keep
end

local function msUntil(target)
  if tokens >= target then return 0 end
  if target > cap then return MAX_WAIT end
  local t = updated
  local tk = tokens
  local out = outstanding()
  for _, l in ipairs(leases) do
    local c = cap - out
    if target <= c then
      local reach = t + (target - tk) / rate
      if reach <= l.exp then return math.min(MAX_WAIT, math.ceil(reach - updated)) end
    end
    if l.exp > t then
      tk = math.min(c, tk + rate * (l.exp - t))
      t = l.exp
    end
    out = out - l.amount
  end
  return math.min(MAX_WAIT, math.ceil(t + (target - tk) / rate - updated))
end

local reply
if ARGV[1] == 'charge' then
  local cost = tonumber(ARGV[4])
  if tokens >= cost then tokens = tokens - cost else tokens = math.min(tokens, 0) end
  reply = { 1, 0, 0, 0, '', 0, 0 }
else
  if ARGV[7] ~= '' then
    for id, unspent in string.gmatch(ARGV[7], '([^=;]+)=([^=;]+)') do
      for i, l in ipairs(leases) do
        if l.id == id then
          tokens = tokens + math.max(0, math.min(l.amount, math.floor(tonumber(unspent))))
          table.remove(leases, i)
          break
        end
      end
    end
  end
  local cost = math.max(0, tonumber(ARGV[4]))
  if tokens < cost then
    reply = { 0, math.max(0, math.floor(tokens)), math.max(1, msUntil(cost)), msUntil(cap), '', 0, 0 }
  else
    tokens = tokens - cost
    local want = tonumber(ARGV[5])
    local ttl = tonumber(ARGV[6])
    local grant = 0
    if want > 0 and #leases < MAX_LEASES then
      grant = math.max(0, math.min(math.floor(want), math.floor(tokens / 2)))
    end
    local leaseId = ''
    if grant > 0 then
      leaseId = epoch .. '.' .. nextId
      nextId = nextId + 1
      tokens = tokens - grant
      local record = { id = leaseId, amount = grant, exp = updated + ttl }
      local pos = #leases + 1
      while pos > 1 and leases[pos - 1].exp > record.exp do pos = pos - 1 end
      table.insert(leases, pos, record)
    end
    reply = { 1, math.max(0, math.floor(tokens)), 0, msUntil(cap), leaseId, grant, grant > 0 and ttl or 0 }
  end
end

local parts = {}
for _, l in ipairs(leases) do
  table.insert(parts, l.id .. ',' .. string.format('%.17g', l.amount) .. ',' .. string.format('%.17g', l.exp))
end
local state = string.format('%.17g', tokens) .. '|' .. string.format('%.17g', updated) .. '|' .. epoch .. '|' ..
  string.format('%.17g', nextId) .. '|' .. table.concat(parts, ';')
redis.call('SET', KEYS[1], state, 'PX', math.max(1000, msUntil(cap) + 1000))
return reply
`;
