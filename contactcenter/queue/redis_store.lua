-- The Redis store's scripts. Each registered script is this library plus one
-- `return <function>()` line, so every change to the store is one atomic step.
-- ARGV[1] is the key prefix. Keys, after it:
--   calls                hash call_id -> call JSON (waiting and offered calls)
--   call:<id>            hash queue, prio, entered (exact repr), skills (JSON, if any)
--   offered              hash call_id -> agent_id
--   prios:<queue>        set of priorities with waiting calls in the queue
--   wait:<queue>:<prio>  zset call_id by entry time (ties: call_id, bytewise as in Python)
--   agents               set of agent ids
--   agent:<id>           hash of codec.encode_agent fields, plus avail (JSON queue -> member)
--   avail:<queue>        zset of available agents, all score 0, so ordered by member:
--                        16 hex digits of penalty, 16 of idle_since (order-preserving
--                        encodings of doubles), then the agent id
--   availq               set of queues with at least one available agent
local p = ARGV[1]

local function bucket(queue, prio)
  return p .. 'wait:' .. queue .. ':' .. prio
end

local function index_call(call_id, queue, prio, entered)
  redis.call('ZADD', bucket(queue, prio), entered, call_id)
  redis.call('SADD', p .. 'prios:' .. queue, prio)
end

local function unindex_call(call_id, queue, prio)
  local key = bucket(queue, prio)
  redis.call('ZREM', key, call_id)
  if redis.call('EXISTS', key) == 0 then
    redis.call('SREM', p .. 'prios:' .. queue, prio)
  end
end

local function make_unavailable(agent_key)
  local avail = redis.call('HGET', agent_key, 'avail')
  if avail then
    for queue, member in pairs(cjson.decode(avail)) do
      local key = p .. 'avail:' .. queue
      redis.call('ZREM', key, member)
      if redis.call('EXISTS', key) == 0 then redis.call('SREM', p .. 'availq', queue) end
    end
  end
  redis.call('HSET', agent_key, 'avail', '{}')
end

-- ARGV: prefix, call_id, call JSON, queue, priority, entered_at, skills JSON ('' if none)
local function add_call()
  local call_id = ARGV[2]
  if redis.call('HSETNX', p .. 'calls', call_id, ARGV[3]) == 0 then return 0 end
  redis.call('HSET', p .. 'call:' .. call_id, 'queue', ARGV[4], 'prio', ARGV[5],
             'entered', ARGV[6])
  if ARGV[7] ~= '' then redis.call('HSET', p .. 'call:' .. call_id, 'skills', ARGV[7]) end
  index_call(call_id, ARGV[4], ARGV[5], ARGV[6])
  return 1
end

-- ARGV: prefix, call_id, how: 'remove' (waiting or offered), 'settle' or 'requeue'
-- (offered calls only). Returns the call JSON, or nil if the call is not there.
local function release()
  local call_id, how = ARGV[2], ARGV[3]
  local json = redis.call('HGET', p .. 'calls', call_id)
  if not json then return false end
  local offered = redis.call('HDEL', p .. 'offered', call_id) == 1
  local key = p .. 'call:' .. call_id
  local place = redis.call('HMGET', key, 'queue', 'prio', 'entered')
  if not offered then
    if how ~= 'remove' then return false end
    unindex_call(call_id, place[1], place[2])
  end
  if how == 'requeue' then
    index_call(call_id, place[1], place[2], place[3])
  else
    redis.call('HDEL', p .. 'calls', call_id)
    redis.call('DEL', key)
  end
  return json
end

-- ARGV: prefix, agent_id, avail JSON, then codec.encode_agent field/value pairs
local function put_agent()
  local key = p .. 'agent:' .. ARGV[2]
  make_unavailable(key)
  redis.call('HSET', key, 'avail', ARGV[3], unpack(ARGV, 4))
  redis.call('SADD', p .. 'agents', ARGV[2])
  for queue, member in pairs(cjson.decode(ARGV[3])) do
    redis.call('ZADD', p .. 'avail:' .. queue, 0, member)
    redis.call('SADD', p .. 'availq', queue)
  end
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

local CHUNK = 8

-- ARGV: prefix, at, aging JSON (queue -> aging_seconds). The same search as
-- MemoryStore.offer_next: per queue with an available agent, per priority, the first call
-- in entry order that a qualified agent can take; the best of those in routing.call_order.
-- Returns {call JSON, agent hash field/value pairs...} or nil.
local function offer_next()
  local at, aging = tonumber(ARGV[2]), cjson.decode(ARGV[3])
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

  local function scan(queue, prio, step, best)
    local key, base, first = bucket(queue, prio), tonumber(prio), 0
    while true do
      local batch = redis.call('ZRANGE', key, first, first + CHUNK - 1, 'WITHSCORES')
      if #batch == 0 then return nil end
      for i = 1, #batch, 2 do
        local call_id, entered = batch[i], tonumber(batch[i + 1])
        local priority = base  -- routing.effective_priority
        if step > 0 and at > entered then
          priority = base + math.floor((at - entered) / step)
        end
        local order = {-priority, entered, call_id}
        if best and not before(order, best.order) then return nil end
        local needs = redis.call('HGET', p .. 'call:' .. call_id, 'skills')
        local agent = agent_for(queue, needs and cjson.decode(needs))
        if agent then
          return {order = order, call_id = call_id, agent = agent, queue = queue, prio = prio}
        end
      end
      first = first + CHUNK
    end
  end

  local best
  for _, queue in ipairs(redis.call('SMEMBERS', p .. 'availq')) do
    local step = aging[queue] or 0
    for _, prio in ipairs(redis.call('SMEMBERS', p .. 'prios:' .. queue)) do
      best = scan(queue, prio, step, best) or best
    end
  end
  if not best then return false end
  unindex_call(best.call_id, best.queue, best.prio)
  redis.call('HSET', p .. 'offered', best.call_id, best.agent)
  local agent_key = p .. 'agent:' .. best.agent
  make_unavailable(agent_key)  -- as agents.transition(agent, OFFERED, at, call_id=...)
  redis.call('HSET', agent_key, 'state', 'offered', 'reason', '', 'since', ARGV[2],
             'call_id', best.call_id)
  local reply = redis.call('HGETALL', agent_key)
  table.insert(reply, 1, redis.call('HGET', p .. 'calls', best.call_id))
  return reply
end
