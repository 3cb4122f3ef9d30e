//===- HLSDriver.cpp - ternc's HLS target: package and C simulation -------===//
#include "tern/Target/HLS/HLSTarget.h"

#include "tern/Runtime/Model.h"

#include "mlir/Pass/PassManager.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

namespace mlir::tern {

static std::string join(StringRef dir, StringRef a, StringRef b = "") {
  SmallString<256> p(dir);
  llvm::sys::path::append(p, a);
  if (!b.empty())
    llvm::sys::path::append(p, b);
  return std::string(p);
}

FailureOr<ModelSignature> lowerForHLS(ModuleOp module, const HLSCompileOptions &options) {
  func::FuncOp found;
  int candidates = 0;
  for (auto fn : module.getOps<func::FuncOp>()) {
    if (fn.isExternal() || fn.isPrivate())
      continue;
    ++candidates;
    if (fn.getName() == "main" || !found)
      found = fn;
  }
  if (!found)
    return module.emitError("no public function to compile (expected @main)");
  if (candidates > 1 && found.getName() != "main")
    return module.emitError("several public functions and none is @main");
  FailureOr<ModelSignature> sig = getModelSignature(found);
  if (failed(sig))
    return failure();
  // Inputs are read-only AXI ports: bufferization must not update them.
  for (unsigned i = 0; i < found.getNumArguments(); ++i)
    found.setArgAttr(i, "bufferization.writable", BoolAttr::get(module.getContext(), false));
  PassManager pm(module.getContext());
  if (failed(applyPassManagerCLOptions(pm)))
    return failure();
  // Fixed math keeps divisions (ap_fixed truncates a quotient; a reciprocal
  // and a product would round twice).
  HLSPipelineOptions pipeline;
  pipeline.copyOptionValuesFrom(options.pipeline);
  if (options.package.math == HLSMath::Fixed)
    pipeline.rowReciprocal = false;
  buildHLSToLoopsPipeline(pm, pipeline);
  if (options.package.axisIO)
    pm.addPass(createTernHLSKeepStateOnChip());
  if (options.printPipeline) {
    *options.printPipeline << "// tern-hls-to-loops:\n";
    pm.printAsTextualPipeline(*options.printPipeline);
    *options.printPipeline << "\n";
  }
  if (failed(pm.run(module)))
    return failure();
  return sig;
}

static LogicalResult writeHLSStreamSteps(ModuleOp lowered, ModuleOp ternModule, StringRef dir,
                                         const ModelSignature &sig, int steps);

/// True if the lowered top keeps a recurrent state on chip (axis I/O).
static bool keepsStateOnChip(ModuleOp lowered) {
  FailureOr<func::FuncOp> top = getHLSTop(lowered);
  return succeeded(top) && llvm::any_of(top->getArguments(), [&](BlockArgument a) {
           return top->getArgAttr(a.getArgNumber(), hls::kStateOut);
         });
}

FailureOr<ModelSignature> compileHLSPackage(ModuleOp module, StringRef dir,
                                            const HLSCompileOptions &options) {
  // The tern-level module, kept for the CPU backend's goldens.
  OwningOpRef<ModuleOp> ternModule;
  if (options.cpuGoldens)
    ternModule = module.clone();
  if (options.progress)
    options.progress("lowering to static loops on arrays (tern-hls-to-loops)");
  FailureOr<ModelSignature> sig = lowerForHLS(module, options);
  if (failed(sig))
    return failure();
  if (options.progress)
    options.progress(("writing the HLS package to " + dir).str());
  HLSPackageOptions package = options.package;
  package.pipeline = const_cast<HLSPipelineOptions *>(&options.pipeline);
  if (failed(writeHLSPackage(module, *sig, package, dir)))
    return failure();
  if (!options.cpuGoldens && !options.inputs)
    return sig;
  if (keepsStateOnChip(module)) {
    // The state lives in the kernel and starts at zero: tb_data holds a
    // sequence of tokens, and the goldens carry the state from step to step.
    if (options.inputs)
      return emitError(module.getLoc(),
                       "--hls-io=axis keeps the recurrent state on chip (zero after "
                       "reset_state), so it cannot be given as an input; use "
                       "--hls-io=m_axi to run one step from a given state"),
             failure();
    if (options.progress)
      options.progress("golden outputs of 4 tokens from the CPU backend (tb_data/*.golden.bin)");
    if (failed(writeHLSStreamSteps(module, *ternModule, dir, *sig, 4)))
      return failure();
    return sig;
  }
  std::vector<::tern::runtime::Array> made;
  if (!options.inputs)
    made = makeHLSTestInputs(*sig);
  const std::vector<::tern::runtime::Array> &inputs = options.inputs ? *options.inputs : made;
  if (failed(writeHLSInputs(module, dir, inputs)))
    return failure();
  if (!options.cpuGoldens)
    return sig;
  if (options.progress)
    options.progress("golden outputs from the CPU backend (tb_data/*.golden.bin)");
  if (failed(writeHLSGoldens(module, *ternModule, dir, inputs)))
    return failure();
  return sig;
}

std::vector<::tern::runtime::Array> makeHLSTestInputs(const ModelSignature &sig) {
  std::vector<::tern::runtime::Array> arrays;
  uint64_t state = 0x9E3779B97F4A7C15ull;
  for (const TensorSignature &t : sig.inputs) {
    ::tern::runtime::Array a;
    a.dtype = t.dtype;
    a.shape = t.shape;
    int64_t n = a.numElements();
    a.data.resize(n * ::tern::runtime::dtypeSize(t.dtype));
    char *p = a.data.data();
    for (int64_t i = 0; i < n; ++i) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      float f = static_cast<float>(static_cast<int64_t>(state >> 40) - (int64_t(1) << 23)) /
                static_cast<float>(int64_t(1) << 23);
      int64_t k = 1 + i % 2;
      switch (t.dtype) {
      case TERN_F32: memcpy(p + 4 * i, &f, 4); break;
      case TERN_F64: {
        double d = f;
        memcpy(p + 8 * i, &d, 8);
        break;
      }
      case TERN_I64: memcpy(p + 8 * i, &k, 8); break;
      case TERN_I32: {
        int32_t v = static_cast<int32_t>(k);
        memcpy(p + 4 * i, &v, 4);
        break;
      }
      case TERN_I8: p[i] = static_cast<char>(k); break;
      case TERN_BOOL: p[i] = static_cast<char>(i % 2); break;
      case TERN_F16: {
        uint16_t h = i % 2 ? 0x3800 : 0x3C00; // 0.5 or 1.0 in binary16
        memcpy(p + 2 * i, &h, 2);
        break;
      }
      case TERN_U8:
      case TERN_I16:
      case TERN_U16:
      case TERN_U32:
      case TERN_U64: // the low bytes of k (little-endian host), like the other integers
        memcpy(p + ::tern::runtime::dtypeSize(t.dtype) * i, &k, ::tern::runtime::dtypeSize(t.dtype));
        break;
      }
    }
    arrays.push_back(std::move(a));
  }
  return arrays;
}

/// Writes `a`'s bytes to `dir`/tb_data/`name` (the testbench's raw files).
static LogicalResult writeTBFile(Location loc, StringRef dir, const std::string &name,
                                 const ::tern::runtime::Array &a) {
  std::string path = join(dir, "tb_data", name);
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return emitError(loc) << "cannot write " << path << ": " << ec.message();
  os.write(a.data.data(), a.data.size());
  return success();
}

/// The ports of the lowered module's HLS top.
static FailureOr<std::vector<HLSPort>> getTopPorts(ModuleOp lowered) {
  FailureOr<func::FuncOp> top = getHLSTop(lowered);
  if (failed(top))
    return failure();
  return getHLSPorts(*top);
}

/// Pairs the top's ports of `kind` (in argument order) with `arrays` one to
/// one and calls `fn(port, index)` on each pair; a count mismatch is an error
/// ("got N <what>"). The index-check status registers have no CPU
/// counterpart and are skipped.
static LogicalResult
forEachPortOfKind(ModuleOp lowered, HLSPort::Kind kind,
                  const std::vector<::tern::runtime::Array> &arrays, StringRef what,
                  llvm::function_ref<LogicalResult(const HLSPort &, size_t)> fn) {
  Location loc = lowered.getLoc();
  FailureOr<std::vector<HLSPort>> ports = getTopPorts(lowered);
  if (failed(ports))
    return failure();
  auto paired = [&](const HLSPort &p) { return p.kind == kind && !p.status; };
  size_t count = llvm::count_if(*ports, paired);
  if (count != arrays.size())
    return emitError(loc) << "the HLS top has " << count
                          << (kind == HLSPort::Input ? " input" : " output") << " ports; got "
                          << arrays.size() << " " << what;
  size_t index = 0;
  for (const HLSPort &p : *ports)
    if (paired(p) && failed(fn(p, index++)))
      return failure();
  return success();
}

/// Compiles the tern-level module `ternModule` (consumed) with the CPU
/// backend's portable kernels for a generic x86-64 CPU and loads it.
static std::unique_ptr<::tern::runtime::Model> loadCPUGoldenModel(Location loc,
                                                                  ModuleOp ternModule) {
  FailureOr<ModelSignature> sig = prepareModelFunction(ternModule);
  if (failed(sig))
    return nullptr;
  // The portable kernels for a generic CPU: goldens must not depend on the host's ISA.
  CPUCodegenOptions codegen;
  codegen.cpu = "generic";
  codegen.features = "";
  if (failed(recordCPUTarget(ternModule, codegen)))
    return nullptr;
  PassManager pm(ternModule.getContext());
  buildCPUTernToLinalgPipeline(pm, "portable");
  buildCPULinalgToLLVMPipeline(pm);
  if (failed(pm.run(ternModule)))
    return emitError(loc) << "the CPU backend failed on the model (needed for the goldens)",
           nullptr;
  SmallString<128> soPath;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile("ternc-hls-golden", "so", soPath))
    return emitError(loc) << "cannot create a temporary file: " << ec.message(), nullptr;
  llvm::FileRemover removeSo(soPath);
  if (failed(buildModelLibrary(ternModule, *sig, codegen, soPath)))
    return nullptr;
  std::string error;
  std::unique_ptr<::tern::runtime::Model> model =
      ::tern::runtime::Model::load(std::string(soPath), error);
  if (!model)
    emitError(loc) << "cannot load the CPU golden model: " << error;
  return model;
}

LogicalResult writeHLSGoldens(ModuleOp lowered, ModuleOp ternModule, StringRef dir,
                              const std::vector<::tern::runtime::Array> &inputs) {
  Location loc = lowered.getLoc();
  std::unique_ptr<::tern::runtime::Model> model = loadCPUGoldenModel(loc, ternModule);
  if (!model)
    return failure();
  std::string error;
  std::vector<::tern::runtime::Array> outputs;
  if (!model->run(inputs, outputs, error))
    return emitError(loc) << "the CPU golden run failed: " << error;
  return forEachPortOfKind(
      lowered, HLSPort::Output, outputs, "outputs from the CPU model", [&](const HLSPort &p, size_t index) {
        const ::tern::runtime::Array &a = outputs[index];
        if (a.numElements() != p.numElements() ||
            ::tern::runtime::dtypeSize(a.dtype) != p.fileBytes)
          return LogicalResult(emitError(loc) << "CPU output " << index
                                              << " does not match HLS port '" << p.name << "'");
        return writeTBFile(loc, dir, p.name + ".golden.bin", a);
      });
}

static LogicalResult writeHLSStreamSteps(ModuleOp lowered, ModuleOp ternModule, StringRef dir,
                                         const ModelSignature &sig, int steps) {
  Location loc = lowered.getLoc();
  FailureOr<std::vector<HLSPort>> ports = getTopPorts(lowered);
  if (failed(ports))
    return failure();
  // CPU input/output number of each port (inputs in order; outputs without
  // the status registers).
  std::vector<int> cpuIndex(ports->size(), -1);
  int nIn = 0, nOut = 0;
  for (auto [i, p] : llvm::enumerate(*ports))
    if (p.kind == HLSPort::Input)
      cpuIndex[i] = nIn++;
    else if (p.kind == HLSPort::Output && !p.status)
      cpuIndex[i] = nOut++;
  std::unique_ptr<::tern::runtime::Model> model = loadCPUGoldenModel(loc, ternModule);
  if (!model)
    return failure();
  std::vector<::tern::runtime::Array> inputs = makeHLSTestInputs(sig), outputs;
  if (static_cast<int>(inputs.size()) != nIn)
    return emitError(loc) << "the CPU model has " << inputs.size() << " inputs, the HLS top "
                          << nIn;
  // Stream files: every step's tensor back to back.
  std::vector<::tern::runtime::Array> files(ports->size());
  for (int t = 0; t < steps; ++t) {
    for (auto [i, p] : llvm::enumerate(*ports)) {
      if (p.kind != HLSPort::Input)
        continue;
      ::tern::runtime::Array &a = inputs[cpuIndex[i]];
      if (p.statePair >= 0) {
        // Zero after reset, then the previous step's next state.
        if (t == 0)
          std::fill(a.data.begin(), a.data.end(), 0);
        else
          a.data = outputs[cpuIndex[p.statePair]].data;
        continue;
      }
      // Token ids 1, 2, 1, ... shifted by one each step; floats stay.
      size_t width = ::tern::runtime::dtypeSize(a.dtype);
      if (a.dtype == TERN_I64 || a.dtype == TERN_I32)
        for (int64_t k = 0; k < a.numElements(); ++k) {
          int64_t v = 1 + (k + t) % 2;
          memcpy(a.data.data() + width * k, &v, width); // little-endian low bytes
        }
      files[i].data.insert(files[i].data.end(), a.data.begin(), a.data.end());
    }
    std::string error;
    if (!model->run(inputs, outputs, error))
      return emitError(loc) << "the CPU golden run failed at step " << t << ": " << error;
    if (static_cast<int>(outputs.size()) != nOut)
      return emitError(loc) << "the CPU model has " << outputs.size() << " outputs, the HLS top "
                            << nOut;
    for (auto [i, p] : llvm::enumerate(*ports)) {
      if (p.kind != HLSPort::Output || p.status || p.statePair >= 0)
        continue;
      const ::tern::runtime::Array &a = outputs[cpuIndex[i]];
      if (a.numElements() != p.numElements() || ::tern::runtime::dtypeSize(a.dtype) != p.fileBytes)
        return emitError(loc) << "CPU output " << cpuIndex[i] << " does not match HLS port '"
                              << p.name << "'";
      files[i].data.insert(files[i].data.end(), a.data.begin(), a.data.end());
    }
  }
  for (auto [i, p] : llvm::enumerate(*ports)) {
    if (files[i].data.empty())
      continue;
    std::string name = p.kind == HLSPort::Input ? p.name + ".bin" : p.name + ".golden.bin";
    if (failed(writeTBFile(loc, dir, name, files[i])))
      return failure();
  }
  return success();
}

static bool fileTypeMatches(const HLSPort &port, tern_dtype dtype) {
  switch (dtype) {
  case TERN_F32: return port.fileType == "float";
  case TERN_I64: return port.fileType == "int64_t";
  case TERN_I32: return port.fileType == "int32_t";
  case TERN_I8: return port.fileType == "int8_t";
  default: return false;
  }
}

LogicalResult writeHLSInputs(ModuleOp module, StringRef dir,
                             const std::vector<::tern::runtime::Array> &inputs) {
  Location loc = module.getLoc();
  return forEachPortOfKind(
      module, HLSPort::Input, inputs, "inputs", [&](const HLSPort &p, size_t index) {
        const ::tern::runtime::Array &a = inputs[index];
        if (a.shape != p.shape || !fileTypeMatches(p, a.dtype))
          return LogicalResult(emitError(loc)
                               << "input " << index << " '" << p.name << "': expected "
                               << p.fileType << " with " << p.numElements()
                               << " elements in shape "
                               << llvm::make_range(p.shape.begin(), p.shape.end()));
        return writeTBFile(loc, dir, p.name + ".bin", a);
      });
}

LogicalResult runHLSCSim(ModuleOp module, const ModelSignature &sig, StringRef dir,
                         StringRef cxx, std::vector<::tern::runtime::Array> &outputs) {
  Location loc = module.getLoc();
  llvm::ErrorOr<std::string> compiler = llvm::sys::findProgramByName(cxx);
  // The default (g++) falls back to the LLVM installation's clang++.
  for (StringRef alt : {"clang++-22", "clang++", "c++"})
    if (!compiler && cxx == "g++")
      compiler = llvm::sys::findProgramByName(alt);
  if (!compiler)
    return emitError(loc) << "host C++ compiler '" << cxx << "' not found";
  if (failed(buildHLSCSim(loc, dir, *compiler)))
    return failure();
  std::string exe = join(dir, "csim.bin");
  SmallVector<std::string> owned = {exe, join(dir, "tb_data"), join(dir, "weights")};
  SmallVector<StringRef> args(owned.begin(), owned.end());
  std::string log = join(dir, "csim.log");
  std::optional<StringRef> redirects[] = {std::nullopt, StringRef(log), StringRef(log)};
  std::string error;
  int rc = llvm::sys::ExecuteAndWait(exe, args, std::nullopt, redirects, 0, 0, &error);
  if (rc != 0) {
    auto text = llvm::MemoryBuffer::getFile(log);
    return emitError(loc) << "C simulation failed (exit " << rc << ")"
                          << (text ? ": " + (*text)->getBuffer().str() : std::string());
  }
  FailureOr<std::vector<HLSPort>> ports = getTopPorts(module);
  if (failed(ports))
    return failure();
  size_t index = 0;
  outputs.clear();
  for (const HLSPort &p : *ports) {
    if (p.kind != HLSPort::Output || p.status)
      continue;
    if (index >= sig.outputs.size())
      return emitError(loc) << "more output ports than model outputs";
    ::tern::runtime::Array a;
    a.dtype = sig.outputs[index].dtype;
    a.shape = sig.outputs[index].shape;
    ++index;
    std::string path = join(dir, "tb_data", p.name + ".out.bin");
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
    if (!buffer)
      return emitError(loc) << "cannot read " << path;
    StringRef bytes = (*buffer)->getBuffer();
    if (static_cast<int64_t>(bytes.size()) !=
        a.numElements() * static_cast<int64_t>(::tern::runtime::dtypeSize(a.dtype)))
      return emitError(loc) << path << " has " << bytes.size() << " bytes, expected "
                            << a.numElements() * ::tern::runtime::dtypeSize(a.dtype);
    a.data.assign(bytes.begin(), bytes.end());
    outputs.push_back(std::move(a));
  }
  return success();
}

} // namespace mlir::tern
