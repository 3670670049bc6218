/** The registry's rows for elementwise ops and activations of the contract's "More ops" (special functions, inverse and hyperbolic trig, atan2, mod…). */
import type { Row } from "../_row_types.ts";

/** One row per primitive of this family, keyed by name (see `_registry_rows.ts`). */
export const specialRows: Record<never, Row> = {};
