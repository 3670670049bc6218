/** The registry's rows for reductions, scans and sorting. */
import type { Row } from "../_row_types.ts";

/** One row per primitive of this family, keyed by name (see `_registry_rows.ts`). */
export const scanRows: Record<never, Row> = {};
