// RUN: attune-opt %s --convert-onnx-to-linalg --split-input-file --verify-diagnostics

func.func @unknown(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{node 'n0' (Frobnicate, opset 13): no lowering to linalg for op type 'Frobnicate'}}
  %0 = onnx.node "Frobnicate" v13 (%a) {onnx_name = "n0"} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @pad_reflect(%a: tensor<4xf32>) -> tensor<6xf32> {
  %pads = arith.constant dense<[1, 1]> : tensor<2xi64>
  // expected-error @+1 {{node 'p' (Pad, opset 13): unsupported mode 'reflect' (only 'constant' is implemented)}}
  %0 = onnx.node "Pad" v13 (%a, %pads) {mode = "reflect", onnx_name = "p"} : (tensor<4xf32>, tensor<2xi64>) -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// -----

func.func @not_static(%a: tensor<?xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{input 0 must have a static ranked tensor type, got 'tensor<?xf32>' (run onnx-infer-shapes first)}}
  %0 = onnx.node "Relu" v14 (%a) : (tensor<?xf32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @gelu_approx(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{unsupported approximate='fast' (expected none/tanh)}}
  %0 = onnx.node "Gelu" v20 (%a) {approximate = "fast"} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @slice_dynamic(%a: tensor<4xf32>, %s: tensor<1xi64>) -> tensor<2xf32> {
  %e = arith.constant dense<[3]> : tensor<1xi64>
  // expected-error @+1 {{starts/ends/axes/steps must be constants}}
  %0 = onnx.node "Slice" v13 (%a, %s, %e) : (tensor<4xf32>, tensor<1xi64>, tensor<1xi64>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @float_mod(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{floating-point Mod requires fmod=1}}
  %0 = onnx.node "Mod" v13 (%a, %a) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
