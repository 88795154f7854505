-- waiting from a library coroutine, a yield outside one, a metamethod, a comparator
print(coroutine.resume(coroutine.create(function() sim.wait(1) end)))
print(pcall(table.sort, {3, 2, 1}, function(a, b) sim.wait(1) return a < b end))
local t = setmetatable({}, {__index = function() sim.wait(1) end})
print(pcall(function() return t.x end))
print(pcall(tostring, setmetatable({}, {__tostring = function() sim.wait(1) return "" end})))
coroutine.yield()
