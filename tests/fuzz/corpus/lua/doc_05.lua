-- docs/lua-api.md example 5
sim.wait("100ps")
sim.check(sim.now_ps() == 100, "now_ps() is exact")
