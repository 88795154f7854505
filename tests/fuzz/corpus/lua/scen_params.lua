-- Reports its parameters as metrics and checks.
local rate = sim.param("rate", 10)
local name = sim.param("name", "eth0")
local flag = sim.param("flag", false)
sim.metric("rate", rate)
sim.metric("flag", flag and 1 or 0)
sim.check(true, "name", name)
