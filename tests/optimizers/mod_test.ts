import assert from "node:assert/strict";

Deno.test("deno doc lists every optimizer, its options and the schedules in the optimizers namespace", async () => {
  const root = new URL("../../mod.ts", import.meta.url);
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", root.pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  type Symbol = { name: string; declarations: { jsDoc?: unknown; def?: { elements: Symbol[] } }[] };
  const json = JSON.parse(new TextDecoder().decode(stdout));
  const symbols: Symbol[] = json.nodes[root.href].symbols;
  const ns = symbols.find((s) => s.name === "optimizers");
  const elements = ns?.declarations[0].def?.elements ?? [];
  for (
    const name of [
      "Optimizer",
      "OptimizerOptions",
      "LearningRate",
      "UpdateContext",
      "SlotSpec",
      "SGD",
      "SGDOptions",
      "Adam",
      "AdamOptions",
      "AdamW",
      "RMSprop",
      "RMSpropOptions",
      "Adagrad",
      "AdagradOptions",
      "Adamax",
      "AdamaxOptions",
      "Nadam",
      "NadamOptions",
      "Lion",
      "LionOptions",
      "GradientPair",
      "schedules",
    ]
  ) {
    const element = elements.find((e) => e.name === name);
    assert.ok(element, `optimizers.${name} is missing from deno doc`);
    assert.ok(element.declarations[0].jsDoc, `optimizers.${name} has no documentation`);
  }
});
