// PLACEHOLDER until the journal branch lands: the journal API kept in RAM (no persistence).
import { blockData, Ctx } from "./station";

export type JValue = string | number | boolean | JValue[] | { [k: string]: JValue };

export interface JournalOwner {
  replay(st: Ctx, key: string | number, value: JValue | undefined, at: number): void;
  dump(st: Ctx): void;
}

interface J {
  owners: { [kind: string]: JournalOwner };
  recs: JValue[];
}

function j(st: Ctx): J {
  const d = blockData(st, "journal") as unknown as J;
  if (d.recs === undefined) {
    d.recs = [];
    d.owners = {};
  }
  return d;
}

export function journalOwner(st: Ctx, kind: string, owner: JournalOwner): void {
  j(st).owners[kind] = owner;
}

export function journalOpen(st: Ctx): void {
  j(st);
}

export function journalPut(st: Ctx, _kind: string, _key: string | number, value: JValue | undefined): number | undefined {
  const d = j(st);
  d.recs[d.recs.length] = value !== undefined ? value : false;
  return d.recs.length - 1;
}

export function journalGet(st: Ctx, at: number): JValue | undefined {
  return j(st).recs[at];
}
