-- docs/lua-api.md example 11
local rate = sim.param("rate_gbps", 100)
local mode = sim.param("mode", "split")
local trace_rings = sim.param("trace_rings", false)
sim.log("rate", rate, "mode", mode, "trace_rings", trace_rings)
sim.check(type(rate) == "number" and type(mode) == "string", "parameter types")
