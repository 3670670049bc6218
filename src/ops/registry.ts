/** The one registry of primitives: every op's kernel and derivative rules, by name. */
import type { Primitive } from "../core/dispatch.ts";
import { binaryPrims } from "./binary.ts";
import { castPrims } from "./cast.ts";
import { comparePrims } from "./compare.ts";
import { convPrims } from "./conv.ts";
import { indexingPrims } from "./indexing.ts";
import { linalgPrims } from "./linalg/prims.ts";
import { productPrims } from "./products.ts";
import { blockPrims, movementPrims } from "./movement.ts";
import { reducePrims } from "./reduce.ts";
import { scanPrims } from "./scan.ts";
import { sortPrims } from "./sort.ts";
import { unaryPrims } from "./unary.ts";
import { decompositionPrims } from "./linalg/decompositions.ts";
import { specialPrims } from "./special.ts";
import { poolPrims } from "./pool.ts";

/** Every primitive, by name. Composite ops are not here: they have no rules of their own. */
export const primitives = {
  ...unaryPrims,
  ...binaryPrims,
  ...comparePrims,
  ...reducePrims,
  ...scanPrims,
  ...sortPrims,
  ...movementPrims,
  ...blockPrims,
  ...productPrims,
  ...indexingPrims,
  ...castPrims,
  ...linalgPrims,
  ...decompositionPrims,
  ...specialPrims,
  ...convPrims,
  ...poolPrims,
};

/** The name of a registered primitive. */
export type PrimitiveName = keyof typeof primitives;

/** The registry as a plain record, for code that walks it. */
export const registry: Readonly<Record<PrimitiveName, Primitive<never>>> = primitives;
