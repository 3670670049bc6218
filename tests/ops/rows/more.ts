/** The registry's rows for clipping, einsum, random draws, dropout and losses. */
import type { Row } from "../_row_types.ts";

/** One row per primitive of this family, keyed by name (see `_registry_rows.ts`). */
export const moreRows: Record<never, Row> = {};
