-- Topology builders for the common set-ups, so scenarios stay short.
--
--   local topology = require("topology")
--   local t = topology.gen_to_sink{ rate = "10Gbps", count = 1000, tap = "wire.pcap" }
--   local n = topology.nic_host{ slot = 1, peer = "loopback", queue_pairs = 2 }
--   local nd = topology.vdpa_netdev(n.nic, "vdpa0")
local M = {}

-- generator -> link -> sink.  Options: rate, size, flows, count (generator),
-- link_rate (default "100Gbps"), length, tap (pcap path of the link, both ways).
-- Returns { gen, sink, link, tap }.
function M.gen_to_sink(o)
	o = o or {}
	local t = {}
	t.gen = sim.peer.generator{ rate = o.rate, size = o.size, flows = o.flows, count = o.count }
	t.sink = sim.peer.sink{ max_flows = o.flows and math.max(o.flows, 1) or nil }
	t.link = sim.link(t.gen:port(), t.sink:port(), { rate = o.link_rate or "100Gbps",
		length = o.length })
	if o.tap then
		t.tap = t.link:tap(o.tap)
	end
	return t
end

-- A host with one NIC model in a PCIe slot, its port wired to a peer.
-- Options: memory, iommu (host); slot (default 1), gen, width, mps, mrrs (slot);
-- model (default "ifcvf") and the model's own options in `nic` (a table);
-- peer = "loopback" (default) | "sink" | a port handle; link_rate, length, tap.
-- Returns { host, slot, nic, peer, link, tap, mgmtdev }.
function M.nic_host(o)
	o = o or {}
	local t = {}
	t.host = sim.host{ memory = o.memory, iommu = o.iommu }
	t.slot = t.host:pcie_slot{ slot = o.slot or 1, gen = o.gen, width = o.width, mps = o.mps,
		mrrs = o.mrrs }
	t.nic = t.slot:plug(o.model or "ifcvf", o.nic)
	local port
	if o.peer == "sink" then
		t.peer = sim.peer.sink{}
		port = t.peer:port()
	elseif o.peer == nil or o.peer == "loopback" then
		t.peer = sim.peer.loopback{}
		port = t.peer:port()
	else
		port = o.peer
	end
	t.link = sim.link(t.nic:port(0), port, { rate = o.link_rate or "100Gbps",
		length = o.length })
	if o.tap then
		t.tap = t.link:tap(o.tap)
	end
	t.mgmtdev = t.nic:mgmtdev()
	return t
end

-- `vdpa dev add` on the NIC's management device (extra arguments in `args`,
-- e.g. "device_features 0x..."), then bind the device to `driver` (default
-- "virtio_vdpa") with `bind_opts`.  Raises on failure; returns what bind
-- returns (a netdev, or the vhost character device path) and the device handle.
function M.vdpa_netdev(nic, name, args, driver, bind_opts)
	local out, err = sim.vdpa(string.format("dev add name %s mgmtdev %s%s", name,
		nic:mgmtdev(), args and (" " .. args) or ""))
	if err ~= 0 then
		error(string.format("vdpa dev add %s: %s (%s)", name, out, sim.errno[err] or err), 2)
	end
	local dev = sim.vdpa_device(name)
	local res, berr = dev:bind(driver or "virtio_vdpa", bind_opts)
	if not res then
		error(string.format("binding %s to %s: %s", name, driver or "virtio_vdpa",
			sim.errno[berr] or berr), 2)
	end
	return res, dev
end

return M
