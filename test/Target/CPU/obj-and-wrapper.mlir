// --emit=obj plus --emit=wrapper make the same library as --emit=so, with
// any C toolchain: here the host's clang and, for AArch64, the cross gcc
// (run under qemu-aarch64 with the aarch64 model runner).

// RUN: rm -rf %t && mkdir -p %t
// RUN: %python -c "import numpy as np; np.save('%t/x.npy', (np.arange(15, dtype=np.float32).reshape(3, 5) - 7) / 3)"
// RUN: ternc run %s --input=@%t/x.npy --output=@%t/want.npy
// RUN: ternc compile %s --emit=wrapper -o %t/m_abi.c
// RUN: ternc compile %s --emit=obj -o %t/m.o
// RUN: clang-22 -shared -fPIC -O2 %t/m_abi.c %t/m.o -o %t/m.so -lm
// RUN: tern-run-model %t/m.so --input=@%t/x.npy --output=@%t/y.npy
// RUN: %python -c "import numpy as np; a, b = np.load('%t/y.npy'), np.load('%t/want.npy'); assert a.shape == (3, 2) and (a == b).all(), (a, b); print('host: same')" | FileCheck %s --check-prefix=HOST
// HOST: host: same

// RUN: not tern-run-model %t/m.so --input=@%t/x.npy 2>&1 | FileCheck %s --check-prefix=COUNT
// COUNT: tern-run-model: error: the model has 1 outputs, got 0 --output flags
// RUN: not tern-run-model %t/m.so --input=@%t/missing.npy --output=@%t/y.npy 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: tern-run-model: error: {{.*}}missing.npy: cannot open file

func.func @main(%x: tensor<3x5xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[0.5, -1.0, 0.0, 0.2, 0.3], [2.0, 0.1, -0.3, 1.0, 1.0]]> : tensor<2x5xf32>
  %g = arith.constant dense<[1.0, 2.0, 0.5, 1.0, 1.0]> : tensor<5xf32>
  %y = tern.bitlinear %x, %w norm %g : tensor<3x5xf32>, tensor<2x5xf32>, tensor<5xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}
