-- docs/lua-api.md example 6
sim.check(sim.ps("1.5us") == 1500000, "string with unit")
sim.check(sim.ps(2) == 2000, "number of ns")
