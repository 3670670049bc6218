;; Single-precision matrix multiply with 128-bit SIMD, on packed operands.
;;
;; A is packed in panels of 4 rows: panel p holds A[4p..4p+3][k] for every k, as [k][4].
;; B is packed in panels of 8 columns: panel q holds B[k][8q..8q+7], as [k][8].
;; C is row-major, Mp × Np (Mp a multiple of 4, Np of 8) with a row stride of ldc floats; the
;; first K block overwrites it and the later ones accumulate, so it need not be zeroed first.
;; Blocking: K in blocks of KC so a B panel block (KC×8 floats) stays in L1 while it meets
;; MC/4 A panels, whose block (MC×KC floats) stays in L2.
(module
  (memory (export "memory") 1)

  ;; C[4×8 tile] = (init ? 0 : C) + A panel block (kc×4) · B panel block (kc×8)
  (func $micro (param $a i32) (param $b i32) (param $c i32) (param $kc i32) (param $ldc i32)
    (param $init i32)
    (local $c0l v128) (local $c0h v128) (local $c1l v128) (local $c1h v128)
    (local $c2l v128) (local $c2h v128) (local $c3l v128) (local $c3h v128)
    (local $bl v128) (local $bh v128) (local $av v128) (local $p i32)
    (if (i32.eqz (local.get $init)) (then
    (local.set $p (local.get $c))
    (local.set $c0l (v128.load align=4 (local.get $p)))
    (local.set $c0h (v128.load offset=16 align=4 (local.get $p)))
    (local.set $p (i32.add (local.get $p) (local.get $ldc)))
    (local.set $c1l (v128.load align=4 (local.get $p)))
    (local.set $c1h (v128.load offset=16 align=4 (local.get $p)))
    (local.set $p (i32.add (local.get $p) (local.get $ldc)))
    (local.set $c2l (v128.load align=4 (local.get $p)))
    (local.set $c2h (v128.load offset=16 align=4 (local.get $p)))
    (local.set $p (i32.add (local.get $p) (local.get $ldc)))
    (local.set $c3l (v128.load align=4 (local.get $p)))
    (local.set $c3h (v128.load offset=16 align=4 (local.get $p)))
    ))
    (block $done
      (br_if $done (i32.le_s (local.get $kc) (i32.const 0)))
      (loop $k
        (local.set $bl (v128.load align=4 (local.get $b)))
        (local.set $bh (v128.load offset=16 align=4 (local.get $b)))
        (local.set $av (f32x4.splat (f32.load (local.get $a))))
        (local.set $c0l (f32x4.add (local.get $c0l) (f32x4.mul (local.get $av) (local.get $bl))))
        (local.set $c0h (f32x4.add (local.get $c0h) (f32x4.mul (local.get $av) (local.get $bh))))
        (local.set $av (f32x4.splat (f32.load offset=4 (local.get $a))))
        (local.set $c1l (f32x4.add (local.get $c1l) (f32x4.mul (local.get $av) (local.get $bl))))
        (local.set $c1h (f32x4.add (local.get $c1h) (f32x4.mul (local.get $av) (local.get $bh))))
        (local.set $av (f32x4.splat (f32.load offset=8 (local.get $a))))
        (local.set $c2l (f32x4.add (local.get $c2l) (f32x4.mul (local.get $av) (local.get $bl))))
        (local.set $c2h (f32x4.add (local.get $c2h) (f32x4.mul (local.get $av) (local.get $bh))))
        (local.set $av (f32x4.splat (f32.load offset=12 (local.get $a))))
        (local.set $c3l (f32x4.add (local.get $c3l) (f32x4.mul (local.get $av) (local.get $bl))))
        (local.set $c3h (f32x4.add (local.get $c3h) (f32x4.mul (local.get $av) (local.get $bh))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 32)))
        (local.set $kc (i32.sub (local.get $kc) (i32.const 1)))
        (br_if $k (i32.gt_s (local.get $kc) (i32.const 0)))))
    (local.set $p (local.get $c))
    (v128.store align=4 (local.get $p) (local.get $c0l))
    (v128.store offset=16 align=4 (local.get $p) (local.get $c0h))
    (local.set $p (i32.add (local.get $p) (local.get $ldc)))
    (v128.store align=4 (local.get $p) (local.get $c1l))
    (v128.store offset=16 align=4 (local.get $p) (local.get $c1h))
    (local.set $p (i32.add (local.get $p) (local.get $ldc)))
    (v128.store align=4 (local.get $p) (local.get $c2l))
    (v128.store offset=16 align=4 (local.get $p) (local.get $c2h))
    (local.set $p (i32.add (local.get $p) (local.get $ldc)))
    (v128.store align=4 (local.get $p) (local.get $c3l))
    (v128.store offset=16 align=4 (local.get $p) (local.get $c3h)))

  ;; C (Mp × Np, at $c) += packed A (Mp × K, at $a) · packed B (K × Np, at $b), for the rows
  ;; [$i0, $i1) of C (so that workers can split the rows).
  (func (export "gemm") (param $a i32) (param $b i32) (param $c i32)
    (param $np i32) (param $ldc i32) (param $k i32) (param $i0 i32) (param $i1 i32)
    (local $kb i32) (local $kc i32) (local $ib i32) (local $ie i32) (local $jp i32) (local $ip i32)
    (local $bp i32) (local $ldcb i32)
    (local.set $ldcb (i32.shl (local.get $ldc) (i32.const 2)))
    (block $kdone (loop $kloop
      (br_if $kdone (i32.ge_s (local.get $kb) (local.get $k)))
      (local.set $kc (i32.sub (local.get $k) (local.get $kb)))
      (if (i32.gt_s (local.get $kc) (i32.const 256)) (then (local.set $kc (i32.const 256))))
      (local.set $ib (local.get $i0))
      (block $idone (loop $iloop
        (br_if $idone (i32.ge_s (local.get $ib) (local.get $i1)))
        (local.set $ie (i32.add (local.get $ib) (i32.const 64)))
        (if (i32.gt_s (local.get $ie) (local.get $i1)) (then (local.set $ie (local.get $i1))))
        (local.set $jp (i32.const 0))
        (block $jdone (loop $jloop
          (br_if $jdone (i32.ge_s (local.get $jp) (local.get $np)))
          ;; B panel jp/8, rows from kb: 32 bytes per k
          (local.set $bp (i32.add (local.get $b)
            (i32.shl (i32.add (i32.mul (i32.shr_u (local.get $jp) (i32.const 3)) (local.get $k))
              (local.get $kb)) (i32.const 5))))
          (local.set $ip (local.get $ib))
          (block $pdone (loop $ploop
            (br_if $pdone (i32.ge_s (local.get $ip) (local.get $ie)))
            (call $micro
              ;; A panel ip/4, from kb: 16 bytes per k
              (i32.add (local.get $a)
                (i32.shl (i32.add (i32.mul (i32.shr_u (local.get $ip) (i32.const 2)) (local.get $k))
                  (local.get $kb)) (i32.const 4)))
              (local.get $bp)
              (i32.add (local.get $c)
                (i32.shl (i32.add (i32.mul (local.get $ip) (local.get $ldc)) (local.get $jp))
                  (i32.const 2)))
              (local.get $kc)
              (local.get $ldcb)
              (i32.eqz (local.get $kb)))
            (local.set $ip (i32.add (local.get $ip) (i32.const 4)))
            (br $ploop)))
          (local.set $jp (i32.add (local.get $jp) (i32.const 8)))
          (br $jloop)))
        (local.set $ib (local.get $ie))
        (br $iloop)))
      (local.set $kb (i32.add (local.get $kb) (local.get $kc)))
      (br $kloop))))
)
