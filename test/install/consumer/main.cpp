// Parses tern IR, runs Tern's fold pass and a pass of its own that counts
// bitlinear ops, then prints the module.
#include "Tern/TernOps.h"
#include "tern/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

namespace {
struct CountBitLinear : mlir::PassWrapper<CountBitLinear, mlir::OperationPass<mlir::ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CountBitLinear)
  void runOnOperation() override {
    int n = 0;
    getOperation().walk([&](mlir::tern::BitLinearOp) { ++n; });
    llvm::outs() << "bitlinear ops: " << n << "\n";
  }
};
} // namespace

int main() {
  mlir::MLIRContext ctx;
  ctx.loadDialect<mlir::tern::TernDialect, mlir::func::FuncDialect, mlir::arith::ArithDialect>();
  const char *src = R"(
    func.func @f(%x: tensor<3x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>) {
      %c = arith.constant dense<[[1.0, -1.0], [0.4, 1.6]]> : tensor<2x2xf32>
      %y = tern.bitlinear %x, %c : tensor<3x2xf32>, tensor<2x2xf32> -> tensor<3x2xf32>
      %z = tern.bitlinear %y, %c : tensor<3x2xf32>, tensor<2x2xf32> -> tensor<3x2xf32>
      return %y, %z : tensor<3x2xf32>, tensor<3x2xf32>
    })";
  auto module = mlir::parseSourceString<mlir::ModuleOp>(src, &ctx);
  if (!module)
    return 1;
  mlir::PassManager pm(&ctx);
  pm.addPass(mlir::tern::createTernFoldWeightQuant());
  pm.addPass(std::make_unique<CountBitLinear>());
  if (mlir::failed(pm.run(*module)))
    return 1;
  module->print(llvm::outs());
  return 0;
}
