// Per-build check that a block sends only what its block.json lists in "sends": the build compiles
// the Response schemas (and the decoder's depth bound) from those lists, so an unlisted action's
// answers would go unchecked. Every call of the core's send functions in a block's files must name
// its action as a literal (or a union of literals) listed by that block.

import * as path from "node:path";
import * as ts from "typescript";
import { KeyViolation, literals } from "./check-keys";

/** The core's functions that queue a CALL, and the argument that names its action. */
const SENDERS: { [name: string]: number } = { rpcCall: 1, rpcCallJson: 1, rpcCallFirst: 1 };

/** sends: block folder name -> the actions its block.json lists. Files outside profiles/ are not blocks. */
export function checkSends(program: ts.Program, root: string, sends: Map<string, string[]>): KeyViolation[] {
  const checker = program.getTypeChecker();
  const out: KeyViolation[] = [];
  const profiles = path.join(root, "profiles") + path.sep;
  for (const sf of program.getSourceFiles()) {
    const file = path.resolve(sf.fileName);
    if (sf.isDeclarationFile || !file.startsWith(profiles)) continue;
    const block = file.slice(profiles.length).split(path.sep)[0];
    const listed = sends.get(block) ?? [];
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && SENDERS[node.expression.text] !== undefined) {
        const arg = node.arguments[SENDERS[node.expression.text]];
        const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
        const values = arg === undefined ? undefined : literals(checker.getTypeAtLocation(arg));
        if (values === undefined) out.push({ file: sf.fileName, line: line + 1, message: `${node.expression.text}: the action must be a literal listed in profiles/${block}/block.json "sends"` });
        else for (const v of values) if (!listed.includes(v)) out.push({ file: sf.fileName, line: line + 1, message: `sends ${v}, which profiles/${block}/block.json does not list in "sends"` });
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return out;
}
