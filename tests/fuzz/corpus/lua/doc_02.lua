-- docs/lua-api.md example 2
local done = false
sim.at("3us", function() done = true end)
local ok = sim.wait_until(function() return done end, "10us", "500ns")
sim.check(ok and sim.now_ps() == 3000000, "flag seen at 3 us")
sim.check(not sim.wait_until(function() return false end, "2us"), "timed out")
