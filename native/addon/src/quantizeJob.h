#pragma once

#include <napi.h>

namespace lowbit {
Napi::Value Quantize(const Napi::CallbackInfo& info);
}
