/**
 * Jitted programs without code generation: a child process in which V8 forbids generating code
 * from strings (as a page whose Content-Security-Policy lacks `unsafe-eval`) runs the programs
 * of `_interpreted_child.ts` (elementwise chains with broadcasting, a gradient, a training step
 * with variables, an int32 chain); there nothing is fused and each op runs its kernel. Its
 * results must equal this process's, where the same programs run fused loops, bit for bit.
 */
import assert from "node:assert/strict";
import { canGenerate } from "../../src/core/kernels/generated.ts";
import { jitOutcomes, type Outcome } from "./_interpreted_child.ts";
import { runWithoutCodegen } from "../_helpers.ts";

Deno.test("jit without code generation: nothing is fused, and every result is the same", async () => {
  const child = await runWithoutCodegen(new URL("./_interpreted_child.ts", import.meta.url));
  assert.equal(child.canGenerate, false, "the child could generate code: the flag had no effect");
  assert.equal(canGenerate, true, "this process cannot generate code: nothing would be compared");
  const theirs = child.outcomes as Record<string, Outcome>;
  const ours = jitOutcomes();
  assert.deepEqual(Object.keys(theirs), Object.keys(ours));
  for (const [name, mine] of Object.entries(ours)) {
    const other = theirs[name];
    assert.equal(mine.fused, true, `${name}: this process fused nothing`);
    assert.equal(other.fused, false, `${name}: the child fused a loop without code generation`);
    assert.deepEqual(other.dtypes, mine.dtypes, `${name}: dtypes`);
    assert.deepEqual(other.shapes, mine.shapes, `${name}: shapes`);
    assert.ok(mine.values.every((v) => v.length > 0), `${name}: empty results`);
    assert.deepEqual(other.values, mine.values, `${name}: interpreted against fused`);
  }
});
