# Finds Thrust's headers for tapeless. Used by the build and by the installed tapeless-config.cmake.
#
# Defines the imported target tapeless::thrust (Thrust's include directory, as a system include,
# nothing else: the tapeless headers pick THRUST_DEVICE_SYSTEM themselves) and sets
#   TAPELESS_THRUST_FOUND, TAPELESS_THRUST_VERSION, TAPELESS_THRUST_SOURCE, TAPELESS_THRUST_MESSAGE.
#
# Order: TAPELESS_THRUST_INCLUDE_DIR if set; else the CCCL of a CUDA toolkit (nvcc always uses that
# one, so host and CUDA builds see the same Thrust); else the system's Thrust (Debian libthrust-dev).
# TAPELESS_THRUST=SYSTEM skips the toolkit, TAPELESS_THRUST=CCCL requires it.
set(TAPELESS_THRUST AUTO CACHE STRING "Thrust to use: AUTO (CUDA toolkit's CCCL if found, else system), CCCL or SYSTEM")
set_property(CACHE TAPELESS_THRUST PROPERTY STRINGS AUTO CCCL SYSTEM)
set(TAPELESS_THRUST_INCLUDE_DIR "" CACHE PATH "Directory holding thrust/version.h (overrides TAPELESS_THRUST)")

set(TAPELESS_THRUST_FOUND FALSE)
set(TAPELESS_THRUST_MESSAGE "")
set(_tl_thrust_dir "")

if(TAPELESS_THRUST_INCLUDE_DIR)
  set(_tl_thrust_dir "${TAPELESS_THRUST_INCLUDE_DIR}")
  set(TAPELESS_THRUST_SOURCE "TAPELESS_THRUST_INCLUDE_DIR")
elseif(NOT TAPELESS_THRUST STREQUAL "SYSTEM")
  set(_tl_roots "${CUDAToolkit_ROOT}" "$ENV{CUDA_PATH}" "$ENV{CUDA_HOME}")
  foreach(_tl_nvcc IN ITEMS "${CMAKE_CUDA_COMPILER}" "$ENV{CUDACXX}")
    if(_tl_nvcc)
      get_filename_component(_tl_root "${_tl_nvcc}/../.." ABSOLUTE)
      list(APPEND _tl_roots "${_tl_root}")
    endif()
  endforeach()
  find_program(_tl_nvcc_path nvcc NO_CACHE)
  if(_tl_nvcc_path)
    get_filename_component(_tl_root "${_tl_nvcc_path}/../.." ABSOLUTE)
    list(APPEND _tl_roots "${_tl_root}")
  endif()
  list(APPEND _tl_roots /usr/local/cuda)
  list(FILTER _tl_roots EXCLUDE REGEX "^$")
  find_path(_tl_cccl_dir thrust/version.h PATHS ${_tl_roots} PATH_SUFFIXES include/cccl include
            NO_DEFAULT_PATH NO_CACHE)
  if(_tl_cccl_dir)
    set(_tl_thrust_dir "${_tl_cccl_dir}")
    set(TAPELESS_THRUST_SOURCE "CCCL (CUDA toolkit)")
  elseif(TAPELESS_THRUST STREQUAL "CCCL")
    set(TAPELESS_THRUST_MESSAGE "TAPELESS_THRUST=CCCL but no CUDA toolkit with Thrust was found "
                                "(looked in: ${_tl_roots}); set CUDAToolkit_ROOT")
  endif()
endif()

if(NOT _tl_thrust_dir AND NOT TAPELESS_THRUST STREQUAL "CCCL")
  find_path(_tl_system_dir thrust/version.h NO_CACHE)
  if(_tl_system_dir)
    set(_tl_thrust_dir "${_tl_system_dir}")
    set(TAPELESS_THRUST_SOURCE "system")
  else()
    set(TAPELESS_THRUST_MESSAGE "Thrust not found: install libthrust-dev (Debian) or a CUDA toolkit, "
                                "or set TAPELESS_THRUST_INCLUDE_DIR")
  endif()
endif()

if(_tl_thrust_dir)
  string(REGEX REPLACE "(.)/+$" "\\1" _tl_thrust_dir "${_tl_thrust_dir}")
  if(EXISTS "${_tl_thrust_dir}/thrust/version.h")
    file(STRINGS "${_tl_thrust_dir}/thrust/version.h" _tl_v REGEX "^#define THRUST_VERSION [0-9]+")
    string(REGEX MATCH "[0-9]+" _tl_v "${_tl_v}")
    math(EXPR _tl_major "${_tl_v} / 100000")
    math(EXPR _tl_minor "${_tl_v} / 100 % 1000")
    math(EXPR _tl_patch "${_tl_v} % 100")
    set(TAPELESS_THRUST_VERSION "${_tl_major}.${_tl_minor}.${_tl_patch}")
    set(TAPELESS_THRUST_SOURCE "${TAPELESS_THRUST_SOURCE}, ${_tl_thrust_dir}")
    set(TAPELESS_THRUST_FOUND TRUE)
    if(NOT TARGET tapeless::thrust)
      # Imported, so the directory is passed with -isystem (CMake drops it when it is an
      # implicit directory such as /usr/include).
      add_library(tapeless::thrust INTERFACE IMPORTED)
      set_target_properties(tapeless::thrust PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${_tl_thrust_dir}")
    endif()
  else()
    set(TAPELESS_THRUST_MESSAGE "no thrust/version.h in TAPELESS_THRUST_INCLUDE_DIR=${_tl_thrust_dir}")
  endif()
endif()
