// What CUDA devices this process can use, asked of the runtime (no device needed to call it).
#pragma once

#include <string>

namespace parley::cuda {

int deviceCount();  // 0 when there is no usable device or driver
std::string describeDevices();

}  // namespace parley::cuda
