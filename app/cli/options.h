// Command-line options of a parley-cli sub-command: `--name value` pairs and `--flag`s, checked
// against what the command accepts so a typo is an error, not a silently ignored option.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace parley::cli {

class Options {
  public:
    // Returns nullopt after printing "error: ..." when an argument is unknown or lacks its value.
    static std::optional<Options> parse(const std::vector<std::string>& args,
                                        const std::set<std::string>& valued,
                                        const std::set<std::string>& flags);

    bool has(const std::string& name) const;
    std::string get(const std::string& name, const std::string& fallback = {}) const;
    // Numeric values; print an error and return nullopt when the value is not a number.
    std::optional<long long> getInt(const std::string& name, long long fallback) const;
    std::optional<double> getDouble(const std::string& name, double fallback) const;

  private:
    std::map<std::string, std::string> values_;
    std::set<std::string> flags_;
};

}  // namespace parley::cli
