// Lua-side harness installed in every simulator VM: loads the image and the board's HAL, calls the
// board's event function, counts instructions, reports GC numbers.
//
// Every entry point is a global `__sim_<verb>(payload, extra)` that returns ONE string: "1" .. result on
// success or "0" .. message on failure (errors are caught in Lua, so JS only ever reads one string back).
// The wasm bindings only move NUL-terminated UTF-8 strings, so for them (`wire = true`) every byte 0x00 or
// 0x80..0xFF is carried as the 2-byte UTF-8 form of U+0100+byte (C4..C7 80..BF) in both directions; since
// the JS side encodes every byte >= 0x80, a raw C4..C7 lead byte never reaches Lua un-encoded and the
// decode gsub cannot misfire. Large payloads arrive in pieces through __sim_put (see wasm-backend.ts).
// fengari moves raw Uint8Array strings, so there `wire = false` and enc/dec are the identity.

export function harnessSource(wire: boolean): string {
  return `local WIRE = ${wire ? "true" : "false"}\n` + HARNESS_BODY;
}

// String.raw keeps the Lua escapes (\\0, \\128, ...) as Lua source text: the source itself stays ASCII.
const HARNESS_BODY = String.raw`
local V51 = _VERSION == "Lua 5.1"
local load = V51 and loadstring or load
local pcall, type, tostring, tonumber, collectgarbage, pairs = pcall, type, tostring, tonumber, collectgarbage, pairs
local concat, gsub, find, char, floor = table.concat, string.gsub, string.find, string.char, math.floor
local sethook, gethook, dump = debug.sethook, debug.gethook, string.dump

local function enc(s) return s end
local dec = enc
if WIRE then
  local E, D = {}, {}
  for b = 0, 255 do
    local cp = 256 + b
    local u = char(192 + floor(cp / 64), 128 + cp % 64)
    E[char(b)] = u
    D[u] = char(b)
  end
  -- Lua 5.1 patterns stop at a literal NUL, so it needs the (5.1-only, later deprecated) %z class.
  local HI = V51 and "[%z\128-\255]" or "[\0\128-\255]"
  -- ASCII passes untouched: gsub would return a fresh copy (Lua 5.3 does not intern long strings),
  -- and that copy would show up in the firmware's heap figures.
  enc = function(s) if not find(s, HI) then return s end return (gsub(s, HI, E)) end
  dec = function(s) if not find(s, "[\196-\199]") then return s end return (gsub(s, "[\196-\199][\128-\191]", D)) end
end

-- Pieces of a payload too large for one lua_pushstring on the wasm C stack.
local parts, nparts = {}, 0
function __sim_put(s) nparts = nparts + 1; parts[nparts] = s end
function __sim_drop() for i = 1, nparts do parts[i] = nil end; nparts = 0 end
local function arg(last)
  last = last or ""
  if nparts > 0 then
    nparts = nparts + 1; parts[nparts] = last
    last = concat(parts, "", 1, nparts)
    __sim_drop()
  end
  return dec(last)
end

local function reply(ok, v) return (ok and "1" or "0") .. enc(v) end
local function errstr(e) if type(e) == "string" then return e end return tostring(e) end

-- A chunk as given, or (strip = "1") its stripped bytecode dumped by this very VM: for a VM that
-- cannot undump another VM's bytecode (fengari: 4-byte lua_Integer), so it still runs what a board would.
local function loadChunk(src, name, strip)
  local f, err = load(src, name)
  if not f then return nil, err end
  if strip == "1" then
    if V51 then return nil, "Lua 5.1 cannot strip a chunk itself: load the build's luac" end
    f, err = load(dump(f, true), name)
  end
  return f, err
end

-- The image (the firmware's entry-point table) lives in a harness global: the firmware itself uses
-- no globals, the harness may. A test image may bring its own event function instead of a board.
local boardEvent
function __sim_load(src, name, strip)
  local f, err = loadChunk(arg(src), dec(name or "=image"), dec(strip or "0"))
  if not f then return reply(false, err) end
  local ok, img = pcall(f)
  if not ok then return reply(false, errstr(img)) end
  if type(img) ~= "table" then return reply(false, "image chunk returned " .. type(img) .. ", expected a table") end
  __sim_image = img
  boardEvent = nil
  return reply(true, "")
end

-- The board's chunk (hal/sim/board.ts) returns its module; simBoard(image) is the event function.
function __sim_board(src, name, strip)
  if type(__sim_image) ~= "table" then return reply(false, "no image loaded") end
  local f, err = loadChunk(arg(src), dec(name or "=board"), dec(strip or "0"))
  if not f then return reply(false, err) end
  local ok, mod = pcall(f)
  if not ok then return reply(false, errstr(mod)) end
  -- A port runs on an emulated board (sim/boards/README.md): first the emulation's chunk, whose
  -- modules become the firmware's globals, then the port's, whose boardRun the emulation runs.
  if type(mod) == "table" and type(mod.emulate) == "function" then
    local made, emu = pcall(mod.emulate, __sim_image)
    if not made then return reply(false, errstr(emu)) end
    for k, v in pairs(emu.globals) do _G[k] = v end
    __sim_emulation = emu
    boardEvent = nil
    __sim_flash = emu.flashBytes
    return reply(true, "")
  end
  if type(mod) == "table" and type(mod.boardRun) == "function" then
    if type(__sim_emulation) ~= "table" then return reply(false, "a port needs its board's emulation loaded first") end
    local made, ev = pcall(__sim_emulation.attach, mod.boardRun)
    if not made then return reply(false, errstr(ev)) end
    boardEvent = ev
    return reply(true, "")
  end
  if type(mod) ~= "table" or type(mod.simBoard) ~= "function" then return reply(false, "board chunk has no simBoard function") end
  local made, ev = pcall(mod.simBoard, __sim_image)
  if not made then return reply(false, errstr(ev)) end
  if type(ev) ~= "function" then return reply(false, "simBoard returned " .. type(ev) .. ", expected a function") end
  boardEvent = ev
  -- The simulated flash lives in this heap; heap figures take it off (a board's flash is not RAM).
  __sim_flash = type(mod.simFlashBytes) == "function" and mod.simFlashBytes or nil
  return reply(true, "")
end

local function getEvent()
  if boardEvent then return boardEvent end
  local img = __sim_image
  if type(img) ~= "table" then return nil, "no image loaded" end
  if type(img.event) ~= "function" then return nil, "image.event is not a function (and no board loaded)" end
  return img.event
end

-- An event may return its output as a table of pieces: joining them here would allocate the whole
-- output again (and luaL_Buffer's intermediate copies), which is the bridge's cost, not the board's.
-- Such a result is answered "2" .. count, and JS fetches each piece with __sim_piece(i), which answers
-- the piece alone (no status prefix: prefixing would copy it).
local pieces
function __sim_piece(i)
  local n = tonumber(i)
  local p = pieces[n]
  -- Node reads the pieces in order: after the last one the output is no longer held here.
  if n == #pieces then pieces = nil end
  return enc(p)
end

-- Strict on the return type: a number here is a firmware bug, not something to coerce.
local function result(ok, r)
  pieces = nil
  if not ok then return false, errstr(r) end
  if r == nil then return true, "" end
  if type(r) == "table" then
    for i = 1, #r do if type(r[i]) ~= "string" then return false, "event piece " .. i .. " is " .. type(r[i]) end end
    pieces = r
    return true, nil
  end
  if type(r) ~= "string" then return false, "event returned " .. type(r) .. ", expected a string, a table of strings or nil" end
  return true, r
end

local function answer(ok, r)
  if ok and r == nil then return "2" .. #pieces end
  return reply(ok, r)
end

function __sim_event(line)
  local s = arg(line)
  local ev, err = getEvent()
  if not ev then return reply(false, err) end
  -- __sim_watch (the bench's): a count hook over the board's event only, not over the bridge's copies.
  local watch = __sim_watch
  if watch then sethook(watch, "", 1) end
  local ok, r = pcall(ev, s)
  if watch then sethook() end
  -- The heap as the board's event left it, before the bridge encodes its output (the bench reads it).
  __sim_after = collectgarbage("count")
  return answer(result(ok, r))
end

-- Count hook with count = 1: the hook runs once per VM instruction of Lua code (hooks are disabled while
-- the hook itself runs, so its own instructions are not counted). C functions (gsub, concat, ...) count as
-- the single call instruction that invoked them.
local function counted(fn, s)
  local n = 0
  local oldHook, oldMask, oldCount = gethook()
  sethook(function() n = n + 1 end, "", 1)
  local ok, r = pcall(fn, s)
  sethook(oldHook, oldMask, oldCount)
  return n, ok, r
end
-- The harness' own instructions between sethook and the unhook are a constant; measure them once with a
-- function that executes exactly one instruction (its RETURN) and subtract, so the count is exact.
local overhead
function __sim_counted(line)
  local s = arg(line)
  local ev, err = getEvent()
  if not ev then return reply(false, err) end
  if not overhead then overhead = counted(function() end, "") - 1 end
  local n, ok, r = counted(ev, s)
  ok, r = result(ok, r)
  if not ok then return reply(false, r) end
  if r == nil then return "2" .. #pieces .. ":" .. (n - overhead) end
  return reply(true, (n - overhead) .. ":" .. r)
end

function __sim_eval(src)
  local f, err = load(arg(src), "=eval")
  if not f then return reply(false, err) end
  local ok, r = pcall(f)
  if not ok then return reply(false, errstr(r)) end
  return reply(true, tostring(r))
end

function __sim_gc(cmd)
  local ok, err = pcall(collectgarbage, arg(cmd))
  return reply(ok, ok and "" or errstr(err))
end

function __sim_heap(full)
  -- Two cycles: objects with finalizers (5.2+) are only freed by the cycle after the one that finds them.
  if arg(full) == "1" then collectgarbage("collect"); collectgarbage("collect") end
  local kb = collectgarbage("count")
  if __sim_flash then kb = kb - __sim_flash() / 1024 end
  return reply(true, tostring(kb))
end

-- Bytecode of the main function of src: 5.3 strips it itself, 5.1 has no strip flag (done in JS).
function __sim_dump(src, name, strip)
  local f, err = load(arg(src), dec(name))
  if not f then return reply(false, err) end
  if V51 then return reply(true, dump(f)) end
  return reply(true, dump(f, dec(strip) == "1"))
end
`;
