// Sub-commands of parley-cli. Each returns the process exit code: 0 success, 2 bad input.
#pragma once

#include <string>
#include <vector>

namespace parley::cli {

int runInspect(const std::vector<std::string>& args);
int runModels(const std::vector<std::string>& args);
int runTokenize(const std::vector<std::string>& args);
int runGenerate(const std::vector<std::string>& args);
int runBench(const std::vector<std::string>& args);

}  // namespace parley::cli
