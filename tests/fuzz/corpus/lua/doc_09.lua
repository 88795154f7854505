-- docs/lua-api.md example 9
sim.wait("12us")
sim.log("link up, queues:", 4, true)
