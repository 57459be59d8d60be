# cmake --install and CPack: what ministack installs, in two components.
#   runtime      the program: bin/ministack, its man page, bash completion, docs and LICENSE (the .deb "ministack")
#   development  the I/O-free stack and the devices as a library: headers under include/ministack/, static
#                libraries, the CMake package (find_package(ministack) -> ministack::stack, ministack::device) and
#                ministack.pc (the .deb "ministack-dev")
include(CMakePackageConfigHelpers)

set(MINISTACK_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/ministack)
set(ministack_library_targets ministack_wire ministack_link ministack_ipv4 ministack_ipv6 ministack_transport
                              ministack_stack ministack_device)
foreach(lib IN LISTS ministack_library_targets)
  string(REPLACE "ministack_" "" short ${lib})
  set_target_properties(${lib} PROPERTIES EXPORT_NAME ${short})
  # GCC's link-time optimization otherwise leaves only its own bytecode in the objects, which no other compiler (nor
  # a build without -flto) can link: installed archives carry machine code too.
  if(CMAKE_INTERPROCEDURAL_OPTIMIZATION AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${lib} PRIVATE -ffat-lto-objects)
  endif()
endforeach()

install(TARGETS ministack RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)

# The man page and the Debian changelog, compressed as Debian policy wants them (gzip -n: no name or time inside, so
# the package is reproducible); `man` reads either form.
foreach(file docs/ministack.1 packaging/changelog)
  get_filename_component(name ${file} NAME)
  add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/${name}.gz
                     COMMAND gzip -9 -n -c ${PROJECT_SOURCE_DIR}/${file} > ${PROJECT_BINARY_DIR}/${name}.gz
                     DEPENDS ${PROJECT_SOURCE_DIR}/${file} VERBATIM)
endforeach()
add_custom_target(ministack_compressed_docs ALL DEPENDS ${PROJECT_BINARY_DIR}/ministack.1.gz
                                                        ${PROJECT_BINARY_DIR}/changelog.gz)
install(FILES ${PROJECT_BINARY_DIR}/ministack.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT runtime)

# bash completion: where bash-completion's pkg-config file says, made relative to its prefix so that it lands under
# ours (--prefix, DESTDIR); share/bash-completion/completions when bash-completion is not installed.
set(MINISTACK_BASH_COMPLETION_DIR ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
pkg_get_variable(bash_completion_dir bash-completion completionsdir)
pkg_get_variable(bash_completion_prefix bash-completion prefix)
if(bash_completion_dir AND bash_completion_prefix AND bash_completion_dir MATCHES "^${bash_completion_prefix}/(.+)$")
  set(MINISTACK_BASH_COMPLETION_DIR ${CMAKE_MATCH_1})
endif()
install(FILES scripts/completion/ministack DESTINATION ${MINISTACK_BASH_COMPLETION_DIR} COMPONENT runtime)

install(FILES README.md docs/tour.md docs/linux-parity.md docs/PERFORMANCE.md DESTINATION ${CMAKE_INSTALL_DOCDIR}
        COMPONENT runtime)
# LICENSE as it is, and as Debian's copyright file (packaging/copyright, machine-readable) with the changelog, in
# each package's own doc directory.
install(FILES LICENSE packaging/copyright ${PROJECT_BINARY_DIR}/changelog.gz DESTINATION ${CMAKE_INSTALL_DOCDIR}
        COMPONENT runtime)
install(FILES packaging/copyright ${PROJECT_BINARY_DIR}/changelog.gz
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/ministack-dev COMPONENT development)

# The library. Headers keep the source tree's layout (they include each other as "stack/wire/address.hpp").
install(DIRECTORY stack/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ministack/stack COMPONENT development
        FILES_MATCHING PATTERN "*.hpp")
install(DIRECTORY device/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ministack/device COMPONENT development
        FILES_MATCHING PATTERN "*.hpp")
install(TARGETS ${ministack_library_targets} EXPORT ministackTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT development
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ministack ${CMAKE_INSTALL_INCLUDEDIR})
# Debian's dh_strip does the same: GCC's LTO bytecode (present when MINISTACK_LTO built fat objects) taken out of
# the installed archives, so that a program linking them gets their machine code, whatever its compiler and flags,
# and no link-time optimization of ministack's code under that program's warnings.
set(ministack_installed_archives "")
foreach(lib IN LISTS ministack_library_targets)
  list(APPEND ministack_installed_archives "${CMAKE_INSTALL_LIBDIR}/$<TARGET_FILE_NAME:${lib}>")
endforeach()
install(CODE "
  foreach(archive ${ministack_installed_archives})
    if(NOT IS_ABSOLUTE \"\${archive}\")
      set(archive \"\${CMAKE_INSTALL_PREFIX}/\${archive}\")
    endif()
    execute_process(COMMAND \"${CMAKE_OBJCOPY}\" --wildcard --remove-section=.gnu.lto_* --remove-section=.gnu.debuglto_*
                            --strip-symbol=__gnu_lto_v1 --strip-symbol=__gnu_lto_slim --enable-deterministic-archives
                            \"\$ENV{DESTDIR}\${archive}\" RESULT_VARIABLE status)
    if(NOT status EQUAL 0)
      message(FATAL_ERROR \"objcopy could not take the LTO bytecode out of \${archive}\")
    endif()
  endforeach()" COMPONENT development)
install(EXPORT ministackTargets NAMESPACE ministack:: DESTINATION ${MINISTACK_CMAKE_DIR} COMPONENT development)
configure_package_config_file(cmake/ministackConfig.cmake.in ${PROJECT_BINARY_DIR}/ministackConfig.cmake
                              INSTALL_DESTINATION ${MINISTACK_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ministackConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)  # 0.x: a minor release may change the API
install(FILES ${PROJECT_BINARY_DIR}/ministackConfig.cmake ${PROJECT_BINARY_DIR}/ministackConfigVersion.cmake
        DESTINATION ${MINISTACK_CMAKE_DIR} COMPONENT development)

# pkg-config: the same library for builds without CMake. Only static archives, so their dependencies are Requires,
# not Requires.private.
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(MINISTACK_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(MINISTACK_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(MINISTACK_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  set(MINISTACK_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
# Its prefix is found from where the file lies (pkg-config's ${pcfiledir}), so that an install moved by --prefix or
# DESTDIR still points at its own headers.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(MINISTACK_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH ministack_pc_up "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
  string(REGEX REPLACE "/$" "" ministack_pc_up "${ministack_pc_up}")
  set(MINISTACK_PC_PREFIX "\${pcfiledir}/${ministack_pc_up}")
endif()
configure_file(cmake/ministack.pc.in ${PROJECT_BINARY_DIR}/ministack.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/ministack.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
        COMPONENT development)

include(cmake/package.cmake)
