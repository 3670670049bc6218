/** The primitives of gt.linalg, by name, for the registry (src/ops/registry.ts). */
import { choleskyPrims } from "./cholesky.ts";
import { luPrims } from "./lu.ts";
import { triangularPrims } from "./triangular_solve.ts";

/** Every gt.linalg primitive, by name. */
export const linalgPrims = { ...triangularPrims, ...choleskyPrims, ...luPrims };
