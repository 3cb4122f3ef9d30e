//===- OnnxRuntimeBaseline.h - onnxruntime next to a decode bench ---------===//
#ifndef TERN_BENCH_ONNXRUNTIMEBASELINE_H
#define TERN_BENCH_ONNXRUNTIMEBASELINE_H

#include <string>
#include <utility>
#include <vector>

namespace tern::bench {

/// Runs scripts/bench_vs_onnxruntime.py for `config` with `threads` threads:
/// a random model of that config exported to ONNX (int8 ternary weights),
/// compiled with ternc and run by onnxruntime on the same file. Returns the
/// JSON fields to add to the decode line (`onnxruntime_tokens_per_s`,
/// `onnx_tern_tokens_per_s`, `vs_onnxruntime`), or none when `mode` is "off",
/// or "auto" and onnxruntime is not importable. False with `error` set when it
/// fails (or is missing under "on").
bool runOnnxRuntimeBaseline(const std::string &mode, const std::string &config, int threads,
                            std::vector<std::pair<std::string, std::string>> &fields,
                            std::string &error);

} // namespace tern::bench

#endif
