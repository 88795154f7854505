-- One passing and one failing check: exit status 1.
sim.check(true, "fine")
sim.wait("1us")
sim.check(1 + 1 == 3, "arithmetic is broken", "1 + 1 ~= 3")
