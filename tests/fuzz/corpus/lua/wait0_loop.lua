-- wait(0) without time moving: the same-time wake-up limit ends it
for i = 1, 1e6 do sim.wait(0) end
