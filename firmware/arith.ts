// Integer division that is exact on every target VM, NodeMCU ESP32's included (32-bit integers and
// single floats). The only file that may use `/` without a `// float:` reason (docs/subset.md).
//
// `/` is float division. On a single-float VM both operands are first rounded to 24 bits and so is the
// quotient: math.floor(1795046336 / 86400) is 20776 there, while the true quotient is 20775.99926.
// Lua 5.1 has no `//`. So: a float estimate, then a correction from the exact integer remainder.

/**
 * floor(a / b), exact on every VM for integers |a| < 2^31 and 1 < b < 2^30 (a float a is floored first;
 * above 2^24 a single float is integral anyway). b = 1 is excluded: a / 1 may round to 2^31, no integer.
 */
function idiv(a: number, b: number): number {
  const n = math.floor(a); // an integer on Lua 5.3, so the products below are integer arithmetic
  let q = math.floor(n / b);
  let r = n - q * b; // exact: it is small, and a 32-bit product that wraps still leaves it right
  if (r < 0 || r >= b) {
    // Off by up to a few hundred on a single-float VM: one more float step on the small remainder, then a unit.
    const c = math.floor(r / b);
    q = q + c;
    r = r - c * b;
    if (r < 0) q = q - 1;
    else if (r >= b) q = q + 1;
  }
  return q;
}

/** a - floor(a / b) * b, in 0 .. b - 1; same domain as idiv. */
export function imod(a: number, b: number): number {
  return math.floor(a) - idiv(a, b) * b;
}

export { idiv };
