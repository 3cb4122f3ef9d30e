//===- HLSDriver.cpp - ternc's HLS target: package and C simulation -------===//
#include "tern/Target/HLS/HLSTarget.h"

#include "mlir/Pass/PassManager.h"

#include "llvm/Support/FileSystem.h"
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
  buildHLSToLoopsPipeline(pm, options.pipeline);
  if (options.printPipeline) {
    *options.printPipeline << "// tern-hls-to-loops:\n";
    pm.printAsTextualPipeline(*options.printPipeline);
    *options.printPipeline << "\n";
  }
  if (failed(pm.run(module)))
    return failure();
  return sig;
}

FailureOr<ModelSignature> compileHLSPackage(ModuleOp module, StringRef dir,
                                            const HLSCompileOptions &options) {
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
  return sig;
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
  FailureOr<func::FuncOp> top = getHLSTop(module);
  if (failed(top))
    return failure();
  FailureOr<std::vector<HLSPort>> ports = getHLSPorts(*top);
  if (failed(ports))
    return failure();
  size_t index = 0;
  for (const HLSPort &p : *ports) {
    if (p.kind != HLSPort::Input)
      continue;
    if (index >= inputs.size())
      return emitError(loc) << "the model takes more inputs than the " << inputs.size() << " given";
    const ::tern::runtime::Array &a = inputs[index++];
    if (a.shape != p.shape || !fileTypeMatches(p, a.dtype))
      return emitError(loc) << "input " << index - 1 << " '" << p.name << "': expected "
                            << p.fileType << " with " << p.numElements() << " elements in shape "
                            << llvm::make_range(p.shape.begin(), p.shape.end());
    std::string path = join(dir, "tb_data", p.name + ".bin");
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
    if (ec)
      return emitError(loc) << "cannot write " << path << ": " << ec.message();
    os.write(a.data.data(), a.data.size());
  }
  if (index != inputs.size())
    return emitError(loc) << "the model takes " << index << " inputs, got " << inputs.size();
  return success();
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
  FailureOr<func::FuncOp> top = getHLSTop(module);
  if (failed(top))
    return failure();
  FailureOr<std::vector<HLSPort>> ports = getHLSPorts(*top);
  if (failed(ports))
    return failure();
  size_t index = 0;
  outputs.clear();
  for (const HLSPort &p : *ports) {
    if (p.kind != HLSPort::Output)
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
