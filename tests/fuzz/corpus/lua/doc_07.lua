-- docs/lua-api.md example 7
local queues = 2
sim.check(queues >= 1, "device has queues", "queues=" .. queues)
sim.check(queues % 2 == 0, "queue pairs", nil, { requirement = "FEAT-DEV-01" })
if not sim.check(true, "always") then sim.log("unreachable") end
