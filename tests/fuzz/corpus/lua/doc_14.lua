-- docs/lua-api.md example 14
local helper = require("helper")
local t = { b = 2, a = 1, c = 3 }
local order = {}
for k in pairs(t) do order[#order + 1] = k end
sim.check(table.concat(order) == "abc", "pairs order is fixed")
sim.check(helper.double(21) == 42, "scenario library")
sim.check(io == nil and os == nil, "no io or os")
