# Layer enforcement. Every library sees, on its include path, only its own folder and (through
# what it links) the folders of the layers below it, so an upward #include fails to compile:
# "p2p/net_core.h" from ledger/ is "file not found".
#
# How: the source tree's root is on no include path. For each library, tally_layer() makes a
# directory in the build tree holding one symbolic link, <folder> -> the source folder, and
# puts that directory on the library's PUBLIC include path. Linking a library (PUBLIC or
# PRIVATE) thus brings exactly its folder's headers, and CMake's link graph is the layer graph.
function(tally_layer target folder)
  set(dir ${CMAKE_BINARY_DIR}/layers/${folder})
  if(NOT EXISTS ${dir}/${folder})
    file(MAKE_DIRECTORY ${dir})
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${folder} ${dir}/${folder} SYMBOLIC)
  endif()
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "EXECUTABLE")
    target_include_directories(${target} PRIVATE ${dir})
  else()
    target_include_directories(${target} PUBLIC ${dir})
  endif()
endfunction()
