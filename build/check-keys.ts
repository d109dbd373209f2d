// Per-build check of device-model keys: every key the compiled code names (an argument typed
// ModelKey, firmware/keys.ts) must exist in this build's model. A block may name another block's
// variable; when that block is dropped from a build, the build fails here instead of the key
// silently reading as absent (0) on the board.

import * as ts from "typescript";

/** A problem a per-build check found in the code, at a line of a file. */
export interface KeyViolation {
  file: string;
  line: number;
  message: string;
}

/** The string literal values a type can take, or undefined when it is not made of string literals. */
export function literals(t: ts.Type): string[] | undefined {
  if (t.isUnion()) {
    const out: string[] = [];
    for (const u of t.types) {
      const l = literals(u);
      if (l === undefined) return undefined;
      out.push(...l);
    }
    return out;
  }
  if (t.isStringLiteral()) return [t.value];
  return undefined;
}

function isModelKey(t: ts.Type): boolean {
  return t.aliasSymbol?.getName() === "ModelKey";
}

/**
 * Checks every call in the program's selected files whose parameter is declared ModelKey: the
 * argument's possible values (literals, unions, template literals over unions) must all be in `keys`.
 */
export function checkModelKeys(program: ts.Program, files: (f: ts.SourceFile) => boolean, keys: Set<string>): KeyViolation[] {
  const checker = program.getTypeChecker();
  const out: KeyViolation[] = [];
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile || !files(sf)) continue;
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node)) {
        const sig = checker.getResolvedSignature(node);
        sig?.getParameters().forEach((p, i) => {
          const decl = p.valueDeclaration;
          const arg = node.arguments[i];
          if (decl === undefined || arg === undefined || !isModelKey(checker.getTypeOfSymbolAtLocation(p, decl))) return;
          const { line } = sf.getLineAndCharacterOfPosition(arg.getStart(sf));
          const values = literals(checker.getTypeAtLocation(arg));
          if (values === undefined) {
            out.push({ file: sf.fileName, line: line + 1, message: `device-model key is not a literal: ${arg.getText(sf)}` });
            return;
          }
          for (const v of values) {
            if (!keys.has(v)) out.push({ file: sf.fileName, line: line + 1, message: `device-model key ${v} is not in this build's model (is the block that declares it compiled in?)` });
          }
        });
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return out;
}
