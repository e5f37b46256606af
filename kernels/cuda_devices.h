// Entry points of the CUDA plug-in (libparley_cuda.so), looked up with dlsym by the host program.
// Plain C names so the look-up does not depend on C++ name mangling.
#pragma once

extern "C" {

// Number of usable devices; 0 when there is no device or driver.
int parley_cuda_device_count();
// Writes a one-line description of the devices (or why none can be used) into buf.
void parley_cuda_describe_devices(char* buf, int size);
}
