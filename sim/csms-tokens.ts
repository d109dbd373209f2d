// The embedded CSMS's token list: which idTokens it authorizes, read from `--tokens FILE` or the default list.

import * as fs from "node:fs";

/** IdTokenEnumType of the 2.0.1 schemas. */
export const ID_TOKEN_TYPES = ["Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress", "NoAuthorization"];
/** AuthorizationStatusEnumType of the 2.0.1 schemas. */
export const AUTHORIZATION_STATUSES = ["Accepted", "Blocked", "ConcurrentTx", "Expired", "Invalid", "NoCredit", "NotAllowedTypeEVSE", "NotAtThisLocation", "NotAtThisTime", "Unknown"];

export interface IdToken {
  idToken: string;
  type: string;
}

export interface TokenEntry extends IdToken {
  status: string;
  groupIdToken?: IdToken;
}

/** IdTokenInfoType as this CSMS answers it. */
export interface IdTokenInfo {
  status: string;
  groupIdToken?: IdToken;
}

const FLEET: IdToken = { idToken: "FLEET01", type: "Central" };

/** Printed at start when no --tokens file is given: two cards of one group, one invalid, one blocked. */
export const DEFAULT_TOKENS: TokenEntry[] = [
  { idToken: "04A1B2C3", type: "ISO14443", status: "Accepted", groupIdToken: FLEET },
  { idToken: "04D5E6F7", type: "ISO14443", status: "Accepted", groupIdToken: FLEET },
  { idToken: "04BAD000", type: "ISO14443", status: "Invalid" },
  { idToken: "04B10C00", type: "ISO14443", status: "Blocked" },
];

function idTokenOf(v: unknown, where: string): IdToken {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error(`${where}: must be an object { idToken, type }`);
  const o = v as Record<string, unknown>;
  if (typeof o.idToken !== "string" || o.idToken.length > 36) throw new Error(`${where}.idToken: must be a string of at most 36 characters`);
  if (typeof o.type !== "string" || !ID_TOKEN_TYPES.includes(o.type)) throw new Error(`${where}.type: must be one of ${ID_TOKEN_TYPES.join(", ")}`);
  return { idToken: o.idToken, type: o.type };
}

/** Checks a parsed token list; throws with the path of the first mistake. */
export function parseTokens(v: unknown): TokenEntry[] {
  if (!Array.isArray(v)) throw new Error("the token list must be a JSON array");
  return v.map((e, i) => {
    const where = `[${i}]`;
    const t = idTokenOf(e, where);
    const o = e as Record<string, unknown>;
    const extra = Object.keys(o).filter((k) => !["idToken", "type", "status", "groupIdToken"].includes(k));
    if (extra.length > 0) throw new Error(`${where}: unknown field ${extra[0]}`);
    if (typeof o.status !== "string" || !AUTHORIZATION_STATUSES.includes(o.status)) throw new Error(`${where}.status: must be one of ${AUTHORIZATION_STATUSES.join(", ")}`);
    const entry: TokenEntry = { ...t, status: o.status };
    if (o.groupIdToken !== undefined) entry.groupIdToken = idTokenOf(o.groupIdToken, `${where}.groupIdToken`);
    return entry;
  });
}

/** Reads a --tokens file; the error names the file. */
export function readTokens(file: string): TokenEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  try {
    return parseTokens(parsed);
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
}

/** One line per token, for the start banner and the console. */
export function formatTokens(tokens: TokenEntry[]): string[] {
  if (tokens.length === 0) return ["  (no tokens: every card is Unknown)"];
  return tokens.map((t) => `  ${t.idToken.padEnd(12)} ${t.type.padEnd(10)} ${t.status}${t.groupIdToken === undefined ? "" : `  group ${t.groupIdToken.idToken}`}`);
}
