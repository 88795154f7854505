-- Generator -> 100G link -> sink with a pcap tap: frame counts as metrics and
-- the tap as an artifact.  Parameters: --set frames=N, --set rate=RATE.
local topology = require("topology")
local traffic = require("traffic")
local check = require("check")

local frames = sim.param("frames", 1000)
local t = topology.gen_to_sink{ rate = sim.param("rate", "50Gbps"), size = 60, flows = 4,
	count = frames, link_rate = "100Gbps", length = "2m", tap = "wire.pcap" }

check.eq(traffic.run(t.gen, { timeout = "1ms" }), true, "generator finished")
local g, s, l = t.gen:stats(), t.sink:stats(), t.link:stats()
check.no_loss(s, frames, "sink got every frame in order")
check.eq(t.tap:frames(), frames, "tap captured every frame")
check.eq(s.flows[3].frames, frames // 4, "flows share the frames")

traffic.record("tx", g, { "frames", "bytes" })
traffic.record("rx", s, { "frames", "bytes", "lost", "lat_min_ps", "lat_max_ps" })
sim.metric("link.ab.frames", l.ab.frames)
sim.metric("link.ab.utilisation", traffic.utilisation(l.ab, sim.now_ps()))
sim.metric("tap.frames", t.tap:frames())
