-- A syntax error on line 3.
local a = 1
local b = = 2
