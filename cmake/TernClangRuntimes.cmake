# Sets TERN_CLANG_RT_FLAGS to what clang needs to find its sanitizer and
# libFuzzer runtimes (libclang-rt-22-dev), or TERN_CLANG_RT_FOUND to FALSE.
#
# Debian's libclang-rt-22-dev installs the runtimes in the old lib/linux/
# layout (libclang_rt.fuzzer-x86_64.a) while clang-22 looks for the per-target
# one (lib/x86_64-pc-linux-gnu/libclang_rt.fuzzer.a): give clang a resource
# directory of symlinks with the layout it wants.
set(TERN_CLANG_RT_FLAGS "")
set(TERN_CLANG_RT_FOUND FALSE)
if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  return()
endif()
execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-resource-dir
                OUTPUT_VARIABLE TERN_CLANG_RESOURCE_DIR OUTPUT_STRIP_TRAILING_WHITESPACE)
set(TERN_RT_TRIPLE x86_64-pc-linux-gnu)
if(EXISTS ${TERN_CLANG_RESOURCE_DIR}/lib/${TERN_RT_TRIPLE}/libclang_rt.fuzzer.a)
  set(TERN_CLANG_RT_FOUND TRUE)
  return()
endif()
file(GLOB TERN_OLD_RT ${TERN_CLANG_RESOURCE_DIR}/lib/linux/*-x86_64*)
if(NOT TERN_OLD_RT)
  return()
endif()
set(TERN_SHIM ${PROJECT_BINARY_DIR}/clang-resource)
file(MAKE_DIRECTORY ${TERN_SHIM}/lib/${TERN_RT_TRIPLE})
if(NOT EXISTS ${TERN_SHIM}/include)
  file(CREATE_LINK ${TERN_CLANG_RESOURCE_DIR}/include ${TERN_SHIM}/include SYMBOLIC)
endif()
if(EXISTS ${TERN_CLANG_RESOURCE_DIR}/share AND NOT EXISTS ${TERN_SHIM}/share)
  file(CREATE_LINK ${TERN_CLANG_RESOURCE_DIR}/share ${TERN_SHIM}/share SYMBOLIC)
endif()
foreach(f ${TERN_OLD_RT})
  get_filename_component(name ${f} NAME)
  string(REPLACE "-x86_64" "" new ${name})
  if(NOT EXISTS ${TERN_SHIM}/lib/${TERN_RT_TRIPLE}/${new})
    file(CREATE_LINK ${f} ${TERN_SHIM}/lib/${TERN_RT_TRIPLE}/${new} SYMBOLIC)
  endif()
endforeach()
set(TERN_CLANG_RT_FLAGS -resource-dir=${TERN_SHIM})
set(TERN_CLANG_RT_FOUND TRUE)
