#include "options.h"

#include <cstdlib>
#include <iostream>

namespace parley::cli {

std::optional<Options> Options::parse(const std::vector<std::string>& args,
                                      const std::set<std::string>& valued,
                                      const std::set<std::string>& flags) {
    Options o;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto& a = args[i];
        if (valued.contains(a)) {
            if (i + 1 >= args.size()) {
                std::cerr << "error: " << a << " needs a value\n";
                return std::nullopt;
            }
            o.values_[a] = args[++i];
        } else if (flags.contains(a)) {
            o.flags_.insert(a);
        } else {
            std::cerr << "error: unknown option '" << a << "' (see parley-cli --help)\n";
            return std::nullopt;
        }
    }
    return o;
}

bool Options::has(const std::string& name) const {
    return flags_.contains(name) || values_.contains(name);
}

std::string Options::get(const std::string& name, const std::string& fallback) const {
    const auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second;
}

std::optional<long long> Options::getInt(const std::string& name, long long fallback) const {
    const auto it = values_.find(name);
    if (it == values_.end())
        return fallback;
    char* end = nullptr;
    const long long v = std::strtoll(it->second.c_str(), &end, 10);
    if (end == it->second.c_str() || *end != '\0') {
        std::cerr << "error: " << name << " '" << it->second << "' is not a whole number\n";
        return std::nullopt;
    }
    return v;
}

std::optional<double> Options::getDouble(const std::string& name, double fallback) const {
    const auto it = values_.find(name);
    if (it == values_.end())
        return fallback;
    char* end = nullptr;
    const double v = std::strtod(it->second.c_str(), &end);
    if (end == it->second.c_str() || *end != '\0') {
        std::cerr << "error: " << name << " '" << it->second << "' is not a number\n";
        return std::nullopt;
    }
    return v;
}

}  // namespace parley::cli
