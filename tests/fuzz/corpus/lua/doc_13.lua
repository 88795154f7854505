-- docs/lua-api.md example 13
sim.metric("run", sim.run_number())
sim.check(sim.run_number() >= 0, "run number")
