// PLACEHOLDER until the journal branch lands: the journal API kept in RAM (no persistence).
import { blockData, Station } from "./station";

export type JValue = string | number | boolean | JValue[] | { [k: string]: JValue };

export interface JournalOwner {
  replay(st: Station, key: string | number, value: JValue | undefined, at: number): void;
  dump(st: Station): void;
}

interface J {
  owners: { [kind: string]: JournalOwner };
  recs: JValue[];
}

function j(st: Station): J {
  const d = blockData(st, "journal") as unknown as J;
  if (d.recs === undefined) {
    d.recs = [];
    d.owners = {};
  }
  return d;
}

export function journalOwner(st: Station, kind: string, owner: JournalOwner): void {
  j(st).owners[kind] = owner;
}

export function journalOpen(st: Station): void {
  j(st);
}

export function journalPut(st: Station, _kind: string, _key: string | number, value: JValue | undefined): number | undefined {
  const d = j(st);
  d.recs[d.recs.length] = value !== undefined ? value : false;
  return d.recs.length - 1;
}

export function journalGet(st: Station, at: number): JValue | undefined {
  return j(st).recs[at];
}
