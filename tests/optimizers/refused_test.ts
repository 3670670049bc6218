/** A refused applyGradients changes no variable, no slot and not `iterations`, for every optimizer. */
import assert from "node:assert/strict";
import * as gt from "../../mod.ts";

const { optimizers } = gt;
const js = (x: unknown): never => x as never;
const f64 = (v: number[]) => gt.constant(v, { dtype: "float64" });

const makers: Record<string, () => gt.optimizers.Optimizer> = {
  SGD: () => new optimizers.SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true }),
  Adam: () => new optimizers.Adam({ amsgrad: true, clipNorm: 1 }),
  AdamW: () => new optimizers.AdamW({ globalClipNorm: 1 }),
  RMSprop: () => new optimizers.RMSprop({ centered: true, momentum: 0.5 }),
  Adagrad: () => new optimizers.Adagrad({ clipValue: 0.5 }),
  Adamax: () => new optimizers.Adamax(),
  Nadam: () => new optimizers.Nadam(),
  Lion: () => new optimizers.Lion({ learningRate: new optimizers.schedules.CosineDecay(0.1, 10) }),
};

const snapshot = (vars: readonly gt.Variable[]) => vars.map((v) => Array.from(v.value().data()));

for (const [name, make] of Object.entries(makers)) {
  Deno.test(`${name}: a refused applyGradients changes no variable, slot or step count`, () => {
    const a = new gt.Variable(f64([1, 2]), { name: "a" });
    const b = new gt.Variable(f64([3, 4, 5]), { name: "b" });
    const opt = make();
    opt.applyGradients([[f64([0.5, -1]), a], [f64([1, 2, 3]), b]]);
    let released: gt.Tensor | undefined;
    gt.tidy(() => {
      released = f64([1, 1, 1]).mul(2);
    });
    const good = f64([0.25, 0.25]);
    const refused: [string, unknown, RegExp][] = [
      [
        "a tensor for the variable",
        [[good, a], [f64([1, 1, 1]), f64([3, 4, 5])]],
        /pair 1:.*Variable/,
      ],
      ["a released gradient", [[good, a], [released, b]], /pair 1:.*released/],
      [
        "a gradient of the wrong shape",
        [[good, a], [f64([1, 1]), b]],
        /pair 1:.*shape \[2\].*shape \[3\]/,
      ],
      ["a float32 gradient", [[good, a], [gt.constant([1, 1, 1]), b]], /pair 1:.*float32.*float64/],
      ["a number for the gradient", [[good, a], [1, b]], /pair 1:.*not 1$/],
    ];
    for (const [what, pairs, message] of refused) {
      const before = snapshot([a, b, ...opt.variables]);
      assert.throws(() => opt.applyGradients(js(pairs)), message, what);
      assert.deepEqual(snapshot([a, b, ...opt.variables]), before, what);
      assert.equal(opt.iterations, 1, what);
    }
    // A variable first seen in a refused call gets no slots either.
    const c = new gt.Variable(f64([7]));
    const count = opt.variables.length;
    assert.throws(() => opt.applyGradients(js([[f64([1]), c], [f64([1]), "b"]])), /pair 1/);
    assert.equal(opt.variables.length, count);
    // And the optimizer goes on as if nothing had happened.
    const twin = make();
    const [a2, b2] = [new gt.Variable(f64([1, 2])), new gt.Variable(f64([3, 4, 5]))];
    twin.applyGradients([[f64([0.5, -1]), a2], [f64([1, 2, 3]), b2]]);
    twin.applyGradients([[good, a2], [f64([-1, 0, 1]), b2]]);
    opt.applyGradients([[good, a], [f64([-1, 0, 1]), b]]);
    assert.deepEqual(snapshot([a, b]), snapshot([a2, b2]));
    assert.equal(opt.iterations, 2);
  });
}
