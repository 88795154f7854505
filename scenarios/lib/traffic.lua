-- Traffic helpers: run generators, pump test frames from a netdev, turn
-- counters into rates and record them as metrics under stable names.
--
--   local traffic = require("traffic")
--   traffic.run(gen, { timeout = "1ms" })          -- start, wait until it sent its count
--   traffic.record("rx", sink:stats(), { "frames", "lost" })   -- metrics rx.frames, rx.lost
local M = {}

-- Starts `gen` and waits until it has sent its `count` frames, then `drain`
-- more (default "10us") so the last frames arrive.  Returns true when done
-- before `timeout` (default "10ms").
function M.run(gen, opts)
	opts = opts or {}
	gen:start()
	local done = sim.wait_until(function() return gen:done() end, opts.timeout or "10ms",
		opts.poll or "1us")
	sim.wait(opts.drain or "10us")
	return done
end

-- Gbit/s of `bytes` over `ps` picoseconds.
function M.gbps(bytes, ps)
	return ps > 0 and bytes * 8 / (ps / 1e12) / 1e9 or 0
end

-- Millions of frames per second over `ps` picoseconds.
function M.mpps(frames, ps)
	return ps > 0 and frames / (ps / 1e12) / 1e6 or 0
end

-- Share of time a link direction was busy: stats.ab.busy_ps / elapsed.
function M.utilisation(dir_stats, elapsed_ps)
	return elapsed_ps > 0 and dir_stats.busy_ps / elapsed_ps or 0
end

-- Records t[k] as metric "<prefix>.<k>" for each key in `keys` (default: every
-- numeric field, in sorted order).
function M.record(prefix, t, keys)
	if not keys then
		keys = {}
		for k, v in pairs(t) do
			if type(v) == "number" then keys[#keys + 1] = k end
		end
	end
	for _, k in ipairs(keys) do
		sim.metric(prefix .. "." .. k, t[k])
	end
end

-- Sends `count` test frames from a netdev in bursts of `burst` (default 32)
-- every `gap` (default "1us"), waiting while the queue is full.  Options:
-- count, size, flow, queue, dst, burst, gap, timeout (default "10ms").
-- Returns the frames sent.
function M.pump(nd, opts)
	local sent, count = 0, opts.count or 1
	local deadline = sim.now_ps() + sim.ps(opts.timeout or "10ms")
	while sent < count and sim.now_ps() < deadline do
		local n, err = nd:send_test{ count = math.min(opts.burst or 32, count - sent),
			size = opts.size, flow = opts.flow, queue = opts.queue, dst = opts.dst }
		sent = sent + n
		if err ~= 0 and err ~= sim.errno.EBUSY then
			break
		end
		sim.wait(opts.gap or "1us")
	end
	return sent
end

return M
