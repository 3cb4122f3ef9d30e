//===- CPUCodegen.cpp - LLVM dialect to optimized LLVM IR / asm / object --===//
#include "Tern/TernDialect.h"
#include "tern/Target/CPU/CPUTarget.h"
#include "tern/Target/CPU/CPUTargetInfo.h"
#include "OutlineTopLevelLoops.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Tools/mlir-translate/Translation.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Triple.h"

namespace mlir::tern {

static CPUTargetRequest toRequest(const CPUCodegenOptions &options) {
  return CPUTargetRequest{options.triple, options.cpu, options.features};
}

std::pair<std::string, std::string> resolveCPU(const CPUCodegenOptions &options) {
  std::string error;
  FailureOr<CPUTargetDesc> target = resolveCPUTarget(toRequest(options), error);
  // The drivers record the target first (recordCPUTarget), which reports the
  // error; here an unresolvable request keeps what was given.
  if (failed(target))
    return {options.cpu, options.features};
  return {target->cpu, llvm::join(target->features, ",")};
}

LogicalResult recordCPUTarget(ModuleOp module, const CPUCodegenOptions &options) {
  std::string error;
  FailureOr<CPUTargetDesc> target = resolveCPUTarget(toRequest(options), error);
  if (failed(target))
    return module.emitError(error);
  setModuleTarget(module, getTargetAttr(module.getContext(), *target));
  return success();
}

FailureOr<LLVM::TargetAttr> getCPUTarget(ModuleOp module, const CPUCodegenOptions &options) {
  if (LLVM::TargetAttr target = getModuleTarget(module))
    return target;
  if (failed(recordCPUTarget(module, options)))
    return failure();
  return getModuleTarget(module);
}

bool targetHasOpenMPRuntime(LLVM::TargetAttr target) {
  return isHostCompatible(llvm::Triple(target.getTriple().getValue()));
}

/// x86 intrinsics (the VNNI, AVX-VNNI and lookup-table kernels call them)
/// must not reach another architecture: LLVM would fail deep in instruction
/// selection, or worse.
static LogicalResult checkNoX86Intrinsics(ModuleOp module, const llvm::Triple &triple) {
  if (triple.isX86())
    return success();
  WalkResult result = module.walk([&](Operation *op) {
    StringRef name;
    if (auto call = dyn_cast<LLVM::CallIntrinsicOp>(op))
      name = call.getIntrin();
    else if (auto fn = dyn_cast<LLVM::LLVMFuncOp>(op))
      name = fn.getName();
    else if (op->getName().getDialectNamespace() == "x86vector")
      name = op->getName().getStringRef();
    if (!name.starts_with("llvm.x86.") && !name.starts_with("x86vector."))
      return WalkResult::advance();
    op->emitError() << "the x86 intrinsic '" << name << "' cannot run on " << triple.str()
                    << ": choose a ternary kernel for " << triple.getArchName();
    return WalkResult::interrupt();
  });
  return failure(result.wasInterrupted());
}

/// Lowers one omp.wsloop (around an omp.loop_nest) to a sequential CFG loop
/// nest in place.
static LogicalResult serializeWsloop(IRRewriter &rewriter, omp::WsloopOp ws) {
  auto nests = ws.getRegion().front().getOps<omp::LoopNestOp>();
  if (ws->getNumOperands() != 0 || nests.empty())
    return ws.emitError("only clause-free omp.wsloop ops around an omp.loop_nest run serially");
  omp::LoopNestOp nest = *nests.begin();
  Location loc = nest.getLoc();
  unsigned n = nest.getNumLoops();
  SmallVector<Value> lbs(nest.getLoopLowerBounds()), ubs(nest.getLoopUpperBounds()),
      steps(nest.getLoopSteps());
  auto predicate = nest.getLoopInclusive() ? LLVM::ICmpPredicate::sle : LLVM::ICmpPredicate::slt;
  Block *pre = ws->getBlock();
  Block *cont = rewriter.splitBlock(pre, std::next(ws->getIterator()));
  Region &body = nest.getRegion();
  Block *entry = &body.front();
  SmallVector<Block *> headers, latches;
  for (unsigned k = 0; k < n; ++k)
    headers.push_back(rewriter.createBlock(cont, {lbs[k].getType()}, {loc}));
  for (unsigned k = 0; k < n; ++k)
    latches.push_back(rewriter.createBlock(cont));
  for (Block &block : body)
    if (auto yield = dyn_cast<omp::YieldOp>(block.getTerminator())) {
      rewriter.setInsertionPoint(yield);
      rewriter.replaceOpWithNewOp<LLVM::BrOp>(yield, ValueRange{}, latches[n - 1]);
    }
  rewriter.inlineRegionBefore(body, cont);

  rewriter.setInsertionPointToEnd(pre);
  LLVM::BrOp::create(rewriter, loc, ValueRange{lbs[0]}, headers[0]);
  SmallVector<Value> ivs;
  for (unsigned k = 0; k < n; ++k)
    ivs.push_back(headers[k]->getArgument(0));
  for (unsigned k = 0; k < n; ++k) {
    rewriter.setInsertionPointToEnd(headers[k]);
    Value inRange = LLVM::ICmpOp::create(rewriter, loc, predicate, ivs[k], ubs[k]);
    Block *exit = k == 0 ? cont : latches[k - 1];
    if (k + 1 < n)
      LLVM::CondBrOp::create(rewriter, loc, inRange, headers[k + 1], ValueRange{lbs[k + 1]}, exit,
                             ValueRange{});
    else
      LLVM::CondBrOp::create(rewriter, loc, inRange, entry, ivs, exit, ValueRange{});
    rewriter.setInsertionPointToEnd(latches[k]);
    Value next = LLVM::AddOp::create(rewriter, loc, ivs[k], steps[k]);
    LLVM::BrOp::create(rewriter, loc, ValueRange{next}, headers[k]);
  }
  rewriter.eraseOp(ws);
  return success();
}

/// Inlines one omp.parallel region at its place (the calling thread runs it).
static LogicalResult serializeParallel(IRRewriter &rewriter, omp::ParallelOp par,
                                       SmallVectorImpl<LLVM::AllocaOp> &allocas) {
  Region &region = par.getRegion();
  if (region.front().getNumArguments() != 0)
    return par.emitError("omp.parallel with private or reduction values does not run serially");
  for (auto alloca : region.front().getOps<LLVM::AllocaOp>())
    if (alloca.getArraySize().getDefiningOp<LLVM::ConstantOp>())
      allocas.push_back(alloca);
  Block *pre = par->getBlock();
  Block *cont = rewriter.splitBlock(pre, std::next(par->getIterator()));
  Block *entry = &region.front();
  for (Block &block : region)
    if (auto term = dyn_cast<omp::TerminatorOp>(block.getTerminator())) {
      rewriter.setInsertionPoint(term);
      rewriter.replaceOpWithNewOp<LLVM::BrOp>(term, ValueRange{}, cont);
    }
  rewriter.inlineRegionBefore(region, cont);
  rewriter.setInsertionPointToEnd(pre);
  LLVM::BrOp::create(rewriter, par.getLoc(), ValueRange{}, entry);
  rewriter.eraseOp(par);
  return success();
}

/// For targets without an OpenMP runtime: the row loops the pipeline made
/// parallel run on the calling thread, in order.
static LogicalResult runOpenMPSerially(ModuleOp module) {
  IRRewriter rewriter(module.getContext());
  SmallVector<omp::WsloopOp> loops;
  module.walk([&](omp::WsloopOp op) { loops.push_back(op); });
  for (omp::WsloopOp ws : loops)
    if (failed(serializeWsloop(rewriter, ws)))
      return failure();
  SmallVector<omp::ParallelOp> regions;
  module.walk([&](omp::ParallelOp op) { regions.push_back(op); });
  SmallVector<LLVM::AllocaOp> allocas;
  for (omp::ParallelOp par : llvm::reverse(regions)) // innermost first
    if (failed(serializeParallel(rewriter, par, allocas)))
      return failure();
  // Constant-size allocas at the top of a parallel region belong in the
  // function's entry block, or a loop around the region would grow the stack.
  for (LLVM::AllocaOp alloca : allocas) {
    auto fn = alloca->getParentOfType<LLVM::LLVMFuncOp>();
    Block &entry = fn.getBody().front();
    if (alloca->getBlock() == &entry)
      continue;
    rewriter.setInsertionPointToStart(&entry);
    Operation *size = rewriter.clone(*alloca.getArraySize().getDefiningOp());
    rewriter.moveOpAfter(alloca, size);
    alloca->setOperand(0, size->getResult(0));
  }
  WalkResult left = module.walk([&](Operation *op) {
    if (op->getDialect() && op->getDialect()->getNamespace() == "omp") {
      op->emitError("cannot run '") << op->getName() << "' without an OpenMP runtime";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return failure(left.wasInterrupted());
}

LogicalResult emitCPUCode(ModuleOp module, const CPUCodegenOptions &options,
                          CPUEmitKind kind, llvm::raw_pwrite_stream &os) {
  FailureOr<LLVM::TargetAttr> target = getCPUTarget(module, options);
  if (failed(target))
    return failure();
  llvm::Triple triple(target->getTriple().getValue());
  if (failed(checkNoX86Intrinsics(module, triple)))
    return failure();
  if (!targetHasOpenMPRuntime(*target) && failed(runOpenMPSerially(module)))
    return failure();

  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
  module->getContext()->appendDialectRegistry(registry);

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule = translateModuleToLLVMIR(module, llvmContext);
  if (!llvmModule)
    return module.emitError("translation to LLVM IR failed");

  std::string error;
  std::unique_ptr<llvm::TargetMachine> machine = createTargetMachine(*target, options.optLevel, error);
  if (!machine)
    return module.emitError(error);
  llvmModule->setTargetTriple(triple);
  llvmModule->setDataLayout(machine->createDataLayout());

  // Keeps -O3 linear in the graph size (see OutlineTopLevelLoops.cpp).
  outlineTopLevelLoops(*llvmModule);
  auto optimize = makeOptimizingTransformer(options.optLevel, /*sizeLevel=*/0, machine.get());
  if (llvm::Error err = optimize(llvmModule.get()))
    return module.emitError("LLVM optimization failed: ") << llvm::toString(std::move(err));

  if (kind == CPUEmitKind::LLVMIR) {
    llvmModule->print(os, nullptr);
    return success();
  }
  llvm::legacy::PassManager codegen;
  auto fileType = kind == CPUEmitKind::Assembly ? llvm::CodeGenFileType::AssemblyFile
                                                : llvm::CodeGenFileType::ObjectFile;
  if (machine->addPassesToEmitFile(codegen, os, nullptr, fileType))
    return module.emitError("the target cannot emit this file type");
  codegen.run(*llvmModule);
  return success();
}

void registerCPUTranslations() {
  auto dialects = [](DialectRegistry &registry) {
    // ternc's LLVM-stage modules keep their #tern.ternary_kernel attribute.
    registry.insert<LLVM::LLVMDialect, omp::OpenMPDialect, TernDialect>();
  };
  auto emit = [](CPUEmitKind kind) {
    return [kind](Operation *op, raw_ostream &os) -> LogicalResult {
      auto module = dyn_cast<ModuleOp>(op);
      if (!module)
        return op->emitError("expected a builtin.module");
      SmallString<0> buffer;
      llvm::raw_svector_ostream stream(buffer);
      if (failed(emitCPUCode(module, CPUCodegenOptions(), kind, stream)))
        return failure();
      os << buffer;
      return success();
    };
  };
  TranslateFromMLIRRegistration("tern-cpu-to-llvmir",
                                "LLVM-dialect module -> optimized LLVM IR for its tern.target",
                                emit(CPUEmitKind::LLVMIR), dialects);
  TranslateFromMLIRRegistration("tern-cpu-to-asm",
                                "LLVM-dialect module -> assembly for its tern.target",
                                emit(CPUEmitKind::Assembly), dialects);
}

} // namespace mlir::tern
