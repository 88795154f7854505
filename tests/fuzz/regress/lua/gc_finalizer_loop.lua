-- Regression: Lua runs __gc with debug hooks off, so a loop in a finalizer escaped
-- the instruction watchdog and hung the run (at the latest in lua_close).
-- setmetatable now refuses a metatable with __gc.
local ok = pcall(setmetatable, {}, {__gc = function() while true do end end})
sim.check(not ok, "__gc refused")
setmetatable({}, {__gc = function() while true do end end})
