// The build's one way of parsing Lua (luaparse), for its checks and rewrites: Lua 5.3's syntax (a
// superset of what the 5.1 targets are emitted in), no comments (TSTL's bundle has none the build
// needs), each node with its range (character offsets into the source) for the rewrites that edit
// the text where the parser found a name. The source is the build's byte string (one char per
// byte), read in luaparse's x-user-defined encoding mode.

import * as luaparse from "luaparse";
import { LuaNode } from "./lua-scopes";

export interface ParseLuaOptions {
  /** Each node's line and column too (loc), for messages naming a line. */
  locations?: boolean;
  /** luaparse's own scope tracking: the chunk's `globals`. */
  scope?: boolean;
}

/** A parsed chunk (luaparse's tree), every node with its range. */
export function parseLua(src: string, options: ParseLuaOptions = {}): LuaNode {
  return luaparse.parse(src, {
    luaVersion: "5.3",
    ranges: true,
    encodingMode: "x-user-defined",
    comments: false,
    locations: options.locations ?? false,
    scope: options.scope ?? false,
  }) as unknown as LuaNode;
}
