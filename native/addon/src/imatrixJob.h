#pragma once

#include <napi.h>

namespace lowbit {
Napi::Value ComputeImatrix(const Napi::CallbackInfo& info);
Napi::Value ReadImatrix(const Napi::CallbackInfo& info);
}
