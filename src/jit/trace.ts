/**
 * Tracing: a function run on tensors without values, whose every op is recorded rather than
 * computed. The trace is a transform that takes ops over (see `bind`): an op with an input it
 * owns becomes an equation, and its output another value it owns. Ops on concrete tensors only
 * run as always, so what does not depend on the inputs is computed once, while tracing (constant
 * folding for free), and enters the program as a constant.
 */
import { type Aval, bind, type Primitive, type Transform, withPaused } from "../core/dispatch.ts";
import { currentScope } from "../core/memory.ts";
import { fmtShape, sameShape } from "../core/shape.ts";
import {
  keepTensor,
  lazyFill,
  Tensor,
  type Traced,
  tracedStorage,
  tracedTensor,
  uniformValue,
  viewTensor,
} from "../core/tensor.ts";
import { detached, setVariableHook, type Variable, type VariableHook } from "../core/variable.ts";
import type { DType } from "../core/dtype.ts";
import { type Atom, constOf, type Eqn, isConst, Program, type Var } from "./program.ts";
import { registerWeakScalars } from "../core/convert.ts";
import { registerDescription } from "../core/check.ts";
import { add, subtract } from "../ops/binary.ts";
import { cast, castPrims } from "../ops/cast.ts";
import { setDrawHook } from "../ops/random.ts";

// A value of a trace: which variable of the program it is.
class JitValue implements Traced {
  readonly kind = "traced by jit";
  constructor(readonly owner: JitTrace, readonly v: Var, readonly weak: boolean) {}
  readError(): string {
    if (this.owner.done) {
      return `jit: a tensor traced by jit (shape ${fmtShape(this.v.shape)}, ${this.v.dtype}) ` +
        `outlived the trace of ${this.owner.name}, kept in a closure, a variable or an object ` +
        `made inside: it stands for values known only inside the program; return the tensor ` +
        `from the function instead, and use the result of the call`;
    }
    return `jit: the values of a tensor traced by jit (shape ${fmtShape(this.v.shape)}, ` +
      `${this.v.dtype}) are not known while ${this.owner.name} is traced, nor can a JavaScript ` +
      `branch depend on them: return the tensor from the function and read it after the call, ` +
      `or make the argument it comes from static ({ static: [index] })`;
  }
}

const TO_F32 = { dtype: "float32" };

/**
 * Whether `t` stands for a JavaScript number argument (a weak scalar): traced in float64 so that
 * no precision is lost, it takes the dtype of the tensor it meets, as the number would.
 */
export function isWeak(t: Tensor): boolean {
  const s = tracedStorage(t);
  return s instanceof JitValue && s.weak;
}

// The operand an op leaves as it is, where the other is a constant identity of the op (the ones
// every gradient multiplies by): no equation is needed.
function identityOperand(
  prim: Primitive,
  [a, b]: readonly Tensor[],
  out: Aval,
): Tensor | undefined {
  for (const [e, other, side] of [[a, b, "left"], [b, a, "right"]] as const) {
    const id = prim.identity![side];
    if (id === undefined || tracedStorage(e) !== undefined) continue;
    if (
      Object.is(uniformValue(e), id) && other.dtype === out.dtype &&
      sameShape(other.shape, out.shape)
    ) return other;
  }
  return undefined;
}

/** The trace of one call: the program's inputs and equations so far. */
export class JitTrace implements Transform, VariableHook {
  paused = 0;
  readonly scope = currentScope();
  readonly inputs: Var[] = [];
  readonly eqns: Eqn[] = [];
  /** Variables read, in order, with the input standing for each value on entry. */
  readonly variables = new Map<Variable, Var>();
  /** Each variable's value now, where the function assigned one. */
  readonly assigned = new Map<Variable, Tensor>();
  /** Inputs standing for numbers that met an int32 tensor: each call checks them for int32. */
  readonly integral = new Set<Var>();
  /** Draws from the global generator: inputs drawn again at every call. */
  readonly draws: { readonly input: Var; readonly drawn: Tensor; again: () => Tensor }[] = [];
  #next = 0;

  /** Set when the traced function has returned: its values outlive it only by mistake. */
  done = false;

  constructor(readonly name: string) {}

  process(): void {}
  onVariableRead(): void {}

  apply(prim: Primitive, inputs: readonly Tensor[], attrs: unknown): Tensor {
    // Numbers that met no tensor are float32 scalars, as in eager mode (one that met a tensor
    // was given its dtype when the op converted its arguments).
    if (prim !== castPrims.cast && inputs.length > 0 && inputs.every(isWeak)) {
      inputs = inputs.map((t) =>
        isWeak(t) ? this.apply(castPrims.cast as Primitive, [t], TO_F32) : t
      );
    }
    const aval = prim.shape(inputs, attrs);
    const same = prim.identity === undefined ? undefined : identityOperand(prim, inputs, aval);
    if (same !== undefined) return this.#own(same, inputs);
    const cheaper = prim.uniform === undefined ? undefined : this.#uniform(prim, inputs, attrs);
    if (cheaper !== undefined) return this.#own(cheaper, inputs);
    const other = prim.rewrite === undefined
      ? undefined
      : this.#recorded(() => prim.rewrite!(inputs, attrs));
    if (other !== undefined) return this.#own(other, inputs);
    const atoms = inputs.map((t) => this.atom(t));
    const out = this.#var(aval.shape, aval.dtype);
    this.eqns.push({ prim, inputs: atoms, attrs, out });
    return this.tensor(out, false);
  }

  // NOTE: an op's result must be a tensor of its own even where it equals an operand (x·1): the
  // transforms above record the op, and a tape recording an op whose output is its input mixed
  // up their cotangents (third derivatives of x·eˣ under jit came out as eˣ). Eager mode's
  // shortcuts give a view for the same reason.
  #own(t: Tensor, inputs: readonly Tensor[]): Tensor {
    if (!inputs.includes(t)) return t;
    const s = this.#valueOf(t);
    return s !== undefined ? this.tensor(s.v, s.weak) : viewTensor(t, t.shape, t.dtype);
  }

  // What `t` is in this trace, if it is one of its values.
  #valueOf(t: Tensor): JitValue | undefined {
    const s = tracedStorage(t);
    return s instanceof JitValue && s.owner === this ? s : undefined;
  }

  // The op's form for uniform constant operands (see `Primitive.uniform`), its ops recorded in
  // its place.
  #uniform(prim: Primitive, inputs: readonly Tensor[], attrs: unknown): Tensor | undefined {
    const fills = inputs.map((t) => tracedStorage(t) === undefined ? lazyFill(t) : undefined);
    if (fills.every((f) => f === undefined)) return undefined;
    return this.#recorded(() => prim.uniform!(inputs, fills, attrs));
  }

  // Runs `form` with its ops recorded here: bind paused this trace to call `apply`, and resumes it
  // for the form's ops.
  #recorded(form: () => Tensor | undefined): Tensor | undefined {
    this.paused--;
    try {
      return form();
    } finally {
      this.paused++;
    }
  }

  /** A new input of the program, as a tensor of this trace (`weak`: a JavaScript number). */
  input(shape: readonly number[], dtype: DType, weak = false): Tensor {
    const v = this.#var(shape, dtype);
    this.inputs.push(v);
    return this.tensor(v, weak);
  }

  /** What `t` is in the program: one of its variables, or a constant. */
  atom(t: Tensor): Atom {
    const mine = this.#valueOf(t);
    if (mine !== undefined) return mine.v;
    const s = tracedStorage(t);
    if (s !== undefined) {
      throw new Error(
        `jit: ${this.name} met a tensor ${s.kind} that its trace does not know: ` +
          `jit takes tensors from its arguments, its closure and variables`,
      );
    }
    return constOf(t);
  }

  tensor(v: Var, weak: boolean): Tensor {
    return tracedTensor(new JitValue(this, v, weak), v.shape, v.dtype);
  }

  read(v: Variable): Tensor {
    const now = this.assigned.get(v);
    // A value assigned in the function is read as a tensor of its own, as eager mode's is
    // (`detached`): no tape inside reaches back through the assignment.
    if (now !== undefined) {
      const s = this.#valueOf(now);
      return s !== undefined ? this.tensor(s.v, false) : detached(now);
    }
    let input = this.variables.get(v);
    if (input === undefined) {
      const value = v.peek();
      input = this.#var(value.shape, value.dtype);
      this.variables.set(v, input);
    }
    return this.tensor(input, false);
  }

  owns(t: Tensor): boolean {
    return this.#valueOf(t) !== undefined;
  }

  assign(v: Variable, value: Tensor, sign: 0 | 1 | -1): void {
    const s = tracedStorage(value);
    if (s !== undefined && !this.owns(value)) {
      throw new TypeError(
        `assign: variable '${v.name}' cannot hold a tensor ${s.kind} inside ${this.name}: ` +
          `return the value from the mapped function and assign it outside`,
      );
    }
    const t = sign === 0
      ? value
      : sign > 0
      ? add(this.read(v), value)
      : subtract(this.read(v), value);
    this.assigned.set(v, t);
  }

  /** A random draw: an input of the program, `drawn` now, and drawn `again` at each call. */
  draw(drawn: Tensor, again: () => Tensor): Tensor {
    const input = this.#var(drawn.shape, drawn.dtype);
    this.draws.push({ input, drawn, again });
    return this.tensor(input, false);
  }

  /**
   * `t`'s values at this call where they depend on constants and random draws alone (a variable's
   * initial value, made inside the function): computed now from the numbers drawn while tracing.
   * Those draws are fixed from then on, as the variable is made once: later calls pass the same
   * numbers rather than drawing new ones, so the global generator moves as in eager mode.
   * Undefined where `t` depends on an argument or a variable.
   */
  concrete(t: Tensor): Tensor | undefined {
    const s = this.#valueOf(t);
    if (s === undefined) return undefined;
    const draws = new Map(this.draws.map((d) => [d.input, d]));
    const producers = new Map(this.eqns.map((e) => [e.out, e]));
    // The equations `t` needs, each after those it reads, and the draws they start from.
    const needed: Eqn[] = [], used = new Set<JitTrace["draws"][number]>(), seen = new Set<Var>();
    const visit = (v: Var): boolean => {
      if (seen.has(v)) return true;
      seen.add(v);
      const d = draws.get(v);
      if (d !== undefined) {
        used.add(d);
        return true;
      }
      const e = producers.get(v);
      if (e === undefined) return false;
      for (const a of e.inputs) if (!isConst(a) && !visit(a)) return false;
      needed.push(e);
      return true;
    };
    if (!visit(s.v)) return undefined;
    const values = new Map<Var, Tensor>();
    for (const d of used) values.set(d.input, d.drawn);
    withPaused(0, () => {
      for (const e of needed) {
        const inputs = e.inputs.map((a) => (isConst(a) ? a.value : values.get(a)!));
        values.set(e.out, bind(e.prim, inputs, e.attrs));
      }
    });
    for (const d of used) {
      keepTensor(d.drawn);
      d.again = () => d.drawn;
    }
    return values.get(s.v);
  }

  /** The finished program: arguments' inputs, variables', random draws', and the outputs. */
  program(outputs: readonly Tensor[]): Program {
    return new Program(
      [...this.inputs, ...this.variables.values(), ...this.draws.map((d) => d.input)],
      this.eqns,
      outputs.map((t) => this.atom(t)),
    );
  }

  #var(shape: readonly number[], dtype: DType): Var {
    return { id: this.#next++, shape, dtype };
  }
}

/** Runs `fn` with `trace` reading and assigning variables, and taking random draws. */
export function withStateTraced<T>(trace: JitTrace, fn: () => T): T {
  const old = setVariableHook(trace);
  const oldDraw = setDrawHook((drawn, again) => trace.draw(drawn, again));
  try {
    return fn();
  } finally {
    setVariableHook(old);
    setDrawHook(oldDraw);
  }
}

// Numbers given to a jitted function are traced, so that a new one does not trace again: an op
// that needs one's value (an option such as leakyRelu's alpha) says so and what to do.
registerDescription((v) => {
  const s = v instanceof Tensor ? tracedStorage(v) : undefined;
  if (!(s instanceof JitValue)) return undefined;
  return s.weak
    ? `a number traced by jit (its value is not known while tracing: make that argument ` +
      `static, jit(f, { static: [its index] }), to give the op its value)`
    : `a tensor traced by jit (shape ${fmtShape(s.v.shape)}, ${s.v.dtype}: its values are not ` +
      `known while tracing)`;
});

registerWeakScalars({
  is: isWeak,
  cast(t, dtype) {
    // The number is known only at each call, which checks it as eager mode's conversion would.
    const s = tracedStorage(t) as JitValue;
    if (dtype === "int32") s.owner.integral.add(s.v);
    return cast(t, dtype);
  },
});
