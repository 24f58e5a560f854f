-- The Redis store's scripts. Each registered script is this library plus one
-- `return <function>()` line, so every change to the store is one atomic step.
-- ARGV[1] is the key prefix. Keys, after it:
--   calls          hash call_id -> call JSON (waiting and offered calls)
--   call:<id>      hash line, entered (exact repr), group, skills (JSON, only if the call
--                  needs any)
--   offered        hash call_id -> agent_id
--   line:<line>    zset of a line's waiting calls by entry time (ties: call_id, bytewise as
--                  Python compares); a line is "<priority>:<queue>"
--   qlines:<queue> hash priority -> group of each of the queue's lines that holds calls
--   ready:<group>  zset of the first calls of a group's lines whose queue has an available
--                  agent, ordered as a line; a group is "<priority>|<aging seconds>" of the
--                  queue, in which entry order is service order at any time (an older call
--                  has aged as much or more): a decision reads about one head per group
--   groups         set of groups whose ready zset is not empty
--   agents         set of agent ids
--   agent:<id>     hash of codec.encode_agent fields, plus avail (JSON queue -> member);
--                  rev counts its writes: a write names the revision it read
--   leases         zset of platform processes by when their heartbeat lease ends (ms)
--   avail:<queue>  zset of available agents, all score 0, so ordered by member: 16 hex
--                  digits of penalty, 16 of idle_since (order-preserving encodings of
--                  doubles), then the agent id
--   availq         set of queues with at least one available agent
--   entries        hash call_id -> the last queue-entry token (CC_ENTRY) that joined
--   entry_at       zset of call_ids by when that token joined (ms): a day later, forgotten
local p = ARGV[1]

local function head_of(line)
  return redis.call('ZRANGE', p .. 'line:' .. line, 0, 0, 'WITHSCORES')
end

local function ready_add(group, head)
  redis.call('ZADD', p .. 'ready:' .. group, head[2], head[1])
  redis.call('SADD', p .. 'groups', group)
end

local function ready_remove(group, call_id)
  local key = p .. 'ready:' .. group
  redis.call('ZREM', key, call_id)
  if redis.call('EXISTS', key) == 0 then redis.call('SREM', p .. 'groups', group) end
end

-- A queue's first calls join the ready index (its first agent became available) or leave
-- it (its last one did not stay available).
local function set_ready(queue, ready)
  local lines = redis.call('HGETALL', p .. 'qlines:' .. queue)
  for i = 1, #lines, 2 do
    local head = head_of(lines[i] .. ':' .. queue)
    if ready then ready_add(lines[i + 1], head) else ready_remove(lines[i + 1], head[1]) end
  end
end

-- Add a call to its line (entered: its score) or take it out (entered nil), and keep the
-- queue's lines and the ready index.
local function line_change(call_id, line, group, entered)
  local prio, queue = string.match(line, '^([^:]*):(.*)$')
  local old = head_of(line)[1]
  if entered then
    redis.call('ZADD', p .. 'line:' .. line, entered, call_id)
    redis.call('HSET', p .. 'qlines:' .. queue, prio, group)
  else
    redis.call('ZREM', p .. 'line:' .. line, call_id)
  end
  local new = head_of(line)
  if not new[1] then redis.call('HDEL', p .. 'qlines:' .. queue, prio) end
  if new[1] == old or redis.call('SISMEMBER', p .. 'availq', queue) == 0 then return end
  if old then ready_remove(group, old) end
  if new[1] then ready_add(group, new) end
end

local function make_unavailable(agent_key)
  local avail = redis.call('HGET', agent_key, 'avail')
  if avail then
    for queue, member in pairs(cjson.decode(avail)) do
      local key = p .. 'avail:' .. queue
      redis.call('ZREM', key, member)
      if redis.call('EXISTS', key) == 0 then
        redis.call('SREM', p .. 'availq', queue)
        set_ready(queue, false)
      end
    end
  end
  redis.call('HSET', agent_key, 'avail', '{}')
end

local function now_ms()
  local t = redis.call('TIME')  -- the server's clock: processes on other hosts may drift
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- One entry token joins once, whichever process sees it and however late: a caller a
-- process saw parked in a stale snapshot, or whose music-on-hold start it read late, is
-- not queued again after another process has served them.
local function entry_joins(call_id, entry)
  if entry == '' then return true end
  if redis.call('HGET', p .. 'entries', call_id) == entry then return false end
  local now = now_ms()
  for _, old in ipairs(redis.call('ZRANGEBYSCORE', p .. 'entry_at', '-inf', now - 86400000)) do
    redis.call('HDEL', p .. 'entries', old)
    redis.call('ZREM', p .. 'entry_at', old)
  end
  redis.call('HSET', p .. 'entries', call_id, entry)
  redis.call('ZADD', p .. 'entry_at', now, call_id)
  return true
end

-- ARGV: prefix, call_id, call JSON, queue, priority, entered_at, skills JSON ('' if none),
-- entry token ('' if none), the queue's aging seconds (0: none)
local function add_call()
  local call_id = ARGV[2]
  if redis.call('HEXISTS', p .. 'calls', call_id) == 1 then return 0 end
  if not entry_joins(call_id, ARGV[8]) then return 0 end
  redis.call('HSET', p .. 'calls', call_id, ARGV[3])
  local line, group = ARGV[5] .. ':' .. ARGV[4], ARGV[5] .. '|' .. ARGV[9]
  redis.call('HSET', p .. 'call:' .. call_id, 'line', line, 'entered', ARGV[6], 'group', group)
  if ARGV[7] ~= '' then redis.call('HSET', p .. 'call:' .. call_id, 'skills', ARGV[7]) end
  line_change(call_id, line, group, ARGV[6])
  return 1
end

-- ARGV: prefix, call_id, how: 'remove' (waiting or offered), 'abandon' (waiting only),
-- 'settle' or 'requeue' (offered only). Returns the call JSON, or nil if not there.
local function release()
  local call_id, how = ARGV[2], ARGV[3]
  local json = redis.call('HGET', p .. 'calls', call_id)
  if not json then return false end
  if how == 'abandon' then
    if redis.call('HEXISTS', p .. 'offered', call_id) == 1 then return false end
    how = 'remove'
  end
  local offered = redis.call('HDEL', p .. 'offered', call_id) == 1
  local key = p .. 'call:' .. call_id
  local place = redis.call('HMGET', key, 'line', 'entered', 'group')
  if not offered then
    if how ~= 'remove' then return false end
    line_change(call_id, place[1], place[3])
  end
  if how == 'requeue' then
    line_change(call_id, place[1], place[3], place[2])
  else
    redis.call('HDEL', p .. 'calls', call_id)
    redis.call('DEL', key)
  end
  return json
end

-- ARGV: prefix, call_id, the call JSON read, the changed call JSON, its queue, priority,
-- entered_at and that queue's aging seconds. A waiting call takes its new line and place:
-- 1. Not waiting (offered or gone): 0, nothing written. Changed since it was read: -1,
-- nothing written.
local function update_waiting()
  local call_id = ARGV[2]
  local json = redis.call('HGET', p .. 'calls', call_id)
  if not json or redis.call('HEXISTS', p .. 'offered', call_id) == 1 then return 0 end
  if json ~= ARGV[3] then return -1 end
  local key = p .. 'call:' .. call_id
  local place = redis.call('HMGET', key, 'line', 'group')
  line_change(call_id, place[1], place[2])
  local line, group = ARGV[6] .. ':' .. ARGV[5], ARGV[6] .. '|' .. ARGV[8]
  redis.call('HSET', key, 'line', line, 'entered', ARGV[7], 'group', group)
  redis.call('HSET', p .. 'calls', call_id, ARGV[4])
  line_change(call_id, line, group, ARGV[7])
  return 1
end

-- ARGV: prefix, agent_id, avail JSON, the revision read ('0': none stored), then
-- codec.encode_agent field/value pairs (without rev). Returns the new revision, or -1 if
-- the stored one is not the one read (nothing written).
local function put_agent()
  local key = p .. 'agent:' .. ARGV[2]
  local stored = tonumber(redis.call('HGET', key, 'rev') or '0')
  if stored ~= tonumber(ARGV[4]) then return -1 end
  make_unavailable(key)
  redis.call('HSET', key, 'avail', ARGV[3], 'rev', stored + 1, unpack(ARGV, 5))
  redis.call('SADD', p .. 'agents', ARGV[2])
  for queue, member in pairs(cjson.decode(ARGV[3])) do
    redis.call('ZADD', p .. 'avail:' .. queue, 0, member)
    if redis.call('SADD', p .. 'availq', queue) == 1 then set_ready(queue, true) end
  end
  return stored + 1
end

-- ARGV: prefix, owner, ttl in ms
local function heartbeat()
  local now = now_ms()
  redis.call('ZADD', p .. 'leases', now + tonumber(ARGV[3]), ARGV[2])
  redis.call('ZREMRANGEBYSCORE', p .. 'leases', '-inf', now - 86400000)  -- a day dead
end

-- ARGV: prefix. The owners whose lease has not ended.
local function live_owners()
  return redis.call('ZRANGEBYSCORE', p .. 'leases', '(' .. now_ms(), '+inf')
end

-- Python's order on str: bytewise (Lua's < on strings follows the server's locale).
local function bytes_before(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

-- routing.call_order: {-effective priority, entered_at, call_id}
local function before(a, b)
  if a[1] ~= b[1] then return a[1] < b[1] end
  if a[2] ~= b[2] then return a[2] < b[2] end
  return bytes_before(a[3], b[3])
end

-- routing.call_order at `at` of a call in a line of base priority `base`
local function order_at(base, entered, call_id, step, at)
  local priority = base  -- routing.effective_priority
  if step > 0 and at > entered then priority = base + math.floor((at - entered) / step) end
  return {-priority, entered, call_id}
end

local CHUNK = 8

-- ARGV: prefix, at, owner. Per group of the ready index, its first calls in order while
-- they come before the best so far; from each, its line's first call that a qualified
-- agent can take (a head may need skills no available agent has).
-- Returns {call JSON, agent hash field/value pairs...} or nil.
local function offer_next()
  local at = tonumber(ARGV[2])
  local skills_of = {}

  local function agent_for(queue, needs)
    local key, first = p .. 'avail:' .. queue, 0
    while true do
      local batch = redis.call('ZRANGE', key, first, first + CHUNK - 1)
      if #batch == 0 then return nil end
      if not needs then return string.sub(batch[1], 33) end
      for _, member in ipairs(batch) do
        local id = string.sub(member, 33)
        local skills = skills_of[id]
        if not skills then
          skills = cjson.decode(redis.call('HGET', p .. 'agent:' .. id, 'profile')).skills
          skills_of[id] = skills
        end
        local fit = true
        for skill, level in pairs(needs) do
          if (skills[skill] or -1) < level then fit = false break end
        end
        if fit then return id end
      end
      first = first + CHUNK
    end
  end

  -- the first call of a line (from a group) that an agent can take, if before `best`
  local function scan(line, g, best)
    local key, first = p .. 'line:' .. line, 0
    local queue = string.match(line, '^[^:]*:(.*)$')
    while true do
      local batch = redis.call('ZRANGE', key, first, first + CHUNK - 1, 'WITHSCORES')
      if #batch == 0 then return nil end
      for i = 1, #batch, 2 do
        local order = order_at(g.base, tonumber(batch[i + 1]), batch[i], g.step, at)
        if best and not before(order, best.order) then return nil end
        local needs = redis.call('HGET', p .. 'call:' .. batch[i], 'skills')
        local agent = agent_for(queue, needs and cjson.decode(needs))
        if agent then return {order = order, line = line, group = g.name, agent = agent} end
      end
      first = first + CHUNK
    end
  end

  local groups = {}
  for _, name in ipairs(redis.call('SMEMBERS', p .. 'groups')) do
    local prio, step = string.match(name, '^([^|]*)|(.*)$')
    groups[#groups + 1] = {name = name, base = tonumber(prio), step = tonumber(step)}
  end
  table.sort(groups, function(a, b) return a.base > b.base end)  -- likely best first
  local best
  for _, g in ipairs(groups) do
    local key, first, more = p .. 'ready:' .. g.name, 0, true
    while more do
      local batch = redis.call('ZRANGE', key, first, first + CHUNK - 1, 'WITHSCORES')
      more = #batch == 2 * CHUNK
      for i = 1, #batch, 2 do
        local order = order_at(g.base, tonumber(batch[i + 1]), batch[i], g.step, at)
        if best and not before(order, best.order) then more = false break end
        best = scan(redis.call('HGET', p .. 'call:' .. batch[i], 'line'), g, best) or best
      end
      first = first + CHUNK
    end
  end
  if not best then return false end
  local call_id, agent = best.order[3], best.agent
  line_change(call_id, best.line, best.group)
  redis.call('HSET', p .. 'offered', call_id, agent)
  local agent_key = p .. 'agent:' .. agent
  make_unavailable(agent_key)  -- as agents.transition(agent, OFFERED, at, call_id=...)
  redis.call('HSET', agent_key, 'state', 'offered', 'reason', '', 'since', ARGV[2],
             'call_id', call_id, 'owner', ARGV[3])
  redis.call('HINCRBY', agent_key, 'rev', 1)
  local reply = redis.call('HGETALL', agent_key)
  table.insert(reply, 1, redis.call('HGET', p .. 'calls', call_id))
  return reply
end
