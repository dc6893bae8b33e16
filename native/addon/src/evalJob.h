#pragma once

#include <napi.h>

namespace lowbit {
Napi::Value Evaluate(const Napi::CallbackInfo& info);
}
