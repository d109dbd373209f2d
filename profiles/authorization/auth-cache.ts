// C10 Authorization Cache: the latest idTokenInfo the CSMS gave for each identifier, kept in the
// flash journal so it survives a reboot (C10.FR.02), bounded in entries and bytes.
//
// One entry is one string (status, expiry, last update, group, EVSE list) under the key
// "type|idtoken": a few dozen bytes of heap each instead of a table of fields. The keys are also
// kept in an array in eviction order (FIFO: insertion; LRU: last use; LFU: use counts beside it).

import { fmtNum, isArray, JsonObject } from "../../firmware/json";
import { journalOwner, journalPut, JValue } from "../../firmware/journal";
import { modelGet, modelInt } from "../../firmware/model";
import { epochNow } from "../../firmware/clock";
import { parseIsoTime } from "../../firmware/time";
import { blockData, Ctx } from "../../firmware/station";

const KIND = "auth";
/** Journal key that clears the whole cache (ClearCache): no entry key is empty. */
const CLEAR = "";

interface Cache {
  /** key -> "status|exp|upd|gtype|evses|gid" (exp, upd: epoch seconds, 0 unknown; gid last: it may hold any character). */
  map: { [key: string]: string };
  /** Keys, the next to evict first. */
  order: string[];
  /** LFU: uses per key. */
  hits: { [key: string]: number };
  bytes: number;
  /** The journal refused a write (full): logged once. */
  full: boolean;
}

/** A cache entry read back (one table reused: entries are read one at a time). */
export const entry = { status: "", exp: 0, upd: 0, gtype: "", evses: "", gid: "" };

function cache(ctx: Ctx): Cache {
  const d = blockData(ctx, "authCache") as unknown as Cache;
  if (d.map === undefined) {
    d.map = {};
    d.order = [];
    d.hits = {};
    d.bytes = 0;
    d.full = false;
  }
  return d;
}

/** Identifiers are compared by type and value, the value case-insensitively (IdTokenType, C01.FR.25). */
function tokenKey(idToken: JsonObject): string {
  return (idToken.type as string) + "|" + string.lower(idToken.idToken as string);
}

/** AuthCacheCtrlr.Enabled (C10.FR.11). */
function cacheEnabled(ctx: Ctx): boolean {
  return modelGet(ctx, "AuthCacheCtrlr/Enabled") === "true";
}

/** C02.FR.03, C03.FR.02/C05.FR.02: what the CSMS says about these types is never cached. */
function cacheable(idToken: JsonObject): boolean {
  const t = idToken.type as string;
  return t !== "NoAuthorization" && t !== "Central";
}

function field(s: string, from: number): number {
  const [bar] = string.find(s, "|", from, true);
  return bar as number;
}

function unpack(s: string): void {
  let a = 1;
  let b = field(s, a);
  entry.status = string.sub(s, a, b - 1);
  a = b + 1; b = field(s, a); entry.exp = tonumber(string.sub(s, a, b - 1)) as number;
  a = b + 1; b = field(s, a); entry.upd = tonumber(string.sub(s, a, b - 1)) as number;
  a = b + 1; b = field(s, a); entry.gtype = string.sub(s, a, b - 1);
  a = b + 1; b = field(s, a); entry.evses = string.sub(s, a, b - 1);
  entry.gid = string.sub(s, b + 1);
}

function orderIndex(c: Cache, key: string): number {
  for (let i = 0; i < c.order.length; i++) if (c.order[i] === key) return i;
  return -1;
}

function put(ctx: Ctx, key: string, value: JValue | undefined): void {
  const c = cache(ctx);
  if (journalPut(ctx, KIND, key, value) === undefined && !c.full) {
    c.full = true;
    ctx.hal.log(2, "journal full: auth cache kept in RAM");
  }
}

/** Sets or removes an entry in RAM, keeping order and bytes. */
function set(c: Cache, key: string, value: string | undefined): void {
  const old = c.map[key];
  const hits = old !== undefined ? c.hits[key] : 0;
  if (old !== undefined) {
    c.bytes = c.bytes - key.length - old.length;
    table.remove(c.order, orderIndex(c, key) + 1);
  }
  c.map[key] = value as string;
  c.hits[key] = (value !== undefined ? hits : undefined) as number;
  if (value !== undefined) {
    c.bytes = c.bytes + key.length + value.length;
    c.order[c.order.length] = key;
  }
}

function remove(ctx: Ctx, key: string): void {
  set(cache(ctx), key, undefined);
  put(ctx, key, undefined);
}

/** The policy's victim: entries not Accepted go first (C10.FR.07), then the first in order (LFU: fewest uses). */
function victim(ctx: Ctx, c: Cache): string {
  const lfu = modelGet(ctx, "AuthCacheCtrlr/Policy") === "LFU";
  let best = -1;
  let bestRefused = false;
  let bestHits = 0;
  for (let i = 0; i < c.order.length; i++) {
    const k = c.order[i];
    const refused = string.sub(c.map[k], 1, 9) !== "Accepted|";
    const h = c.hits[k];
    const better = best < 0 || (refused && !bestRefused) || (refused === bestRefused && lfu && h < bestHits);
    if (better) {
      best = i;
      bestRefused = refused;
      bestHits = h;
    }
  }
  return c.order[best];
}

/** Has the entry just unpacked outlived cacheExpiryDateTime (C10.FR.13) or LifeTime since its last update (C10.FR.10)? */
function expired(ctx: Ctx, now: number | undefined): boolean {
  if (now === undefined) return false;
  if (entry.exp > 0) return now > entry.exp;
  return entry.upd > 0 && now - entry.upd > modelInt(ctx, "AuthCacheCtrlr/LifeTime");
}

/**
 * The live entry of an identifier, unpacked into `entry`, or false. An expired entry is removed
 * (C10.FR.10/13). A found entry counts as used (LRU, LFU).
 */
export function cacheFind(ctx: Ctx, idToken: JsonObject): boolean {
  const c = cache(ctx);
  const key = tokenKey(idToken);
  const s = c.map[key];
  if (s === undefined) return false;
  unpack(s);
  if (expired(ctx, epochNow(ctx))) {
    remove(ctx, key);
    return false;
  }
  c.hits[key] = c.hits[key] + 1;
  if (modelGet(ctx, "AuthCacheCtrlr/Policy") === "LRU") {
    table.remove(c.order, orderIndex(c, key) + 1);
    c.order[c.order.length] = key;
  }
  return true;
}

/** The IdTokenInfo of the entry just found. */
export function entryInfo(): JsonObject {
  const info: JsonObject = { status: entry.status };
  if (entry.gid !== "") info.groupIdToken = { idToken: entry.gid, type: entry.gtype };
  if (entry.evses !== "") {
    const list: number[] = [];
    let a = 1;
    while (a <= entry.evses.length) {
      const [comma] = string.find(entry.evses, ",", a, true);
      const b = comma === undefined ? entry.evses.length + 1 : comma;
      list[list.length] = tonumber(string.sub(entry.evses, a, b - 1)) as number;
      a = b + 1;
    }
    info.evseId = list;
  }
  return info;
}

/**
 * C10.FR.01/04/05, C12.FR.06: stores what the CSMS said about an identifier, whatever its status.
 * A cacheExpiryDateTime already past removes the entry instead (C10.FR.10 errata note). With the
 * cache disabled only entries already there are updated (so they are not stale when it is enabled
 * again, and changing Enabled alters no content).
 */
export function cacheStore(ctx: Ctx, idToken: JsonObject, info: JsonObject): void {
  if (!cacheable(idToken)) return;
  const c = cache(ctx);
  const key = tokenKey(idToken);
  if (!cacheEnabled(ctx) && c.map[key] === undefined) return;
  const now = epochNow(ctx);
  let exp = 0;
  const cx = info.cacheExpiryDateTime;
  if (type(cx) === "string") {
    const t = parseIsoTime(cx as string);
    if (t !== undefined) exp = t;
  }
  if (exp > 0 && now !== undefined && now > exp) {
    if (c.map[key] !== undefined) remove(ctx, key);
    return;
  }
  let gid = "";
  let gtype = "";
  const g = info.groupIdToken as JsonObject | undefined;
  if (g !== undefined) {
    gid = g.idToken as string;
    gtype = g.type as string;
  }
  const parts: string[] = [];
  const ev = info.evseId;
  if (isArray(ev)) for (let i = 0; i < (ev as number[]).length; i++) parts[parts.length] = fmtNum((ev as number[])[i]);
  const value = (info.status as string) + "|" + fmtNum(exp) + "|" + fmtNum(now !== undefined ? now : 0) + "|" + gtype + "|" + table.concat(parts, ",") + "|" + gid;
  // One entry larger than the whole cache is not kept.
  if (key.length + value.length > ctx.img.bounds.authCacheBytes) return;
  set(c, key, value);
  // C10.FR.07: room is made by evicting; the new entry is last in every order, so it stays.
  while (c.order.length > ctx.img.bounds.authCacheEntries || c.bytes > ctx.img.bounds.authCacheBytes) remove(ctx, victim(ctx, c));
  put(ctx, key, value);
}

/** C11: empties the cache. */
export function cacheClear(ctx: Ctx): void {
  const c = cache(ctx);
  c.map = {};
  c.order = [];
  c.hits = {};
  c.bytes = 0;
  put(ctx, CLEAR, true);
}

/** AuthCacheCtrlr.Storage: bytes the entries take (keys and values). */
export function cacheBytes(ctx: Ctx): number {
  return cache(ctx).bytes;
}

/** Registers the cache with the journal: replay rebuilds it in write order, dump rewrites the live entries. */
export function cacheRestore(ctx: Ctx): void {
  journalOwner(ctx, KIND, {
    replay: (st: Ctx, key: string | number, value: JValue | undefined) => {
      const c = cache(st);
      if (key === CLEAR) {
        c.map = {};
        c.order = [];
        c.hits = {};
        c.bytes = 0;
      } else if (type(key) === "string") set(c, key as string, type(value) === "string" ? (value as string) : undefined);
    },
    dump: (st: Ctx) => {
      const c = cache(st);
      for (let i = 0; i < c.order.length; i++) put(st, c.order[i], c.map[c.order[i]]);
    },
  });
}

export { cacheEnabled, cacheable };
