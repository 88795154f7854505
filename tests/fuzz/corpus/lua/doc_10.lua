-- docs/lua-api.md example 10
local rows = { "t_ns,value" }
for i = 1, 3 do
	sim.wait("1us")
	rows[#rows + 1] = string.format("%d,%d", sim.now_ps() // 1000, i * i)
end
sim.artifact("csv", "samples.csv", { content = table.concat(rows, "\n") .. "\n" })
