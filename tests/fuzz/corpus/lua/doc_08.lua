-- docs/lua-api.md example 8
local bytes, t = 1500 * 1000, 12.5e-6
sim.metric("bytes", bytes)
sim.metric("throughput_gbps", bytes * 8 / t / 1e9)
sim.metric("bytes", bytes + 64)   -- last value wins
