# Built by native/addon/build.mjs (the set-up step), which passes where node-llama-cpp's
# libllama/libggml and the llama.cpp headers are: nothing here names a path. The libraries are
# found relative to the addon first (a packaged app keeps both folders side by side), then at the
# absolute path they had when it was built.
{
  "targets": [
    {
      "target_name": "lowbit_addon",
      "sources": [
        "src/addon.cpp",
        "src/backends.cpp",
        "src/evalJob.cpp",
        "src/evalMath.cpp",
        "src/evalResult.cpp",
        "src/evalRunner.cpp",
        "src/gptq/compensate.cpp",
        "src/gptq/gptqGrids.cpp",
        "src/gptq/gramCollector.cpp",
        "src/gptq/gramKernel.cpp",
        "src/gptq/inverseFactor.cpp",
        "src/gptq/kquantGrids.cpp",
        "src/gptq/ptqtpSymbols.cpp",
        "src/gptqJob.cpp",
        "src/imatrixCollector.cpp",
        "src/imatrixFile.cpp",
        "src/imatrixJob.cpp",
        "src/logCapture.cpp",
        "src/logProbsFile.cpp",
        "src/nativeJob.cpp",
        "src/processMemory.cpp",
        "src/quantizeJob.cpp",
        "src/quantizeLog.cpp",
        "src/sizePlan.cpp"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<(llama_src_dir)/include",
        "<(llama_src_dir)/ggml/include"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O2"],
      "conditions": [
        [
          "OS=='linux'",
          {
            "libraries": [
              "<(llama_lib)",
              "<(ggml_lib)",
              "<(ggml_base_lib)",
              "-ldl",
              "-Wl,-rpath,'$$ORIGIN/<(llama_lib_rel)'",
              "-Wl,-rpath,<(llama_lib_dir)"
            ]
          }
        ],
        [
          "OS=='mac'",
          {
            "libraries": ["<(llama_lib)", "<(ggml_lib)", "<(ggml_base_lib)"],
            "xcode_settings": {
              "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
              "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
              "MACOSX_DEPLOYMENT_TARGET": "11.0",
              "OTHER_LDFLAGS": ["-Wl,-rpath,<(llama_lib_dir)"]
            }
          }
        ],
        [
          "OS=='win'",
          {
            "libraries": ["<(llama_lib)", "<(ggml_lib)", "<(ggml_base_lib)"],
            "msvs_settings": { "VCCLCompilerTool": { "ExceptionHandling": 1 } }
          }
        ]
      ]
    }
  ]
}
