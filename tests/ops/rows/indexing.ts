/** The registry's rows for indexing and scattering (gatherNd, scatterNd, the segment ops, oneHot…). */
import type { Row } from "../_row_types.ts";

/** One row per primitive of this family, keyed by name (see `_registry_rows.ts`). */
export const indexingRows: Record<never, Row> = {};
