# Locates the Debian 12 packages installed by scripts/install-deps.sh. Nothing is downloaded.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

pkg_check_modules(SECP256K1 REQUIRED IMPORTED_TARGET libsecp256k1)
pkg_check_modules(CRYPTOPP REQUIRED IMPORTED_TARGET libcrypto++)
# OpenSSL's libcrypto, for its ChaCha20 only (the state hash expansion; see docs/DECISIONS.md).
find_package(OpenSSL REQUIRED COMPONENTS Crypto)

find_package(RocksDB CONFIG QUIET)
if(NOT TARGET RocksDB::rocksdb)
  find_library(ROCKSDB_LIB rocksdb REQUIRED)
  add_library(RocksDB::rocksdb UNKNOWN IMPORTED)
  set_target_properties(RocksDB::rocksdb PROPERTIES IMPORTED_LOCATION ${ROCKSDB_LIB})
endif()

# Boost 1.81 (Debian's versioned packages). JSON is linked as the compiled library.
find_package(Boost 1.81 EXACT REQUIRED COMPONENTS json system)

if(TALLY_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(TALLY_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
