-- what the sandbox removes or replaces
print(load(string.dump(function() end)))
print(pcall(require, "nope"), pcall(require, "../x"), pcall(require, string.rep("m", 65)))
print(dofile, loadfile, io, os)
math.randomseed() math.randomseed(1, 2) print(math.random(10))
for k, v in pairs({[1] = 1, a = 2, [false] = 3, [0.5] = 4, [sim] = 5}) do print(k, v) end
local t = {5, 3, 1, 4} table.sort(t, function(a, b) return true end)
collectgarbage() collectgarbage("step", 1e9)
local s = string.rep("x", 1 << 24)
