//===- OpenMPSchedule.cpp - load-balanced schedule for the row loops ------===//
//
// convert-scf-to-openmp gives every worksharing loop the static schedule:
// equal row blocks per thread. Weight streaming is not equally fast on every
// core (one thread's rows come from L3, the other's from DRAM), so the faster
// thread waited at the loop's barrier. `guided` hands out shrinking chunks
// (a few atomic grabs per loop) and lets the faster thread take more rows.
//
//===----------------------------------------------------------------------===//
#include "tern/Target/CPU/CPUTarget.h"

#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Pass/Pass.h"

namespace mlir::tern {
namespace {
struct OpenMPSchedulePass : PassWrapper<OpenMPSchedulePass, OperationPass<>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(OpenMPSchedulePass)
  StringRef getArgument() const override { return "tern-omp-guided-schedule"; }
  StringRef getDescription() const override {
    return "Give OpenMP worksharing loops without a schedule the guided schedule";
  }
  void runOnOperation() override {
    getOperation()->walk([](omp::WsloopOp loop) {
      if (!loop.getScheduleKind())
        loop.setScheduleKind(omp::ClauseScheduleKind::Guided);
    });
  }
};
} // namespace

std::unique_ptr<Pass> createOpenMPGuidedSchedulePass() { return std::make_unique<OpenMPSchedulePass>(); }

void registerOpenMPGuidedSchedulePass() { PassRegistration<OpenMPSchedulePass>(); }

} // namespace mlir::tern
