// build/rename-fields.ts: the image's own state fields get short names wherever they are fields, and
// nothing else changes: locals and globals of the same name, strings, schema properties, what boards see.

import { describe, expect, it } from "vitest";
import { renameFields } from "../build/rename-fields";

describe("renameFields", () => {
  it("renames a state field in accesses and constructors alike, the same name each time, and leaves locals, strings and comments alone", () => {
    const src = [
      "local registration = 1",
      "local st = { registration = \"none\", hal = hal }",
      "st.registration = \"Accepted\"",
      "print(st.registration, registration, \"registration\" .. \"x\")",
      "-- st.registration in a comment",
      "",
    ].join("\n");
    // "registration" as a string literal keeps it: a bundle without one renames it.
    expect(renameFields(src).renamed.has("registration")).toBe(false);
    const plain = src.replace('"registration" .. ', "");
    const { source, renamed } = renameFields(plain);
    const short = renamed.get("registration") as string;
    expect(short).toMatch(/^_[0-9a-z]{2}$/);
    expect(source).toContain(`local registration = 1`);
    expect(source).toContain(`{ ${short} = "none", hal = hal }`);
    expect(source).toContain(`st.${short} = "Accepted"`);
    expect(source).toContain(`print(st.${short}, registration, "x")`);
    // The same short name in every build.
    expect(renameFields(`x.registration = 2`).renamed.get("registration")).toBe(short);
  });

  it("keeps schema properties (evseId, transactionId), the HAL's and the entry points' names, and short names", () => {
    const src = "t.evseId = 1; t.id = 2; t.lastUpdated = 3; h.uptime = 4; fw.start = 5; t.remotePending = true\n";
    const { source, renamed } = renameFields(src);
    for (const kept of ["evseId", "id", "uptime", "start"]) expect(renamed.has(kept)).toBe(false);
    expect(source).toContain("t.evseId = 1; t.id = 2;");
    expect(source).toContain("h.uptime = 4; fw.start = 5;");
    expect(source).not.toContain("lastUpdated");
    expect(source).not.toContain("remotePending");
  });

  it("never gives a name the bundle already uses", () => {
    const first = renameFields("x.registration = 1\n").renamed.get("registration") as string;
    const { renamed } = renameFields(`x.registration = 1\ny.${first} = 2\n`);
    expect(renamed.get("registration")).not.toBe(first);
  });
});
