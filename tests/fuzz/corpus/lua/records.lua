-- checks, metrics, artifacts and params with odd names and values
sim.check(false, "\0\255\xed\xa0\x80", setmetatable({}, {__tostring = function() return "d" end}), {requirement = "VIRTIO-1"})
sim.check(true, string.rep("n", 5000), nil, {})
pcall(sim.check, true, "r", nil, {requirement = 5})
sim.metric("m", 1) sim.metric("m", 0.5) sim.metric("a", -0.0) sim.metric("z", 0/0) sim.metric("i", 1/0)
pcall(sim.metric, "x", "1")
for _, p in ipairs({"a", "a/b", "../x", "/abs", "a//b", ".", "a/", "a/./b", ""}) do
	pcall(sim.artifact, "kind", p, {frames = 3, content = "c"})
end
pcall(sim.artifact, "k", "a", {frames = -1})
pcall(sim.artifact, "", "b")
print(sim.param("n", 1), sim.param("s", "x"), sim.param("missing"))
print(pcall(sim.param, "b", true))
