-- tickguard-redis: one machine word under KEYS[1], read and compare-and-set
-- in one round trip. Every reply carries the server's clock (TIME), the one
-- clock every host's ticks are read from.
--
-- ARGV[1]  "load", "check" or "cas"
-- ARGV[2]  check, cas: the value the caller stepped from ("" for no key)
-- ARGV[3]  cas: the value to install ("" deletes the key)
-- ARGV[4]  cas: the caller's tick (microseconds of this server's clock)
-- ARGV[5]  cas: milliseconds until the installed value expires ("0": never)
--
-- Reply: { status, value, seconds, microseconds }, the last two TIME's.
--   0  load: the key's value ("" for none); check, cas: done (nothing
--      differs; cas installed its value)
--   1  check, cas: the key holds another value, given; nothing written
--   2  cas: the caller's tick is ahead of this server's clock; nothing
--      written (a host's clock may lag the server's, never lead it)
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
if op == 'check' then
  return { 0, '', time[1], time[2] }
end
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
if tonumber(ARGV[4]) > now then
  return { 2, '', time[1], time[2] }
end
if ARGV[3] == '' then
  redis.call('DEL', KEYS[1])
elseif ARGV[5] ~= '0' then
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[5])
else
  redis.call('SET', KEYS[1], ARGV[3])
end
return { 0, '', time[1], time[2] }
