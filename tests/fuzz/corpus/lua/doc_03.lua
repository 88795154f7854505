-- docs/lua-api.md example 3
local sent = 0
sim.at(0, function()
	while true do
		sent = sent + 1
		sim.wait("100ns")
	end
end)
sim.wait("1us")
sim.check(sent == 10, "generator ran every 100 ns", "sent=" .. sent)
