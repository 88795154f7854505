-- Waits, checks and a random metric: the happy path of the runner.
sim.wait("1.5us")
sim.check(sim.now_ps() == 1500000, "wait advances simulated time", "now=" .. sim.now_ps())
sim.at("500ns", function() sim.metric("at_ps", sim.now_ps()) end)
sim.wait(1000)
sim.check(true, "requirement check", "", { requirement = "VIRTIO-TEST-1" })
sim.metric("random", math.random(1, 1000000000))
sim.metric("ratio", 0.25)
