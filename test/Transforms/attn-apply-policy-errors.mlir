// attn-apply-policy errors: each names the policy file and the rule index.
// Each case is its own policy file and module (split-file).
// RUN: split-file %s %t
// RUN: attune-opt %t/missing.mlir --verify-diagnostics --attn-apply-policy=file=%t/nonexistent.json
// RUN: attune-opt %t/badjson.mlir --verify-diagnostics --attn-apply-policy=file=%t/badjson.json
// RUN: attune-opt %t/toplevel.mlir --verify-diagnostics --attn-apply-policy=file=%t/toplevel.json
// RUN: attune-opt %t/notobject.mlir --verify-diagnostics --attn-apply-policy=file=%t/notobject.json
// RUN: attune-opt %t/nomethod.mlir --verify-diagnostics --attn-apply-policy=file=%t/nomethod.json
// RUN: attune-opt %t/unknownmethod.mlir --verify-diagnostics --attn-apply-policy=file=%t/unknownmethod.json
// RUN: attune-opt %t/unknownkey.mlir --verify-diagnostics --attn-apply-policy=file=%t/unknownkey.json
// RUN: attune-opt %t/badvalue.mlir --verify-diagnostics --attn-apply-policy=file=%t/badvalue.json
// RUN: attune-opt %t/badtype.mlir --verify-diagnostics --attn-apply-policy=file=%t/badtype.json
// RUN: attune-opt %t/implied.mlir --verify-diagnostics --attn-apply-policy=file=%t/implied.json
// RUN: attune-opt %t/densekey.mlir --verify-diagnostics --attn-apply-policy=file=%t/densekey.json
// RUN: attune-opt %t/layer.mlir --verify-diagnostics --attn-apply-policy=file=%t/layer.json
// RUN: attune-opt %t/badlist.mlir --verify-diagnostics --attn-apply-policy=file=%t/badlist.json
// RUN: attune-opt %t/head.mlir --verify-diagnostics --attn-apply-policy=file=%t/head.json
// RUN: attune-opt %t/select.mlir --verify-diagnostics --attn-apply-policy=file=%t/select.json
// RUN: attune-opt %t/afterlinear.mlir --verify-diagnostics --attn-apply-policy=file=%t/afterlinear.json
// RUN: attune-opt %t/emptylayers.mlir --verify-diagnostics --attn-apply-policy=file=%t/emptylayers.json
// RUN: attune-opt %t/topkey.mlir --verify-diagnostics --attn-apply-policy=file=%t/topkey.json

//--- missing.mlir
// expected-error @+1 {{nonexistent.json': No such file or directory}}
module {
  func.func @f(%q: tensor<1x4x8x4xf32>) -> (tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>) {
    %0 = attn.sdpa %q, %q, %q {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    %1 = attn.sdpa %q, %q, %q {attn.site = 1 : i64} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    return %0, %1 : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>
  }
}

//--- badjson.mlir
// expected-error @+1 {{badjson.json': invalid JSON: [1:35, byte=35]: Expected object key}}
module {
  func.func @f(%q: tensor<1x4x8x4xf32>) -> (tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>) {
    %0 = attn.sdpa %q, %q, %q {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    %1 = attn.sdpa %q, %q, %q {attn.site = 1 : i64} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    return %0, %1 : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>
  }
}
//--- badjson.json
[{"method": "window", "window": 4,}]

//--- toplevel.mlir
// expected-error @+1 {{toplevel.json': expected a list of rules or {"rules": [...]}}}
module {
  func.func @f(%q: tensor<1x4x8x4xf32>) -> (tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>) {
    %0 = attn.sdpa %q, %q, %q {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    %1 = attn.sdpa %q, %q, %q {attn.site = 1 : i64} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    return %0, %1 : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>
  }
}
//--- toplevel.json
{"method": "window"}

//--- notobject.mlir
// expected-error @+1 {{notobject.json': rule 0: expected an object like {"method": "window", ...}}}
module {
  func.func @f(%q: tensor<1x4x8x4xf32>) -> (tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>) {
    %0 = attn.sdpa %q, %q, %q {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    %1 = attn.sdpa %q, %q, %q {attn.site = 1 : i64} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    return %0, %1 : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>
  }
}
//--- notobject.json
["window"]

//--- nomethod.mlir
// expected-error @+1 {{nomethod.json': rule 0: missing "method"}}
module {
  func.func @f(%q: tensor<1x4x8x4xf32>) -> (tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>) {
    %0 = attn.sdpa %q, %q, %q {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    %1 = attn.sdpa %q, %q, %q {attn.site = 1 : i64} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    return %0, %1 : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>
  }
}
//--- nomethod.json
[{"layers": "0"}]

//--- unknownmethod.mlir
// expected-error @+1 {{unknownmethod.json': rule 1: unknown method 'flash'; expected dense, window}}
module {
  func.func @f(%q: tensor<1x4x8x4xf32>) -> (tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>) {
    %0 = attn.sdpa %q, %q, %q {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    %1 = attn.sdpa %q, %q, %q {attn.site = 1 : i64} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    return %0, %1 : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>
  }
}
//--- unknownmethod.json
[{"method": "dense"}, {"method": "flash"}]

//--- unknownkey.mlir
// expected-error @+1 {{unknownkey.json': rule 0 (method window): invalid options for attn-sparsify: <Pass-Options-Parser>: no such option windw}}
module {
  func.func @f(%q: tensor<1x4x8x4xf32>) -> (tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>) {
    %0 = attn.sdpa %q, %q, %q {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    %1 = attn.sdpa %q, %q, %q {attn.site = 1 : i64} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    return %0, %1 : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>
  }
}
//--- unknownkey.json
[{"method": "window", "windw": 4}]

//--- badvalue.mlir
// expected-error @+1 {{badvalue.json': rule 0 (method window): invalid options for attn-sparsify}}
module {
  func.func @f(%q: tensor<1x4x8x4xf32>) -> (tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>) {
    %0 = attn.sdpa %q, %q, %q {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    %1 = attn.sdpa %q, %q, %q {attn.site = 1 : i64} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    return %0, %1 : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>
  }
}
//--- badvalue.json
[{"method": "window", "window": "wide"}]

//--- badtype.mlir
// expected-error @+1 {{badtype.json': rule 0 (method window): key 'window': expected a number, a string, a boolean or a list of them}}
module {
  func.func @f(%q: tensor<1x4x8x4xf32>) -> (tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>) {
    %0 = attn.sdpa %q, %q, %q {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    %1 = attn.sdpa %q, %q, %q {attn.site = 1 : i64} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    return %0, %1 : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>
  }
}
//--- badtype.json
[{"method": "window", "window": {"n": 4}}]

//--- implied.mlir
// expected-error @+1 {{implied.json': rule 0 (method window): key 'pattern' is set by the method; remove it}}
module {
  func.func @f(%q: tensor<1x4x8x4xf32>) -> (tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>) {
    %0 = attn.sdpa %q, %q, %q {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    %1 = attn.sdpa %q, %q, %q {attn.site = 1 : i64} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    return %0, %1 : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>
  }
}
//--- implied.json
[{"method": "window", "pattern": "neighborhood"}]

//--- densekey.mlir
// expected-error @+1 {{densekey.json': rule 0 (method dense): unknown key 'window'; a dense rule takes only layers and heads}}
module {
  func.func @f(%q: tensor<1x4x8x4xf32>) -> (tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>) {
    %0 = attn.sdpa %q, %q, %q {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    %1 = attn.sdpa %q, %q, %q {attn.site = 1 : i64} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    return %0, %1 : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>
  }
}
//--- densekey.json
[{"method": "dense", "window": 4}]

//--- layer.mlir
// expected-error @+1 {{layer.json': rule 1 (method act): layers: site 2 does not exist; the model has 2 attention site(s) (0-1)}}
module {
  func.func @f(%q: tensor<1x4x8x4xf32>) -> (tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>) {
    %0 = attn.sdpa %q, %q, %q {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    %1 = attn.sdpa %q, %q, %q {attn.site = 1 : i64} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    return %0, %1 : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>
  }
}
//--- layer.json
[{"method": "window", "layers": "0"}, {"method": "act", "layers": "1-2"}]

//--- badlist.mlir
// expected-error @+1 {{badlist.json': rule 0 (method act): layers: expected a list of indices or ranges like '0-3,7', got 'one'}}
module {
  func.func @f(%q: tensor<1x4x8x4xf32>) -> (tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>) {
    %0 = attn.sdpa %q, %q, %q {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    %1 = attn.sdpa %q, %q, %q {attn.site = 1 : i64} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    return %0, %1 : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>
  }
}
//--- badlist.json
[{"method": "act", "layers": "one"}]

//--- head.mlir
// expected-error @+1 {{head.json': rule 0 (method zerotuning): heads: head 4 does not exist; attention site 0 has 4 query heads (0-3)}}
module {
  func.func @f(%q: tensor<1x4x8x4xf32>) -> (tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>) {
    %0 = attn.sdpa %q, %q, %q {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    %1 = attn.sdpa %q, %q, %q {attn.site = 1 : i64} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    return %0, %1 : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>
  }
}
//--- head.json
[{"method": "zerotuning", "heads": [1, 4]}]

//--- select.mlir
// expected-error @+1 {{select.json': rule 0 (method act): key 'select' applies to dynamic sparsity only}}
module {
  func.func @f(%q: tensor<1x4x8x4xf32>) -> (tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>) {
    %0 = attn.sdpa %q, %q, %q {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    %1 = attn.sdpa %q, %q, %q {attn.site = 1 : i64} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    return %0, %1 : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>
  }
}
//--- select.json
[{"method": "act", "select": "moba"}]

//--- afterlinear.mlir
// expected-error @+1 {{afterlinear.json': rule 1 (method dense): attention site 0 was rewritten into attn.linear by an earlier rule}}
module {
  func.func @f(%q: tensor<1x4x8x4xf32>) -> (tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>) {
    %0 = attn.sdpa %q, %q, %q {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    %1 = attn.sdpa %q, %q, %q {attn.site = 1 : i64} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    return %0, %1 : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>
  }
}
//--- afterlinear.json
[{"method": "elu1", "layers": "0"}, {"method": "dense", "layers": "0-1"}]

//--- emptylayers.mlir
// An empty list selects nothing; it is not "every site".
// expected-error @+1 {{emptylayers.json': rule 0 (method act): 'layers' is empty; leave the key out to select every site}}
module {
  func.func @f(%q: tensor<1x4x8x4xf32>) -> (tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>) {
    %0 = attn.sdpa %q, %q, %q {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    %1 = attn.sdpa %q, %q, %q {attn.site = 1 : i64} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    return %0, %1 : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>
  }
}
//--- emptylayers.json
[{"method": "act", "layers": []}]

//--- topkey.mlir
// expected-error @+1 {{topkey.json': unknown key 'version' (a policy object has "rules" and an optional "comment")}}
module {
  func.func @f(%q: tensor<1x4x8x4xf32>) -> (tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>) {
    %0 = attn.sdpa %q, %q, %q {attn.site = 0 : i64, causal = #attn.causal<top_left>} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    %1 = attn.sdpa %q, %q, %q {attn.site = 1 : i64} : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32> -> tensor<1x4x8x4xf32>
    return %0, %1 : tensor<1x4x8x4xf32>, tensor<1x4x8x4xf32>
  }
}
//--- topkey.json
{"rules": [], "version": 2}
