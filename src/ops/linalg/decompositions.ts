/** The primitives of the decompositions (eigh, svd, qr), for the registry. */
import { eighPrims } from "./eigh.ts";
import { svdPrims } from "./svd.ts";

/** The decompositions' primitives, by name. */
export const decompositionPrims = { ...eighPrims, ...svdPrims };
