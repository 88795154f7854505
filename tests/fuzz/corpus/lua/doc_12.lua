-- docs/lua-api.md example 12
sim.log("seed", sim.seed())
sim.check(math.type(sim.seed()) == "integer", "seed is an integer")
