/** The primitives of the decompositions (eigh, svd, qr) and of pinv, for the registry. */
import { eighPrims } from "./eigh.ts";
import { svdPrims } from "./svd.ts";
import { qrPrims } from "./qr.ts";
import { pinvPrims } from "./pinv.ts";

/** The decompositions' primitives, by name. */
export const decompositionPrims = { ...eighPrims, ...svdPrims, ...qrPrims, ...pinvPrims };
