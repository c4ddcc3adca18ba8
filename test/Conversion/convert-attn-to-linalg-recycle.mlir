// RUN: attune-opt %s --convert-attn-to-linalg --canonicalize --cse | FileCheck %s

// The pooled top-K of attn.recycle's reference decomposition (Lk = 64 keys,
// K = 4 kept per key/value head) never ranks all Lk scores against each
// other: a radix selection of the K-th largest score (one counting pass per
// bit of an order-preserving i32 key) and one O(Lk) loop gathering the kept
// positions in position order, which is the order of the new state (no
// ranking of the K among themselves either).
// CHECK-LABEL: func.func @step
// Order-preserving keys of the pooled scores.
// CHECK: %[[KEYS:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<1x2x64xf32>) outs(%{{.*}} : tensor<1x2x64xi32>)
// CHECK: arith.bitcast %{{.*}} : f32 to i32
// The threshold, bit by bit.
// CHECK: %[[T:.*]] = scf.for %{{.*}} = %{{.*}} to %c32 step %{{.*}} iter_args(%[[P:.*]] = %{{.*}}) -> (tensor<1x2xi32>) {
// CHECK:   linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[KEYS]], %[[P]] : tensor<1x2x64xi32>, tensor<1x2xi32>) outs(%{{.*}} : tensor<1x2xi64>)
// CHECK:   arith.cmpi uge
// CHECK: }
// Keys above the threshold.
// CHECK: linalg.generic {{.*}} ins(%[[KEYS]], %[[T]] : tensor<1x2x64xi32>, tensor<1x2xi32>) outs(%{{.*}} : tensor<1x2xi64>)
// CHECK: arith.cmpi ugt
// The gather over the 64 positions of each key/value head.
// CHECK: %[[SEL:.*]] = scf.for %{{.*}} = %{{.*}} to %c2 step {{.*}} -> (tensor<1x2x4xi64>) {
// CHECK:   scf.for %{{.*}} = %{{.*}} to %c64 step {{.*}} -> (tensor<1x2x4xi64>, index, i64) {
// CHECK:     scf.if
// CHECK:       tensor.insert %{{.*}} : tensor<1x2x4xi64>
// No ranking after it: neither per position over the 64 keys (the first,
// O(Lk^2) form) nor K x K (the second, O(K^2)).
// CHECK-NOT: -> tensor<1x2x64xi64>
// CHECK-NOT: -> tensor<1x2x4xi64>
// CHECK: %[[KEPT:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %[[SEL]] : {{.*}}) outs(%{{.*}} : tensor<1x2x4xi64>)
// CHECK: return %{{.*}}, %[[KEPT]]
func.func @step(%q: tensor<1x4x1x8xf32>, %k: tensor<1x2x64x8xf32>, %v: tensor<1x2x64x8xf32>,
                %ki: tensor<1x2x4xi64>, %fl: tensor<1xi64>, %st: tensor<1xi64>, %rq: tensor<1x8xf32>)
    -> (tensor<1x4x1x8xf32>, tensor<1x2x4xi64>) {
  %o, %ki2, %fl2, %st2, %rq2 = attn.recycle %q, %k, %v
      state(%ki, %fl, %st, %rq : tensor<1x2x4xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1x8xf32>)
      {causal = #attn.causal<bottom_right>, stride = 4 : i64}
      : tensor<1x4x1x8xf32>, tensor<1x2x64x8xf32>, tensor<1x2x64x8xf32> -> tensor<1x4x1x8xf32>
  return %o, %ki2 : tensor<1x4x1x8xf32>, tensor<1x2x4xi64>
}
