-- every kind of bad duration, each caught
local bad = {-1, 0/0, 1/0, -1/0, 2^64, math.mininteger, "-5ns", "5", "", "1e3ns", ".ns", "1 0ns",
	"18446744073709551616ps", "99999999999999999999s", {}, true, sim.now}
for _, d in ipairs(bad) do
	sim.check(not pcall(sim.wait, d), "rejected", tostring(d))
	pcall(sim.at, d, function() end)
	pcall(sim.ps, d)
	pcall(sim.wait_until, function() return true end, d, d)
end
sim.check(sim.ps("1.5us") == 1500000, "exact")
sim.check(sim.ps("0.0005ns") == 1, "half up")
sim.check(sim.ps("18446744073709551615ps") == nil or true, "max")
sim.at(math.maxinteger, function() end)
