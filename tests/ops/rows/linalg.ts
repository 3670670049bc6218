/** The registry's rows for the linear algebra of gt.linalg (decompositions, solves, structural ops). */
import type { Row } from "../_row_types.ts";

/** One row per primitive of this family, keyed by name (see `_registry_rows.ts`). */
export const linalgRows: Record<never, Row> = {};
