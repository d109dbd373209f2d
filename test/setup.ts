// Installs the Node implementation of the firmware's Lua standard-library subset before any
// firmware module is imported, so the `node` runtime runs the same TypeScript as the Lua image.
import "../sim/runtimes/lua-shim";
import "../sim/runtimes/tstl-shim";
