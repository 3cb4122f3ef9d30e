# Fails when a committed docs/ page differs from the one generated from ODS.
foreach(page TernDialect.md TernPasses.md TernConversionPasses.md TernHLSPasses.md TernCUDAPasses.md
             TernONNXImportPasses.md ONNXDialect.md)
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files
                  ${GENERATED}/${page} ${COMMITTED}/${page} RESULT_VARIABLE differs)
  if(differs)
    message(FATAL_ERROR "docs/${page} is stale: run `ninja -C build tern-docs-update`")
  endif()
endforeach()
