-- docs/lua-api.md example 1
local t0 = sim.now_ps()
sim.wait("1.5us")
sim.wait(500)        -- 500 ns
sim.check(sim.now_ps() - t0 == 2000000, "waited exactly 2 us")
