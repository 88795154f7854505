-- Host with an IFCVF NIC wired to a loopback peer, the vdpa device bound to
-- virtio_vdpa: test frames sent by the driver come back through the wire.
local topology = require("topology")
local traffic = require("traffic")
local check = require("check")

local n = topology.nic_host{ memory = "1GiB", slot = 1, gen = 4, width = 16,
	nic = { queue_pairs = 2 }, peer = "loopback", tap = "nic.pcap" }
local nd = topology.vdpa_netdev(n.nic, "vdpa0", nil, "virtio_vdpa", { ring = "packed" })
check.eq(sim.wait_until(function() return nd:link_up() end, "100us"), true, "link up")

local sent = traffic.pump(nd, { count = 500, size = 256, burst = 16, gap = "2us" })
sim.wait("50us")
local st = nd:stats()
check.eq(sent, 500, "driver queued every frame")
check.eq(st.rx_test.test, 500, "every frame came back")
check.eq(st.rx_test.lost, 0, "in order")
check.eq(n.nic:violations().total, 0, "ring observer silent")
traffic.record("nd", st, { "tx_packets", "rx_packets", "kicks", "interrupts" })
traffic.record("pcie", n.nic:pcie_stats(), { "mrd_tlps", "cpld_tlps", "mwr_tlps", "msix_tlps" })
