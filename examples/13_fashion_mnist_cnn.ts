/**
 * A TensorFlow user's first real program, in gradtape: a convolutional network trained on
 * Fashion-MNIST with Keras-style layers, a `GradientTape` training step compiled by `jit`, Adam,
 * the loss and accuracy curves written as SVG, and a checkpoint saved, restored into a fresh
 * model and checked to give the same test accuracy.
 *
 * The network is TensorFlow's layers-tutorial one: conv 5×5×32 (same, relu), 2×2 max pool,
 * conv 5×5×64 (same, relu), 2×2 max pool, dense 1024 (relu), dropout 0.4, dense 10.
 *
 * The data come from Debian's `dataset-fashion-mnist` package (gzipped IDX files under
 * `/usr/share/datasets/fashion-mnist`): `apt-get install dataset-fashion-mnist`.
 *
 * Run: `deno run --allow-read --allow-write --allow-env examples/13_fashion_mnist_cnn.ts
 * [--epochs 5] [--train 60000] [--test 10000] [--batch 100] [--out DIR]` (figures and the
 * checkpoint go to DIR, `./out` by default). `deno task demo` runs a short version.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import * as gt from "../mod.ts";
import { outDir, writeFigure } from "./_plot.ts";

/** Where Debian's package puts the data set. */
export const DATA_DIR = "/usr/share/datasets/fashion-mnist";

/** The ten classes, by label. */
export const CLASSES = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
];

async function gunzip(path: string): Promise<Uint8Array> {
  let file: Uint8Array;
  try {
    file = await Deno.readFile(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    throw new Error(
      `${path} is missing: the example reads Fashion-MNIST from Debian's package; install it ` +
        `with \`apt-get install dataset-fashion-mnist\``,
    );
  }
  const stream = new Blob([file as BlobPart]).stream().pipeThrough(
    new DecompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Reads `count` images and labels of a split ("train" or "t10k") from the IDX files: images as
 * float32 [count, 28, 28, 1] scaled to [0, 1], labels as int32 [count].
 */
export async function loadSplit(
  split: "train" | "t10k",
  count: number,
  dir = DATA_DIR,
): Promise<{ images: gt.Tensor; labels: gt.Tensor }> {
  const images = await gunzip(join(dir, `${split}-images-idx3-ubyte.gz`));
  const labels = await gunzip(join(dir, `${split}-labels-idx1-ubyte.gz`));
  const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  // IDX: a big-endian magic number (2051 images, 2049 labels), the dimensions, then bytes.
  if (view(images).getUint32(0) !== 2051 || view(labels).getUint32(0) !== 2049) {
    throw new Error(`${dir}: ${split} files are not IDX images and labels`);
  }
  const n = Math.min(count, view(images).getUint32(4));
  const [rows, cols] = [view(images).getUint32(8), view(images).getUint32(12)];
  const pixels = Float32Array.from(images.subarray(16, 16 + n * rows * cols), (p) => p / 255);
  return {
    images: gt.constant(pixels, { shape: [n, rows, cols, 1] }),
    labels: gt.constant(Int32Array.from(labels.subarray(8, 8 + n)), { dtype: "int32" }),
  };
}

/** The tutorial's network, as Keras layers. */
export function makeModel(): gt.layers.Sequential {
  return new gt.layers.Sequential([
    new gt.layers.Conv2D(32, 5, { padding: "same", activation: "relu" }),
    new gt.layers.MaxPooling2D(2, { strides: 2 }),
    new gt.layers.Conv2D(64, 5, { padding: "same", activation: "relu" }),
    new gt.layers.MaxPooling2D(2, { strides: 2 }),
    new gt.layers.Flatten(),
    new gt.layers.Dense(1024, { activation: "relu" }),
    new gt.layers.Dropout(0.4),
    new gt.layers.Dense(10),
  ]);
}

/** The fraction of `images` that `model` classifies right, in batches, in inference mode. */
export function accuracy(
  model: gt.layers.Sequential,
  images: gt.Tensor,
  labels: gt.Tensor,
  batch = 500,
): number {
  const n = images.shape[0];
  let right = 0;
  for (let i = 0; i < n; i += batch) {
    const size = Math.min(batch, n - i);
    right += gt.tidy(() => {
      const x = gt.slice(images, [i, 0, 0, 0], [size, -1, -1, -1]);
      const y = gt.slice(labels, [i], [size]);
      const predicted = gt.argMax(model.apply(x, { training: false }), 1);
      return gt.reduceSum(gt.cast(gt.equal(predicted, y), "int32")).item();
    });
  }
  return right / n;
}

/** Runs the example, prints its progress and writes its figures and checkpoint under `--out`. */
export async function main(args: readonly string[] = []): Promise<void> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      epochs: { type: "string", default: "5" },
      train: { type: "string", default: "60000" },
      test: { type: "string", default: "10000" },
      batch: { type: "string", default: "100" },
      out: { type: "string" },
    },
  });
  const epochs = Number(values.epochs), batch = Number(values.batch);
  const train = await loadSplit("train", Number(values.train));
  const test = await loadSplit("t10k", Number(values.test));
  const n = train.images.shape[0];
  console.log(
    `Fashion-MNIST: ${n} training and ${test.images.shape[0]} test images of 28×28, ` +
      `${epochs} epochs of batches of ${batch}`,
  );

  gt.random.setSeed(0);
  const model = makeModel();
  const optimizer = new gt.optimizers.Adam({ learningRate: 1e-3 });
  // One step: the loss on a tape, its gradients applied; traced once per batch shape by jit.
  const step = gt.jit((x: gt.Tensor, y: gt.Tensor) => {
    const tape = new gt.GradientTape();
    const loss = tape.record(() =>
      gt.losses.sparseCategoricalCrossentropy(y, model.apply(x, { training: true }), {
        fromLogits: true,
      })
    );
    const variables = model.trainableVariables;
    const grads = tape.gradient(loss, variables);
    optimizer.applyGradients(grads.map((g, i) => [g, variables[i]]));
    return loss;
  });
  // The model builds its variables on its first call, outside the jitted step.
  model.apply(gt.slice(train.images, [0, 0, 0, 0], [1, -1, -1, -1]));

  const losses: number[] = [], trainAcc: number[] = [], testAcc: number[] = [];
  const started = performance.now();
  let reached: number | null = null;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const epochStart = performance.now();
    const order = gt.random.shuffle(gt.range(n, undefined, 1, "int32"), { seed: epoch });
    let sum = 0, count = 0;
    for (let i = 0; i + batch <= n; i += batch) {
      sum += gt.tidy(() => {
        const idx = gt.slice(order, [i], [batch]);
        return step(gt.gather(train.images, idx), gt.gather(train.labels, idx)).item();
      });
      count++;
    }
    const seconds = (performance.now() - epochStart) / 1000;
    losses.push(sum / count);
    trainAcc.push(accuracy(model, train.images, train.labels));
    testAcc.push(accuracy(model, test.images, test.labels));
    if (reached === null && testAcc[epoch - 1] >= 0.91) {
      reached = (performance.now() - started) / 1000;
    }
    console.log(
      `Epoch ${epoch}: loss ${losses[epoch - 1].toFixed(4)}, train accuracy ` +
        `${(100 * trainAcc[epoch - 1]).toFixed(2)}%, test accuracy ` +
        `${(100 * testAcc[epoch - 1]).toFixed(2)}%, ${seconds.toFixed(1)} s`,
    );
  }
  console.log(
    reached === null
      ? "Test accuracy did not reach 91% in this run"
      : `Test accuracy reached 91% after ${reached.toFixed(1)} s of training`,
  );

  const dir = outDir(args);
  const epochsAxis = losses.map((_, i) => i + 1);
  const figure = await writeFigure(dir, "13_fashion_mnist_cnn.svg", [
    {
      title: "Training loss",
      xLabel: "epoch",
      yLabel: "cross-entropy",
      series: [{ kind: "line", color: "crimson", x: epochsAxis, y: losses }],
    },
    {
      title: "Accuracy",
      xLabel: "epoch",
      yLabel: "fraction right",
      series: [
        { name: "train", kind: "line", color: "steelblue", x: epochsAxis, y: trainAcc },
        { name: "test", kind: "dashed", color: "darkorange", x: epochsAxis, y: testAcc },
      ],
    },
  ]);
  console.log(`Figure written to ${figure}`);

  // Save the weights, then restore them into a fresh model (built by one call, as Keras's models
  // are) and check that it classifies the test set the same way.
  const path = join(dir, "13_fashion_mnist_cnn.safetensors");
  await Deno.writeFile(path, new gt.Checkpoint({ model }).save());
  const fresh = makeModel();
  fresh.apply(gt.slice(test.images, [0, 0, 0, 0], [1, -1, -1, -1]));
  new gt.Checkpoint({ model: fresh }).restore(await Deno.readFile(path));
  const restored = accuracy(fresh, test.images, test.labels);
  console.log(`Checkpoint written to ${path}`);
  console.log(
    `Test accuracy of the restored model: ${(100 * restored).toFixed(2)}% ` +
      `(trained: ${(100 * testAcc[epochs - 1]).toFixed(2)}%)`,
  );
  if (restored !== testAcc[epochs - 1]) throw new Error("the restored model differs");
}

if (import.meta.main) await main(Deno.args);
