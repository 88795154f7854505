-- Grows a table until the memory cap stops it.
local t = {}
for i = 1, 1e9 do
	t[i] = { i, i, i }
end
