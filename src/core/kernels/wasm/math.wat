;; float32 sin, cos, exp, sigmoid and tanh over arrays with 128-bit SIMD, four lanes at a time.
;; Each takes the source and destination byte offsets and a count that is a multiple of 4, and
;; returns 1 when some element lies outside the range the fast path serves (the caller then
;; recomputes those elements its own way), else 0. Results are within 2 float32 ulps of the exact
;; value. The fused build's relaxed multiply-adds may or may not be fused, as the engine (and its
;; compilation tier) decides, so a result may differ by an ulp between engines or runs.
(module
  (memory (export "memory") 1)

  ;; sin (cosine = 0) or cos (cosine = 1) of n floats, for |x| ≤ 8192.
  ;; |x| = j·π/2 + r with |r| ≤ π/4, π/2 in four parts: the first three have at most 11
  ;; significant bits, so j·part is exact for j < 2¹³ and r keeps its low bits. Then
  ;; sin(|x|) is ±sin r or ±cos r by the quadrant j (j + 1 for cos), and sin takes x's sign.
  ;; NOTE: j + 1.5·2²³ holds the integer j in its low mantissa bits (exact for |j| < 2²²), so its
  ;; bits less 0x4b400000 are j as an int32: one add, where i32x4.trunc_sat_f32x4_s takes about
  ;; eight instructions on x86 (sin 0.96 of the time, exp 0.90). exp below does the same with k.
  (func (export "sincos") (param $src i32) (param $dst i32) (param $n i32) (param $cosine i32)
    (result i32)
    (local $x v128) (local $ax v128) (local $j v128) (local $r v128) (local $z v128)
    (local $s v128) (local $c v128) (local $q v128) (local $bad v128) (local $sign v128)
    (local $turn v128) (local $magic v128) (local $one v128) (local $max v128)
    (local $invpio2 v128)
    (local $p1 v128) (local $p2 v128) (local $p3 v128) (local $p4 v128)
    (local $ones v128) (local $twos v128)
    (local $s3 v128) (local $s5 v128) (local $s7 v128) (local $s9 v128)
    (local $c2 v128) (local $c4 v128) (local $c6 v128) (local $c8 v128) (local $c10 v128)
    (local $end i32)
    (local.set $one (f32x4.splat (f32.const 1)))
    (local.set $s3 (f32x4.splat (f32.const -0.16666666666666666)))
    (local.set $s5 (f32x4.splat (f32.const 0.008333333333333333)))
    (local.set $s7 (f32x4.splat (f32.const -0.0001984126984126984)))
    (local.set $s9 (f32x4.splat (f32.const 2.7557319223985893e-6)))
    (local.set $c2 (f32x4.splat (f32.const -0.5)))
    (local.set $c4 (f32x4.splat (f32.const 0.041666666666666664)))
    (local.set $c6 (f32x4.splat (f32.const -0.001388888888888889)))
    (local.set $c8 (f32x4.splat (f32.const 2.48015873015873e-5)))
    (local.set $c10 (f32x4.splat (f32.const -2.755731922398589e-7)))
    (local.set $max (f32x4.splat (f32.const 8192)))
    (local.set $invpio2 (f32x4.splat (f32.const 0.6366197723675814)))
    (local.set $p1 (f32x4.splat (f32.const 1.5703125)))
    (local.set $p2 (f32x4.splat (f32.const 4.837512969970703e-4)))
    (local.set $p3 (f32x4.splat (f32.const 7.549533620476723e-8)))
    (local.set $p4 (f32x4.splat (f32.const 2.5633441515945190e-12)))
    (local.set $ones (i32x4.splat (i32.const 1)))
    (local.set $twos (i32x4.splat (i32.const 2)))
    (local.set $magic (f32x4.splat (f32.const 12582912)))
    ;; the quadrant's turn for cos, less 1.5·2²³'s bits (0x4b400000)
    (local.set $turn (i32x4.splat (i32.sub (local.get $cosine) (i32.const 0x4b400000))))
    ;; sin is odd: the sign bit of x goes onto the result; cos is even: nothing does.
    (local.set $sign (i32x4.splat
      (select (i32.const 0) (i32.const 0x80000000) (local.get $cosine))))
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (loop $each
        (local.set $x (v128.load (local.get $src)))
        (local.set $ax (f32x4.abs (local.get $x)))
        ;; NaN fails the comparison too
        (local.set $bad (v128.or (local.get $bad)
          (v128.not (f32x4.le (local.get $ax) (local.get $max)))))
        (local.set $j (f32x4.nearest
          (f32x4.mul (local.get $ax) (local.get $invpio2))))
        (local.set $r (f32x4.sub (local.get $ax) (f32x4.mul (local.get $j) (local.get $p1))))
        (local.set $r (f32x4.sub (local.get $r) (f32x4.mul (local.get $j) (local.get $p2))))
        (local.set $r (f32x4.sub (local.get $r) (f32x4.mul (local.get $j) (local.get $p3))))
        (local.set $r (f32x4.sub (local.get $r) (f32x4.mul (local.get $j) (local.get $p4))))
        (local.set $q (i32x4.add (f32x4.add (local.get $j) (local.get $magic)) (local.get $turn)))
        (local.set $z (f32x4.mul (local.get $r) (local.get $r)))
        ;; sin r = r + r·z·(s3 + z·(s5 + z·(s7 + z·s9))): Taylor to r⁹, under 1e-9 off
        (local.set $s (f32x4.add (local.get $s7) (f32x4.mul (local.get $z) (local.get $s9))))
        (local.set $s (f32x4.add (local.get $s5) (f32x4.mul (local.get $z) (local.get $s))))
        (local.set $s (f32x4.add (local.get $s3) (f32x4.mul (local.get $z) (local.get $s))))
        (local.set $s (f32x4.mul (local.get $s) (f32x4.mul (local.get $r) (local.get $z))))
        (local.set $s (f32x4.add (local.get $r) (local.get $s)))
        ;; cos r = 1 + z·(c2 + z·(… + z·c10)): Taylor to r¹⁰
        (local.set $c (f32x4.add (local.get $c8) (f32x4.mul (local.get $z) (local.get $c10))))
        (local.set $c (f32x4.add (local.get $c6) (f32x4.mul (local.get $z) (local.get $c))))
        (local.set $c (f32x4.add (local.get $c4) (f32x4.mul (local.get $z) (local.get $c))))
        (local.set $c (f32x4.add (local.get $c2) (f32x4.mul (local.get $z) (local.get $c))))
        (local.set $c (f32x4.add (local.get $one) (f32x4.mul (local.get $z) (local.get $c))))
        ;; odd quadrants take cos r; quadrants 2 and 3 negate
        (local.set $c (v128.bitselect (local.get $c) (local.get $s)
          (i32x4.eq (v128.and (local.get $q) (local.get $ones))
            (local.get $ones))))
        (v128.store (local.get $dst) (v128.xor (local.get $c)
          (v128.xor (i32x4.shl (v128.and (local.get $q) (local.get $twos)) (i32.const 30))
            (v128.and (local.get $x) (local.get $sign)))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br_if $each (i32.lt_u (local.get $src) (local.get $end)))))
    (v128.any_true (local.get $bad)))

  ;; eˣ for -87 ≤ x ≤ 88 (other lanes: the caller's), for sigmoid and tanh: the same steps as
  ;; "exp" below, whose loop keeps its own copy with the constants held in locals (a call per
  ;; vector, constants made anew each time, ran it at half the speed).
  ;; x = k·ln 2 + r with |r| ≤ ln2/2 (ln 2 in two parts, the first with 11 significant bits),
  ;; eˣ = 2ᵏ·eʳ, and 2ᵏ is built in the exponent bits.
  (func $exp4 (param $x v128) (result v128)
    (local $k v128) (local $r v128) (local $p v128) (local $c v128)
    (local.set $k (f32x4.nearest (f32x4.mul (local.get $x) (f32x4.splat (f32.const 1.4426950408889634)))))
    (local.set $c (f32x4.splat (f32.const 0.693359375)))
    (local.set $r (f32x4.sub (local.get $x) (f32x4.mul (local.get $k) (local.get $c))))
    (local.set $c (f32x4.splat (f32.const -2.1219444005469057e-4)))
    (local.set $r (f32x4.sub (local.get $r) (f32x4.mul (local.get $k) (local.get $c))))
    ;; eʳ: Taylor to r⁷, under 1e-8 off
    (local.set $p (f32x4.splat (f32.const 1.984126984126984e-4)))
    (local.set $c (f32x4.splat (f32.const 0.001388888888888889)))
    (local.set $p (f32x4.add (local.get $c) (f32x4.mul (local.get $r) (local.get $p))))
    (local.set $c (f32x4.splat (f32.const 0.008333333333333333)))
    (local.set $p (f32x4.add (local.get $c) (f32x4.mul (local.get $r) (local.get $p))))
    (local.set $c (f32x4.splat (f32.const 0.041666666666666664)))
    (local.set $p (f32x4.add (local.get $c) (f32x4.mul (local.get $r) (local.get $p))))
    (local.set $c (f32x4.splat (f32.const 0.16666666666666666)))
    (local.set $p (f32x4.add (local.get $c) (f32x4.mul (local.get $r) (local.get $p))))
    (local.set $c (f32x4.splat (f32.const 0.5)))
    (local.set $p (f32x4.add (local.get $c) (f32x4.mul (local.get $r) (local.get $p))))
    (local.set $c (f32x4.splat (f32.const 1)))
    (local.set $p (f32x4.add (local.get $c) (f32x4.mul (local.get $r) (local.get $p))))
    (local.set $p (f32x4.add (local.get $c) (f32x4.mul (local.get $r) (local.get $p))))
    (f32x4.mul (local.get $p)
      ;; 2ᵏ's bits: k + 1.5·2²³'s bits, less 0x4b400000, plus the bias 127 (as sincos's j)
      (i32x4.shl (i32x4.add (f32x4.add (local.get $k) (f32x4.splat (f32.const 12582912)))
        (i32x4.splat (i32.const -1262485377))) (i32.const 23))))

  ;; eˣ of n floats, for -87 ≤ x ≤ 88, where 2ᵏ below is a normal float.
  ;; x = k·ln 2 + r with |r| ≤ ln2/2 (ln 2 in two parts, the first with 11 significant bits),
  ;; eˣ = 2ᵏ·eʳ, and 2ᵏ is built in the exponent bits.
  (func (export "exp") (param $src i32) (param $dst i32) (param $n i32) (result i32)
    (local $x v128) (local $k v128) (local $r v128) (local $p v128) (local $bad v128)
    (local $e2 v128) (local $e3 v128) (local $e4 v128) (local $e5 v128) (local $e6 v128)
    (local $e7 v128) (local $one v128) (local $lo v128) (local $hi v128) (local $log2e v128)
    (local $ln2hi v128) (local $ln2lo v128) (local $bias v128) (local $magic v128)
    (local $end i32)
    (local.set $one (f32x4.splat (f32.const 1)))
    (local.set $lo (f32x4.splat (f32.const -87)))
    (local.set $hi (f32x4.splat (f32.const 88)))
    (local.set $log2e (f32x4.splat (f32.const 1.4426950408889634)))
    (local.set $ln2hi (f32x4.splat (f32.const 0.693359375)))
    (local.set $ln2lo (f32x4.splat (f32.const -2.1219444005469057e-4)))
    (local.set $magic (f32x4.splat (f32.const 12582912)))
    ;; the bias 127, less 1.5·2²³'s bits (0x4b400000), for k + 1.5·2²³ (as sincos's j)
    (local.set $bias (i32x4.splat (i32.const -1262485377)))
    (local.set $e2 (f32x4.splat (f32.const 0.5)))
    (local.set $e3 (f32x4.splat (f32.const 0.16666666666666666)))
    (local.set $e4 (f32x4.splat (f32.const 0.041666666666666664)))
    (local.set $e5 (f32x4.splat (f32.const 0.008333333333333333)))
    (local.set $e6 (f32x4.splat (f32.const 0.001388888888888889)))
    (local.set $e7 (f32x4.splat (f32.const 1.984126984126984e-4)))
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (loop $each
        (local.set $x (v128.load (local.get $src)))
        (local.set $bad (v128.or (local.get $bad) (v128.not (v128.and
          (f32x4.ge (local.get $x) (local.get $lo))
          (f32x4.le (local.get $x) (local.get $hi))))))
        (local.set $k (f32x4.nearest
          (f32x4.mul (local.get $x) (local.get $log2e))))
        (local.set $r (f32x4.sub (local.get $x) (f32x4.mul (local.get $k) (local.get $ln2hi))))
        (local.set $r (f32x4.sub (local.get $r) (f32x4.mul (local.get $k) (local.get $ln2lo))))
        ;; eʳ: Taylor to r⁷, under 1e-8 off
        (local.set $p (f32x4.add (local.get $e6) (f32x4.mul (local.get $r) (local.get $e7))))
        (local.set $p (f32x4.add (local.get $e5) (f32x4.mul (local.get $r) (local.get $p))))
        (local.set $p (f32x4.add (local.get $e4) (f32x4.mul (local.get $r) (local.get $p))))
        (local.set $p (f32x4.add (local.get $e3) (f32x4.mul (local.get $r) (local.get $p))))
        (local.set $p (f32x4.add (local.get $e2) (f32x4.mul (local.get $r) (local.get $p))))
        (local.set $p (f32x4.add (local.get $one) (f32x4.mul (local.get $r) (local.get $p))))
        (local.set $p (f32x4.add (local.get $one) (f32x4.mul (local.get $r) (local.get $p))))
        (v128.store (local.get $dst) (f32x4.mul (local.get $p)
          (i32x4.shl (i32x4.add (f32x4.add (local.get $k) (local.get $magic))
            (local.get $bias)) (i32.const 23))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br_if $each (i32.lt_u (local.get $src) (local.get $end)))))
    (v128.any_true (local.get $bad)))

  ;; σ(x) = 1/(1 + e⁻ˣ) of n floats, for |x| ≤ 87: from e = e^-|x|, which never overflows,
  ;; as 1/(1 + e) for x ≥ 0 and e/(1 + e) below.
  (func (export "sigmoid") (param $src i32) (param $dst i32) (param $n i32) (result i32)
    (local $x v128) (local $e v128) (local $d v128) (local $bad v128) (local $max v128)
    (local $one v128) (local $end i32)
    (local.set $max (f32x4.splat (f32.const 87)))
    (local.set $one (f32x4.splat (f32.const 1)))
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (loop $each
        (local.set $x (v128.load (local.get $src)))
        (local.set $bad (v128.or (local.get $bad)
          (v128.not (f32x4.le (f32x4.abs (local.get $x)) (local.get $max)))))
        (local.set $e (call $exp4 (f32x4.neg (f32x4.abs (local.get $x)))))
        (local.set $d (f32x4.add (local.get $one) (local.get $e)))
        (v128.store (local.get $dst) (v128.bitselect
          (f32x4.div (local.get $one) (local.get $d))
          (f32x4.div (local.get $e) (local.get $d))
          (f32x4.ge (local.get $x) (f32x4.splat (f32.const 0)))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br_if $each (i32.lt_u (local.get $src) (local.get $end)))))
    (v128.any_true (local.get $bad)))

  ;; tanh of n floats, every x but NaN. On |x| < 0.9 an odd polynomial |x| + |x|³·q(x²) (q fitted
  ;; for relative error, under 6e-9 with these float32 coefficients); beyond, 1 - 2/(e^2|x| + 1),
  ;; where e^2|x| carries at most a third of its error into the result, with |x| clamped at 10,
  ;; past which float32's tanh is 1. The sign of x goes back on at the end.
  (func (export "tanh") (param $src i32) (param $dst i32) (param $n i32) (result i32)
    (local $x v128) (local $ax v128) (local $z v128) (local $q v128) (local $e v128)
    (local $bad v128) (local $one v128) (local $two v128) (local $ten v128) (local $edge v128)
    (local $sign v128)
    (local $q0 v128) (local $q1 v128) (local $q2 v128) (local $q3 v128) (local $q4 v128)
    (local $q5 v128) (local $q6 v128)
    (local $end i32)
    (local.set $one (f32x4.splat (f32.const 1)))
    (local.set $two (f32x4.splat (f32.const 2)))
    (local.set $ten (f32x4.splat (f32.const 10)))
    (local.set $edge (f32x4.splat (f32.const 0.9)))
    (local.set $sign (i32x4.splat (i32.const 0x80000000)))
    (local.set $q0 (f32x4.splat (f32.const -0.33333322405815125)))
    (local.set $q1 (f32x4.splat (f32.const 0.13332977890968323)))
    (local.set $q2 (f32x4.splat (f32.const -0.05392930284142494)))
    (local.set $q3 (f32x4.splat (f32.const 0.021663546562194824)))
    (local.set $q4 (f32x4.splat (f32.const -0.008264550007879734)))
    (local.set $q5 (f32x4.splat (f32.const 0.002582672517746687)))
    (local.set $q6 (f32x4.splat (f32.const -0.00045546155888587236)))
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (loop $each
        (local.set $x (v128.load (local.get $src)))
        (local.set $bad (v128.or (local.get $bad)
          (v128.not (f32x4.eq (local.get $x) (local.get $x)))))
        (local.set $ax (f32x4.abs (local.get $x)))
        (local.set $z (f32x4.mul (local.get $ax) (local.get $ax)))
        (local.set $q (f32x4.add (local.get $q5) (f32x4.mul (local.get $z) (local.get $q6))))
        (local.set $q (f32x4.add (local.get $q4) (f32x4.mul (local.get $z) (local.get $q))))
        (local.set $q (f32x4.add (local.get $q3) (f32x4.mul (local.get $z) (local.get $q))))
        (local.set $q (f32x4.add (local.get $q2) (f32x4.mul (local.get $z) (local.get $q))))
        (local.set $q (f32x4.add (local.get $q1) (f32x4.mul (local.get $z) (local.get $q))))
        (local.set $q (f32x4.add (local.get $q0) (f32x4.mul (local.get $z) (local.get $q))))
        (local.set $z (f32x4.mul (local.get $ax) (local.get $z)))
        (local.set $q (f32x4.add (local.get $ax) (f32x4.mul (local.get $z) (local.get $q))))
        (local.set $e (call $exp4
          (f32x4.mul (local.get $two) (f32x4.min (local.get $ax) (local.get $ten)))))
        (local.set $e (f32x4.sub (local.get $one)
          (f32x4.div (local.get $two) (f32x4.add (local.get $e) (local.get $one)))))
        (v128.store (local.get $dst) (v128.xor
          (v128.bitselect (local.get $q) (local.get $e)
            (f32x4.lt (local.get $ax) (local.get $edge)))
          (v128.and (local.get $x) (local.get $sign))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br_if $each (i32.lt_u (local.get $src) (local.get $end)))))
    (v128.any_true (local.get $bad)))
)
