/** The one registry of primitives: every op's kernel and derivative rules, by name. */
import type { Primitive } from "../core/dispatch.ts";
import { binaryPrims } from "./binary.ts";
import { castPrims } from "./cast.ts";
import { comparePrims } from "./compare.ts";
import { indexingPrims } from "./indexing.ts";
import { productPrims } from "./products.ts";
import { blockPrims, movementPrims } from "./movement.ts";
import { reducePrims } from "./reduce.ts";
import { unaryPrims } from "./unary.ts";
import { specialPrims } from "./special.ts";

/** Every primitive, by name. Composite ops are not here: they have no rules of their own. */
export const primitives = {
  ...unaryPrims,
  ...binaryPrims,
  ...comparePrims,
  ...reducePrims,
  ...movementPrims,
  ...blockPrims,
  ...productPrims,
  ...indexingPrims,
  ...castPrims,
  ...specialPrims,
};

/** The name of a registered primitive. */
export type PrimitiveName = keyof typeof primitives;

/** The registry as a plain record, for code that walks it. */
export const registry: Readonly<Record<PrimitiveName, Primitive<never>>> = primitives;
