-- tickguard-redis: one machine word under KEYS[1], read and compare-and-set
-- in one round trip. Every reply carries the server's clock (TIME), the one
-- clock every host's ticks are read from.
--
-- ARGV[1]  "load", "check", "cas" or "cas2"
-- ARGV[2]  check, cas, cas2: the value the caller stepped from ("" for no key)
-- ARGV[3]  cas, cas2: the value to install ("" deletes the key)
-- ARGV[4]  cas, cas2: the caller's tick (microseconds of this server's clock)
-- ARGV[5]  cas, cas2: milliseconds until the installed value expires ("0": never)
-- ARGV[6]  cas2: the value KEYS[2] must hold (a word the step read: a
--          breaker's state beside its failure-rate window)
--
-- Reply: { status, value, seconds, microseconds }, the last two TIME's.
--   0  load: the key's value ("" for none); check, cas: done (nothing
--      differs; cas installed its value)
--   1  check, cas: the key holds another value, given; nothing written
--   2  cas, cas2: the caller's tick is ahead of this server's clock;
--      nothing written (a host's clock may lag the server's, never lead it)
--   3  cas2: KEYS[2] holds another value, given; nothing written
-- A key of another Redis type fails with WRONGTYPE: refused, never read.
local time = redis.call('TIME')
local current = redis.call('GET', KEYS[1])
if not current then
  current = ''
end
local op = ARGV[1]
if op == 'load' then
  return { 0, current, time[1], time[2] }
end
if current ~= ARGV[2] then
  return { 1, current, time[1], time[2] }
end
if op == 'cas2' then
  local guard = redis.call('GET', KEYS[2])
  if not guard then
    guard = ''
  end
  if guard ~= ARGV[6] then
    return { 3, guard, time[1], time[2] }
  end
end
if op == 'check' then
  return { 0, '', time[1], time[2] }
end
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
if tonumber(ARGV[4]) > now then
  return { 2, '', time[1], time[2] }
end
if ARGV[3] == ARGV[2] then
  -- Nothing to change (a step that keeps the word, checked).
  return { 0, '', time[1], time[2] }
elseif ARGV[3] == '' then
  redis.call('DEL', KEYS[1])
elseif ARGV[5] ~= '0' then
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[5])
else
  redis.call('SET', KEYS[1], ARGV[3])
end
return { 0, '', time[1], time[2] }
