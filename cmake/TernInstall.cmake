# `cmake --install` lays out tools, libraries, headers (with the generated
# .inc files and the .td sources) and a CMake package so another project can
# `find_package(Tern)` and build its own passes on the dialect.
include(CMakePackageConfigHelpers)

foreach(lib TernSupport TernUtils TernDialect TernTransforms TernConversion)
  target_include_directories(${lib} INTERFACE $<INSTALL_INTERFACE:include>)
endforeach()

install(TARGETS TernSupport TernUtils TernDialect TernTransforms TernConversion EXPORT TernTargets
  LIBRARY DESTINATION lib ARCHIVE DESTINATION lib)
# Libraries the tools link but that are not part of the CMake package (backends,
# importer): installed so the installed tools run.
foreach(lib TernTargetCPU TernImportONNX TernONNXDialect TernTargetHLS TernTargetCUDA TernRuntimeShared)
  if(TARGET ${lib})
    install(TARGETS ${lib} LIBRARY DESTINATION lib)
  endif()
endforeach()
install(TARGETS tern-opt tern-translate ternc ternc-generate RUNTIME DESTINATION bin)
install(TARGETS TernPlugin LIBRARY DESTINATION lib)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/tern DESTINATION include
  FILES_MATCHING PATTERN "*.h" PATTERN "*.td")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/dialects/Tern DESTINATION include
  FILES_MATCHING PATTERN "*.h" PATTERN "*.td")
install(DIRECTORY ${PROJECT_BINARY_DIR}/dialects/Tern DESTINATION include
  FILES_MATCHING PATTERN "*.inc" PATTERN "CMakeFiles" EXCLUDE)
install(DIRECTORY ${PROJECT_BINARY_DIR}/include/tern DESTINATION include
  FILES_MATCHING PATTERN "*.inc" PATTERN "CMakeFiles" EXCLUDE)

install(EXPORT TernTargets NAMESPACE Tern:: DESTINATION lib/cmake/Tern)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/TernConfig.cmake.in
  ${PROJECT_BINARY_DIR}/TernConfig.cmake INSTALL_DESTINATION lib/cmake/Tern)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/TernConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/TernConfig.cmake
  ${PROJECT_BINARY_DIR}/TernConfigVersion.cmake DESTINATION lib/cmake/Tern)

# --- A relocatable install of the tools (issue 17) ----------------------------
# Tools find their data relative to their own directory, <prefix>/bin:
#   <prefix>/share/tern/models/tiny-mmfree   the bundled model (ternc generate's default)
#   <prefix>/share/tern/python/tern          the Python package (ternc generate runs its
#                                            exporter; `pip install <prefix>/share/tern/python`)
#   <prefix>/share/tern/scripts              tern-bench's onnxruntime baseline script
# The build tree mirrors that layout under build/share/tern, so build/bin/ternc and an
# installed ternc resolve the same relative paths; no source path is compiled in.
set(TERN_SHARE_BUILD_DIR ${PROJECT_BINARY_DIR}/share/tern)
file(MAKE_DIRECTORY ${TERN_SHARE_BUILD_DIR}/models)
foreach(link models/tiny-mmfree python scripts)
  if(NOT EXISTS ${TERN_SHARE_BUILD_DIR}/${link})
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${link} ${TERN_SHARE_BUILD_DIR}/${link} SYMBOLIC)
  endif()
endforeach()
install(FILES
  ${PROJECT_SOURCE_DIR}/models/tiny-mmfree/model.onnx
  ${PROJECT_SOURCE_DIR}/models/tiny-mmfree/config.json
  ${PROJECT_SOURCE_DIR}/models/tiny-mmfree/tokenizer.json
  ${PROJECT_SOURCE_DIR}/models/tiny-mmfree/TRAINING.md
  DESTINATION share/tern/models/tiny-mmfree)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/python/tern DESTINATION share/tern/python
  FILES_MATCHING PATTERN "*.py" PATTERN "*.md" PATTERN "__pycache__" EXCLUDE)
install(FILES ${PROJECT_SOURCE_DIR}/python/pyproject.toml ${PROJECT_SOURCE_DIR}/python/requirements.txt
  DESTINATION share/tern/python)
if(TARGET tern-bench)
  install(TARGETS tern-bench RUNTIME DESTINATION bin)
  # tern-bench decode's onnxruntime baseline (share/tern/scripts/../python is the package).
  install(PROGRAMS ${PROJECT_SOURCE_DIR}/scripts/bench_vs_onnxruntime.py
    DESTINATION share/tern/scripts)
endif()
