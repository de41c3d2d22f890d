# CMake package for an installed tickguard: find_package(tickguard CONFIG)
# gives the imported target tickguard::tickguard (the static C library, its
# headers, and the system libraries it needs: none beyond the C library).
# Relocatable: every path is relative to this file.
get_filename_component(_tickguard_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT TARGET tickguard::tickguard)
  add_library(tickguard::tickguard STATIC IMPORTED)
  set_target_properties(tickguard::tickguard PROPERTIES
    IMPORTED_LOCATION "${_tickguard_prefix}/lib/libtickguard.a"
    IMPORTED_LINK_INTERFACE_LANGUAGES "C"
    INTERFACE_INCLUDE_DIRECTORIES "${_tickguard_prefix}/include")
endif()
unset(_tickguard_prefix)
