-- Smoke test of the scenario runner: waits in simulated time, checks, metrics.
--
-- Runs until real scenarios exist: `make run` falls back to it.  Parameters:
--   --set steps=N      number of waits (default 10)
--   --set step=DUR     simulated time per wait (default "1us")

local steps = sim.param("steps", 10)
local step = sim.param("step", "1us")

sim.log("smoke: seed", sim.seed(), "run", sim.run_number(), "steps", steps, "step", step)

-- a background ticker scheduled in simulated time
local ticks = 0
local function ticker()
	while true do
		ticks = ticks + 1
		sim.wait("250ns")
	end
end
sim.at(0, ticker)

local start = sim.now_ps()
for _ = 1, steps do
	sim.wait(step)
end
local elapsed = sim.now_ps() - start
sim.check(elapsed == steps * sim.ps(step), "wait advances simulated time exactly",
	string.format("%d waits of %s took %d ps", steps, step, elapsed))

local ready = sim.wait_until(function() return ticks >= 4 * steps end, "1ms", "100ns")
sim.check(ready, "background ticker ran in simulated time", "ticks=" .. ticks)

-- a seeded random number: same seed, same value
sim.metric("random_draw", math.random(1, 1000000))
sim.metric("ticks", ticks)
sim.metric("elapsed_us", elapsed / 1e6)
