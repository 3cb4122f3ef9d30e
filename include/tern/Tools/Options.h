//===- Options.h - command-line helpers shared by the Tern tools ----------===//
#ifndef TERN_TOOLS_OPTIONS_H
#define TERN_TOOLS_OPTIONS_H

#include "llvm/Support/CommandLine.h"

#include <string>

namespace tern {

/// The parser of an enumerated option (cl::values) whose error names every
/// choice, e.g. "--target: 'fpga' is not one of cpu, cuda, hls, hls-csim"
/// (llvm::cl's own says only "Cannot find option named 'fpga'!").
template <typename T>
class ChoiceParser : public llvm::cl::parser<T> {
public:
  using llvm::cl::parser<T>::parser;
  bool parse(llvm::cl::Option &option, llvm::StringRef argName, llvm::StringRef arg, T &value) {
    std::string names;
    for (const auto &v : this->Values) {
      if (v.Name == arg) {
        value = v.V.getValue();
        return false;
      }
      names += (names.empty() ? "" : ", ") + v.Name.str();
    }
    return option.error("'" + arg + "' is not one of " + names);
  }
  /// The spelling of `value` (the first, where several names share it).
  llvm::StringRef nameOf(const T &value) const {
    for (const auto &v : this->Values)
      if (v.V.getValue() == value)
        return v.Name;
    return "";
  }
};

} // namespace tern

#endif // TERN_TOOLS_OPTIONS_H
