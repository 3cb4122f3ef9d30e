# lit configuration for Tern's MLIR tests.
import os
import lit.formats

config.name = "Tern"
config.test_format = lit.formats.ShTest(True)
config.suffixes = [".mlir", ".onnxtxt", ".test"]
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "unit", "Inputs", "install"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.tern_obj_root, "test")

# Project tools first, then the LLVM tools (FileCheck, not, the stock mlir-opt).
config.environment["PATH"] = os.pathsep.join(
    [config.tern_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")])
config.substitutions.append(("%tern_plugin", config.tern_plugin))
config.substitutions.append(("%stock_mlir_opt", os.path.join(config.llvm_tools_dir, "mlir-opt")))
config.substitutions.append(("%tern_src", config.tern_src_root))
config.substitutions.append(("%python", config.python))

# Cross-compiled AArch64 model libraries run under qemu-user with the aarch64 model runner.
import shutil
if shutil.which("qemu-aarch64") and shutil.which("aarch64-linux-gnu-gcc") and os.path.exists(
        os.path.join(config.tern_tools_dir, "aarch64-linux-gnu", "tern-run-model")):
    config.available_features.add("qemu-aarch64")
config.substitutions.append(("%tern_bin", config.tern_tools_dir))
