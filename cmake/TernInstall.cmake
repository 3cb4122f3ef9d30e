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
foreach(lib TernTargetCPU TernImportONNX TernONNXDialect TernTargetHLS TernTargetCUDA)
  if(TARGET ${lib})
    install(TARGETS ${lib} LIBRARY DESTINATION lib)
  endif()
endforeach()
install(TARGETS tern-opt tern-translate ternc RUNTIME DESTINATION bin)
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
