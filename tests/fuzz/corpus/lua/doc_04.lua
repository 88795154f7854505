-- docs/lua-api.md example 4
sim.wait("2.5us")
sim.check(sim.now() == 2500.0, "now() is in ns", sim.now())
