-- A runtime error on line 5, inside a function called from line 7.
sim.check(true, "before the error")
sim.wait("1us")
local function broken(t)
	return t.field.missing
end
broken({})
