-- many sim.at callbacks at the same and later times, some waiting
for i = 1, 300 do
	sim.at(i % 7, function() sim.wait(i % 3) sim.metric("n", i) end)
end
sim.wait("20ns")
sim.check(true, "storm")
