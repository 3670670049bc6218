/**
 * Linear algebra, as `tf.linalg`: decompositions (`qr`, `eigh`, `svd`) and `pinv`, each on a
 * batch of matrices in the leading dimensions, differentiable in both modes to every order.
 *
 * @module
 */
export * from "./eigh.ts";
export * from "./svd.ts";
