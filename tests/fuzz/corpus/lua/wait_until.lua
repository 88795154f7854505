-- wait_until with yielding predicates, zero and huge timeouts and polls
local n = 0
sim.wait_until(function() n = n + 1 sim.wait(1) return n > 3 end, "1us", "10ns")
sim.wait_until(function() return false end, 0)
pcall(sim.wait_until, function() return false end, "1us", 0)
pcall(sim.wait_until, function() return false end, math.maxinteger)
sim.wait_until(function() error("pred") end, "1us")
