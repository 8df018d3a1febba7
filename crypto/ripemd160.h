// RIPEMD-160 (Crypto++) and Hash160 = RIPEMD160(SHA256(x)), used for addresses.
#pragma once

#include "crypto/bytes.h"

namespace tally::crypto {

Hash160 ripemd160(ByteSpan data);
Hash160 hash160(ByteSpan data);

}  // namespace tally::crypto
