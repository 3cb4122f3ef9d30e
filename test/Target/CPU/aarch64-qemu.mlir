// REQUIRES: qemu-aarch64
// An AArch64 object and its wrapper, linked with the cross gcc and run under
// qemu-aarch64, give the x86 result; so does `ternc run --target-triple`.

// RUN: rm -rf %t && mkdir -p %t
// RUN: %python -c "import numpy as np; np.save('%t/x.npy', (np.arange(15, dtype=np.float32).reshape(3, 5) - 7) / 3)"
// RUN: ternc run %s --input=@%t/x.npy --output=@%t/want.npy
// RUN: ternc compile %s --emit=wrapper -o %t/m_abi.c
// RUN: ternc compile %s --emit=obj --target-triple=aarch64-linux-gnu --cpu=cortex-a76 -o %t/a.o
// RUN: aarch64-linux-gnu-gcc -shared -fPIC -O2 %t/m_abi.c %t/a.o -o %t/a.so -lm
// RUN: qemu-aarch64 -L /usr/aarch64-linux-gnu %tern_bin/aarch64-linux-gnu/tern-run-model %t/a.so --input=@%t/x.npy --output=@%t/a.npy
// RUN: ternc run %s --target-triple=aarch64-linux-gnu --cpu=neoverse-n1 --input=@%t/x.npy --output=@%t/b.npy
// RUN: %python -c "import numpy as np; w = np.load('%t/want.npy'); [np.testing.assert_allclose(np.load('%t/' + f), w, rtol=0, atol=2e-3 * abs(w).max()) for f in ('a.npy', 'b.npy')]; print('aarch64: same')" | FileCheck %s
// CHECK: aarch64: same

// --linker: clang links for the target too (it gets --target=TRIPLE).
// RUN: ternc compile %s --target-triple=aarch64-linux-gnu --linker=clang-22 -o %t/c.so
// RUN: aarch64-linux-gnu-readelf -h %t/c.so | FileCheck %s --check-prefix=CLANG
// CLANG: Type: DYN (Shared object file)
// CLANG: Machine: AArch64
// RUN: qemu-aarch64 -L /usr/aarch64-linux-gnu %tern_bin/aarch64-linux-gnu/tern-run-model %t/c.so --input=@%t/x.npy --output=@%t/c.npy
// RUN: %python -c "import numpy as np; assert (np.load('%t/c.npy') == np.load('%t/a.npy')).all(); print('clang: same')" | FileCheck %s --check-prefix=SAMECLANG
// SAMECLANG: clang: same

// Without --output, `ternc run` prints a summary of the outputs read back.
// RUN: ternc run %s --target-triple=aarch64-linux-gnu --input=@%t/x.npy | FileCheck %s --check-prefix=SUMMARY
// SUMMARY: output 0: 3x2xfloat32  min

// Errors in the aarch64 run come back with a non-zero exit.
// RUN: %python -c "import numpy as np; np.save('%t/bad.npy', np.zeros((4, 5), np.float32))"
// RUN: not ternc run %s --target-triple=aarch64-linux-gnu --input=@%t/bad.npy 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: tern-run-model: error: input 0 'input 0': expected 3x5xfloat32, got 4x5xfloat32
// BAD: ternc: error: the aarch64 model run under {{.*}}qemu-aarch64 failed (exit 1)

func.func @main(%x: tensor<3x5xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[0.5, -1.0, 0.0, 0.2, 0.3], [2.0, 0.1, -0.3, 1.0, 1.0]]> : tensor<2x5xf32>
  %g = arith.constant dense<[1.0, 2.0, 0.5, 1.0, 1.0]> : tensor<5xf32>
  %y = tern.bitlinear %x, %w norm %g : tensor<3x5xf32>, tensor<2x5xf32>, tensor<5xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}
