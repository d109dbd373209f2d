// The RAM figures of a flashable board's build, for size.json/size.txt and FLASHING.md alike: what
// the image and the port leave resident (build/resident.ts), and where the board's heap is what
// limits (the ESP8266's, hal/<board>/board.json heapKb) what that heap leaves and whether a charging
// session fits in it, computed here once.

/**
 * The RAM figure of size.json: what the image's and the port's module bodies leave in RAM with their
 * code in flash (build/resident.ts), and where the board's heap is what limits it (the ESP8266's), the
 * heap and what a charging session needs on top.
 */
export interface RamSize {
  residentKb: number;
  heapKb?: number;
  /** The least dynamic RAM a Core charging session has needed (SESSION_MIN_KB). */
  sessionMinKb?: number;
  /** heapKb - residentKb >= sessionMinKb. */
  fits?: boolean;
}

/**
 * The least dynamic RAM a Core charging session needs on Lua 5.1 above the loaded image: the footprint
 * bench measures 24-30 KB for the shipped Core configs (README, "session peak ... dyn"); 20 leaves room
 * for a smaller config and still tells a board that cannot run a session.
 */
export const SESSION_MIN_KB = 20;

/** A limiting heap less the resident RAM, and the verdict: does a Core session's dynamic RAM fit in what is left. */
export interface HeapLeft {
  heapKb: number;
  /** heapKb - residentKb, to 0.1 KB. */
  leftKb: number;
  sessionMinKb: number;
  fits: boolean;
}

/** What the board's heap leaves (undefined where the heap is not what limits: no heapKb). */
export function heapLeft(residentKb: number, heapKb: number | undefined, sessionMinKb = SESSION_MIN_KB): HeapLeft | undefined {
  if (heapKb === undefined) return undefined;
  return { heapKb, leftKb: Math.round((heapKb - residentKb) * 10) / 10, sessionMinKb, fits: heapKb - residentKb >= sessionMinKb };
}

/** size.json's RAM figure: the resident KB, and the heap's figures and verdict where it limits. */
export function ramSize(residentKb: number, heapKb: number | undefined): RamSize {
  const left = heapLeft(residentKb, heapKb);
  return left === undefined ? { residentKb } : { residentKb, heapKb: left.heapKb, sessionMinKb: left.sessionMinKb, fits: left.fits };
}
