-- Regression: sim.wait_until polling a C function (no Lua instruction per poll)
-- once ran for 10^12 wake-ups; each wake-up now counts against the instruction limit.
sim.wait_until(sim.log, "1s", "1ps")
