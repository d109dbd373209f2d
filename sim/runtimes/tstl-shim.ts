// Node stand-ins for the TypeScript-to-Lua language extensions the firmware uses ($multi).
(globalThis as unknown as { $multi: (...v: unknown[]) => unknown[] }).$multi = (...v: unknown[]) => v;
