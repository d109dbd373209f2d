// Enforces the parts of the restricted subset (docs/subset.md) that neither the type checker (noLib)
// nor the Lua checker (build/check-lua.ts) can see: constructs that compile without lualib but
// behave differently in Lua, that Lua 5.3 would run natively where 5.1 cannot, or that lose
// precision on a VM with 32-bit integers and single floats.

import * as ts from "typescript";

export interface SubsetViolation {
  file: string;
  line: number;
  message: string;
}

const BITWISE = new Set([
  ts.SyntaxKind.AmpersandToken, ts.SyntaxKind.BarToken, ts.SyntaxKind.CaretToken,
  ts.SyntaxKind.LessThanLessThanToken, ts.SyntaxKind.GreaterThanGreaterThanToken, ts.SyntaxKind.GreaterThanGreaterThanGreaterThanToken,
  ts.SyntaxKind.AmpersandEqualsToken, ts.SyntaxKind.BarEqualsToken, ts.SyntaxKind.CaretEqualsToken,
  ts.SyntaxKind.LessThanLessThanEqualsToken, ts.SyntaxKind.GreaterThanGreaterThanEqualsToken, ts.SyntaxKind.GreaterThanGreaterThanGreaterThanEqualsToken,
]);

/** True when the type may be a number or a string (where Lua's truthiness differs from JS: 0 and "" are true). */
function mayBeNumberOrString(t: ts.Type): boolean {
  if (t.isUnion()) return t.types.some(mayBeNumberOrString);
  const f = t.flags;
  return (f & (ts.TypeFlags.NumberLike | ts.TypeFlags.StringLike | ts.TypeFlags.Any | ts.TypeFlags.Unknown)) !== 0;
}

// Where float arithmetic is allowed without a reason: the exact integer division helpers.
const FLOAT_HELPERS = /[\\/]firmware[\\/]arith\.ts$/;

/**
 * Text in which a `// float:` reason may stand for a node: from the leading comments of the innermost
 * enclosing function (or top-level statement) up to the node itself.
 */
function reasonScope(sf: ts.SourceFile, node: ts.Node): string {
  let n: ts.Node = node;
  while (n.parent !== undefined && !ts.isFunctionLike(n) && !ts.isSourceFile(n.parent)) n = n.parent;
  return sf.text.slice(n.getFullStart(), node.getStart(sf));
}

/** Checks every firmware source of a program. `files` selects which source files to lint. */
export function lintSubset(program: ts.Program, files: (f: ts.SourceFile) => boolean): SubsetViolation[] {
  const checker = program.getTypeChecker();
  const out: SubsetViolation[] = [];
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile || !files(sf)) continue;
    const report = (node: ts.Node, message: string) => {
      const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
      out.push({ file: sf.fileName, line: line + 1, message });
    };
    const condition = (e: ts.Expression) => {
      const t = checker.getTypeAtLocation(e);
      if (mayBeNumberOrString(t)) report(e, `truthiness test on ${checker.typeToString(t)}: compare explicitly (0 and "" are true in Lua)`);
    };
    const floatOk = FLOAT_HELPERS.test(sf.fileName);
    const needsFloatReason = (node: ts.Node, what: string) => {
      if (!floatOk && !/\/\/ float:/.test(reasonScope(sf, node))) {
        report(node, `${what}: use idiv/imod (firmware/arith.ts), or give a \`// float:\` reason in the function (single-float VMs keep 24 bits)`);
      }
    };
    const visit = (node: ts.Node): void => {
      if (ts.isBinaryExpression(node)) {
        const op = node.operatorToken.kind;
        if (op === ts.SyntaxKind.SlashToken || op === ts.SyntaxKind.SlashEqualsToken) needsFloatReason(node, "'/' is float division");
        if (op === ts.SyntaxKind.AsteriskAsteriskToken || op === ts.SyntaxKind.AsteriskAsteriskEqualsToken) needsFloatReason(node, "'**' gives a float");
        if (BITWISE.has(op)) report(node, "bitwise operator: not in Lua 5.1, use a declared bit module");
        if (op === ts.SyntaxKind.PercentToken || op === ts.SyntaxKind.PercentEqualsToken) {
          // Lua's % floors, JS's truncates: they agree only for non-negative operands.
          if (!/nonneg/.test(sf.text.slice(Math.max(0, node.getStart(sf) - 200), node.getStart(sf)))) {
            report(node, "'%' needs a `// nonneg:` comment on the lines above stating why both operands are non-negative");
          }
        }
        if (op === ts.SyntaxKind.BarBarToken || op === ts.SyntaxKind.QuestionQuestionToken) {
          const t = checker.getTypeAtLocation(node.left);
          if (mayBeNumberOrString(t)) report(node, `'${node.operatorToken.getText(sf)}' default on ${checker.typeToString(t)}: write the comparison out`);
        }
        if (op === ts.SyntaxKind.AmpersandAmpersandToken || op === ts.SyntaxKind.BarBarToken) {
          condition(node.left);
          if (op === ts.SyntaxKind.AmpersandAmpersandToken && ts.isIfStatement(node.parent)) condition(node.right);
        }
      }
      if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.TildeToken) report(node, "bitwise operator '~'");
      if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.ExclamationToken) condition(node.operand);
      if (ts.isIfStatement(node) || ts.isWhileStatement(node) || ts.isDoStatement(node)) condition(node.expression);
      if (ts.isForStatement(node) && node.condition !== undefined) condition(node.condition);
      if (ts.isConditionalExpression(node)) condition(node.condition);
      if (ts.isNumericLiteral(node) && Number.isInteger(Number(node.text)) && Number(node.text) > 2147483647) {
        needsFloatReason(node, `${node.text} is no 32-bit integer (a float on NodeMCU ESP32)`);
      }
      if (ts.isLabeledStatement(node)) report(node, "labeled statement");
      if (ts.isClassDeclaration(node) || ts.isClassExpression(node)) report(node, "class: use plain tables and functions");
      if (ts.isSpreadElement(node) || ts.isSpreadAssignment(node)) report(node, "spread");
      if ((ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node) || ts.isArrowFunction(node) || ts.isMethodDeclaration(node)) &&
        node.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)) report(node, "async function");
      if ((ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node)) && node.asteriskToken !== undefined) report(node, "generator");
      if (ts.isArrayLiteralExpression(node) && node.elements.some((e) => ts.isOmittedExpression(e))) report(node, "array with holes");
      if (ts.isVariableStatement(node) && node.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) &&
        (node.declarationList.flags & ts.NodeFlags.Let) !== 0) report(node, "'export let': TSTL copies imported bindings, share a table instead");
      if (ts.isDeleteExpression(node)) report(node, "delete: assign undefined instead");
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return out;
}
