# What `cmake --install` gives an application: include/mobiq/{mobiq.h,version.h}, libmobiq (static by
# default, shared with BUILD_SHARED_LIBS), a CMake package (find_package(mobiq) -> mobiq::mobiq), a
# pkg-config file (mobiq.pc) and the `mobiq` command.
#
# libmobiq links the runtime's own libraries. They are installed and exported beside it (as
# mobiq::mobiq_engine, ...), so a static libmobiq.a arrives with the archives it needs and a shared
# libmobiq.so with the shared libraries it was linked against (found through $ORIGIN). install(EXPORT)
# fails the configure step if one of them is missing from this list, so the list cannot go stale
# silently.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# In link order: every library before the ones it uses (pkg-config's static link line needs it).
set(MOBIQ_INSTALLED_LIBRARIES
  mobiq_capi mobiq_elastic mobiq_engine mobiq_mbq_model mobiq_format mobiq_tokenizer
  mobiq_backends mobiq_cpu mobiq_cpu_kernels mobiq_math mobiq_backend_api mobiq_core)
if(MOBIQ_VULKAN)
  list(INSERT MOBIQ_INSTALLED_LIBRARIES 7 mobiq_vulkan)
endif()
if(MOBIQ_CUDA)
  list(INSERT MOBIQ_INSTALLED_LIBRARIES 7 mobiq_cuda mobiq_cuda_ops)
endif()
set_target_properties(${MOBIQ_INSTALLED_LIBRARIES} PROPERTIES INSTALL_RPATH "$ORIGIN")
set_target_properties(mobiq PROPERTIES INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")

# mobiq_warnings carries only our compile warnings; static archives name it as a link-only dependency,
# so it travels in the export set, where it is an empty interface.
install(TARGETS ${MOBIQ_INSTALLED_LIBRARIES} mobiq_warnings
  EXPORT mobiqTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  PUBLIC_HEADER DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/mobiq)
# The command line tool also links the converter; shared, those libraries must be installed too.
if(BUILD_SHARED_LIBS)
  install(TARGETS mobiq_quantizer mobiq_hf_model mobiq_model LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  set_target_properties(mobiq_quantizer mobiq_hf_model mobiq_model PROPERTIES INSTALL_RPATH "$ORIGIN")
endif()

set(MOBIQ_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/mobiq)
install(EXPORT mobiqTargets NAMESPACE mobiq:: DESTINATION ${MOBIQ_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/mobiqConfig.cmake.in
  ${PROJECT_BINARY_DIR}/mobiqConfig.cmake INSTALL_DESTINATION ${MOBIQ_CMAKE_DIR})
# 0.x: a new minor version may change the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/mobiqConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/mobiqConfig.cmake ${PROJECT_BINARY_DIR}/mobiqConfigVersion.cmake
  DESTINATION ${MOBIQ_CMAKE_DIR})

# pkg-config: relocatable (paths from the .pc file's own directory); --static adds the runtime's
# archives and the system libraries they use.
file(RELATIVE_PATH MOBIQ_PC_PREFIX_FROM_PCFILEDIR
  ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
list(REMOVE_ITEM MOBIQ_INSTALLED_LIBRARIES mobiq_capi)
list(TRANSFORM MOBIQ_INSTALLED_LIBRARIES PREPEND "-l" OUTPUT_VARIABLE MOBIQ_PC_PRIVATE_LIBS)
list(JOIN MOBIQ_PC_PRIVATE_LIBS " " MOBIQ_PC_PRIVATE_LIBS)
if(MOBIQ_VULKAN)
  string(APPEND MOBIQ_PC_PRIVATE_LIBS " -lvulkan")
endif()
if(MOBIQ_CUDA)
  string(APPEND MOBIQ_PC_PRIVATE_LIBS " -L${CUDAToolkit_LIBRARY_DIR} -lcudart")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/mobiq.pc.in ${PROJECT_BINARY_DIR}/mobiq.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/mobiq.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
