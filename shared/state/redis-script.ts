/**
 * The Redis backend's only script: read a document with the Redis clock, or compare-and-set it. Business logic
 * never lives here (it is the machines' pure transitions, run by the Worker between a read and a CAS); this only
 * makes "write if nobody wrote since I read" atomic. Kept free of imports so a bridge allow-list can register its
 * hash (`STATE_SCRIPT_SHA1`, checked against the text by the tests).
 *
 * KEYS[1]  the document key
 * ARGV[1]  'read' | 'cas'
 * read  -> { now ms, stored value or nil }
 * cas   ARGV[2] version read ('' when there was no value), ARGV[3] new stored value ('' deletes),
 *       ARGV[4] expiry in epoch ms ('' for none)
 *       -> { 1 } when written;
 *          { 0, now ms, stored value or nil } when the stored version is no longer ARGV[2] (someone wrote
 *          first): the loser retries on that value without another read.
 *
 * A script rather than GET, so reads go where writes go (a replica could answer GET with a stale value) and carry
 * the one clock every replica shares. Stored values start `s1|<version>|`; anything else has no version and never
 * matches, so a corrupt value is never overwritten by accident.
 */
export const STATE_SCRIPT = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local current = redis.call('GET', KEYS[1])
if ARGV[1] == 'read' then
  return { now, current }
end
if ARGV[1] ~= 'cas' then
  return redis.error_reply('ERR unknown mode')
end
local version = ''
if current then
  version = string.match(current, '^s1|([%w_-]+)|') or '!'
end
if version ~= ARGV[2] then
  return { 0, now, current }
end
if ARGV[3] == '' then
  redis.call('DEL', KEYS[1])
  return { 1 }
end
if ARGV[4] == '' then
  redis.call('SET', KEYS[1], ARGV[3])
  return { 1 }
end
local at = tonumber(ARGV[4])
if at == nil then
  return redis.error_reply('ERR invalid expiry')
end
if at <= now then
  redis.call('DEL', KEYS[1])
  return { 1 }
end
redis.call('SET', KEYS[1], ARGV[3], 'PXAT', ARGV[4])
return { 1 }
`;

/** SHA-1 of STATE_SCRIPT (EVALSHA name; what an allow-list registers). */
export const STATE_SCRIPT_SHA1 = '6df1ecf1b940b6e5ef3b48e387b03cfb2bcca11d';
