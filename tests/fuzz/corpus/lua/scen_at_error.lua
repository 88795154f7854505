-- The error is in a sim.at callback, after it waited.
sim.at("1us", function()
	sim.wait("1us")
	error("callback failed")
end)
sim.wait("5us")
