-- Check helpers: one line per expectation, with the values in the detail.
--
--   local check = require("check")
--   check.eq(sink:stats().frames, 1000, "sink got every frame")
--   local nd = check.ok("bind", dev:bind("virtio_vdpa"))   -- (value, errno) results
local M = {}

-- actual == expected (numbers, strings, booleans)
function M.eq(actual, expected, name, opts)
	return sim.check(actual == expected, name,
		string.format("got %s, want %s", tostring(actual), tostring(expected)), opts)
end

-- |actual - expected| <= tolerance * |expected| (relative; 0.01 is 1 %)
function M.near(actual, expected, tolerance, name, opts)
	local ok = math.abs(actual - expected) <= tolerance * math.abs(expected)
	return sim.check(ok, name, string.format("got %.6g, want %.6g within %g %%", actual,
		expected, tolerance * 100), opts)
end

-- lo <= actual <= hi
function M.between(actual, lo, hi, name, opts)
	return sim.check(actual >= lo and actual <= hi, name,
		string.format("got %s, want %s..%s", tostring(actual), tostring(lo), tostring(hi)), opts)
end

-- For API calls that return (value, errno): records a check and returns the value.
function M.ok(name, value, err)
	local e = err or 0
	sim.check(e == 0 and value ~= nil, name,
		e == 0 and "" or string.format("errno %d (%s)", e, sim.errno[e] or "?"))
	return value
end

-- An API call's errno is the expected one, by name: check.errno("dup", err, "EEXIST")
function M.errno(name, err, want, opts)
	return sim.check(err == sim.errno[want], name,
		string.format("got %s, want %s", sim.errno[err] or tostring(err), want), opts)
end

-- A sink's statistics show no loss, corruption or reordering of `sent` frames.
function M.no_loss(stats, sent, name)
	local ok = stats.frames == sent and stats.lost == 0 and stats.corrupt == 0 and
		stats.reordered == 0 and stats.duplicate == 0
	return sim.check(ok, name or "no loss", string.format(
		"frames=%d sent=%d lost=%d corrupt=%d reordered=%d duplicate=%d", stats.frames, sent,
		stats.lost, stats.corrupt, stats.reordered, stats.duplicate))
end

return M
