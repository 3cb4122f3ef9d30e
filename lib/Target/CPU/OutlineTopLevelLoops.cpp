//===- OutlineTopLevelLoops.cpp - bound LLVM's per-function cost ----------===//
//
// A model is one function: every layer's loops follow each other in it. Some
// of LLVM's loop passes (LoopRotate, IndVarSimplify, LoopFullUnroll) cost
// time in proportion to the function for each loop they visit, so -O3 grew
// with the square of the graph (a 1000-op chain: 3.5 s in opt, a 20,000-op
// one would take minutes). Above a bound, each top-level loop moves into a
// function of its own before optimization; the call per loop is noise next
// to the loop, and the optimizer's work becomes linear in the graph.
// tern-split-large-functions bounds functions before bufferization; this
// remains for a function it could not cut (dynamic shapes live throughout).
//
//===----------------------------------------------------------------------===//
#include "OutlineTopLevelLoops.h"

#include "llvm/Analysis/LoopInfo.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/Module.h"
#include "llvm/Transforms/Utils/CodeExtractor.h"

namespace mlir::tern {

unsigned outlineTopLevelLoops(llvm::Module &module) {
  unsigned moved = 0;
  std::vector<llvm::Function *> functions;
  for (llvm::Function &f : module)
    if (!f.isDeclaration())
      functions.push_back(&f);
  for (llvm::Function *f : functions) {
    std::vector<llvm::SmallVector<llvm::BasicBlock *>> regions;
    {
      llvm::DominatorTree dt(*f);
      llvm::LoopInfo loops(dt);
      if (loops.getTopLevelLoops().size() <= kMaxTopLevelLoopsPerFunction)
        continue;
      for (llvm::Loop *loop : loops.getTopLevelLoops())
        regions.emplace_back(loop->getBlocks().begin(), loop->getBlocks().end());
    }
    llvm::CodeExtractorAnalysisCache cache(*f);
    for (auto &blocks : regions) {
      // The header first: the extractor takes the first block as the entry.
      llvm::CodeExtractor extractor(blocks, /*DT=*/nullptr, /*AggregateArgs=*/false,
                                    /*BFI=*/nullptr, /*BPI=*/nullptr, /*AC=*/nullptr,
                                    /*AllowVarArgs=*/false, /*AllowAlloca=*/false,
                                    /*AllocationBlock=*/nullptr, "loop");
      if (!extractor.isEligible())
        continue;
      if (llvm::Function *out = extractor.extractCodeRegion(cache)) {
        out->addFnAttr(llvm::Attribute::NoInline);
        ++moved;
      }
    }
  }
  return moved;
}

} // namespace mlir::tern
