#include "processMemory.h"

#if defined(_WIN32)
#include <windows.h>
#include <psapi.h>
#pragma comment(lib, "psapi.lib")
#else
#include <sys/resource.h>
#endif

namespace lowbit {

uint64_t peakResidentBytes() {
#if defined(_WIN32)
  PROCESS_MEMORY_COUNTERS counters;
  if (GetProcessMemoryInfo(GetCurrentProcess(), &counters, sizeof(counters))) {
    return counters.PeakWorkingSetSize;
  }
  return 0;
#else
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) != 0) {
    return 0;
  }
#if defined(__APPLE__)
  return uint64_t(usage.ru_maxrss);  // bytes on macOS
#else
  return uint64_t(usage.ru_maxrss) * 1024;  // kilobytes on Linux
#endif
#endif
}

}  // namespace lowbit
