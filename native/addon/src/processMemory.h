#pragma once

#include <cstdint>

namespace lowbit {

/** The most resident memory this process has held, in bytes (0 where the OS does not say). */
uint64_t peakResidentBytes();

}  // namespace lowbit
