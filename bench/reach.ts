// The bench's "reach" measurement, shared by bench/footprint.ts and bench/ports.ts.
//
// "reach": __sim_watch runs before every VM instruction of a board event (lua-harness.ts). The heap
// less the simulated flash only needs a collection when it passes the highest reachable heap yet; after
// one it is exactly the reachable heap. C functions' transient buffers are not seen, their results are.
export const REACH_ON = String.raw`
local count = collectgarbage
local flash = __sim_flash or function() return 0 end
count("collect")
__bench_reach = count("count") - flash() / 1024
__sim_watch = function()
  if count("count") - flash() / 1024 > __bench_reach then
    count("collect")
    local c = count("count") - flash() / 1024
    if c > __bench_reach then __bench_reach = c end
  end
end
return ""`;
export const REACH_OFF = String.raw`__sim_watch = nil; return __bench_reach`;
