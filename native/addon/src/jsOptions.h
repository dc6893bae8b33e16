// Reading an options object from JS with errors that name the field.
#pragma once

#include <napi.h>

#include <string>

namespace lowbit {

inline Napi::Value field(const Napi::Object& options, const char* name) {
  return options.Get(name);
}

inline std::string requireString(const Napi::Object& options, const char* name) {
  Napi::Value value = options.Get(name);
  if (!value.IsString()) {
    throw Napi::TypeError::New(options.Env(), std::string("options.") + name + " must be a string");
  }
  return value.As<Napi::String>().Utf8Value();
}

inline std::string optionalString(const Napi::Object& options, const char* name) {
  Napi::Value value = options.Get(name);
  return value.IsString() ? value.As<Napi::String>().Utf8Value() : std::string();
}

inline int64_t optionalInt(const Napi::Object& options, const char* name, int64_t fallback) {
  Napi::Value value = options.Get(name);
  if (value.IsUndefined() || value.IsNull()) {
    return fallback;
  }
  if (!value.IsNumber()) {
    throw Napi::TypeError::New(options.Env(), std::string("options.") + name + " must be a number");
  }
  return value.As<Napi::Number>().Int64Value();
}

inline bool optionalBool(const Napi::Object& options, const char* name, bool fallback) {
  Napi::Value value = options.Get(name);
  return value.IsBoolean() ? value.As<Napi::Boolean>().Value() : fallback;
}

inline Napi::Object requireObject(const Napi::CallbackInfo& info, size_t index) {
  if (info.Length() <= index || !info[index].IsObject()) {
    throw Napi::TypeError::New(info.Env(), "expected an options object");
  }
  return info[index].As<Napi::Object>();
}

}  // namespace lowbit
