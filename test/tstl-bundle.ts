// A bundle laid out as TSTL's luaBundle writes one (a module table of vararg functions, a require
// that caches, the entry required last), for the tests of the build's bundle rewrites.

/** modules: key and body lines, in bundle order; entry: the key the bundle returns. */
export function tstlBundle(modules: [string, string[]][], entry: string): string {
  return [
    "local ____modules = {}",
    "local ____moduleCache = {}",
    "local function require(file, ...)",
    "    if ____moduleCache[file] then return ____moduleCache[file].value end",
    "    local value = ____modules[file](file)",
    "    ____moduleCache[file] = { value = value }",
    "    return value",
    "end",
    "____modules = {",
    ...modules.flatMap(([key, body]) => [`["${key}"] = function(...) -- firmware.m${key}`, ...body, " end,"]),
    "}",
    `local ____entry = require("${entry}", ...)`,
    "return ____entry",
    "",
  ].join("\n");
}
