#include "ledger/pow.h"

namespace tally::ledger {

using boost::multiprecision::int512_t;
using boost::multiprecision::uint512_t;

std::optional<Uint256> target_from_compact(std::uint32_t bits) {
  const int exponent = static_cast<int>(bits >> 24);
  const std::uint32_t mantissa = bits & 0x007fffff;
  if (bits & 0x00800000) return std::nullopt;  // negative
  if (mantissa == 0) return std::nullopt;
  Uint256 target;
  if (exponent <= 3) {
    target = Uint256(mantissa >> (8 * (3 - exponent)));
  } else {
    // Overflow if the mantissa's top byte would land above bit 255.
    if (exponent > 34 || (mantissa > 0xff && exponent > 33) || (mantissa > 0xffff && exponent > 32))
      return std::nullopt;
    target = Uint256(mantissa) << (8 * (exponent - 3));
  }
  if (target == 0) return std::nullopt;
  return target;
}

std::uint32_t compact_from_target(const Uint256& target) {
  int size = static_cast<int>((boost::multiprecision::msb(target) + 8) / 8);
  std::uint32_t mantissa;
  if (size <= 3) {
    mantissa = static_cast<std::uint32_t>(target) << (8 * (3 - size));
  } else {
    mantissa = static_cast<std::uint32_t>(target >> (8 * (size - 3)));
  }
  if (mantissa & 0x00800000) {  // keep the sign bit clear
    mantissa >>= 8;
    ++size;
  }
  return (static_cast<std::uint32_t>(size) << 24) | mantissa;
}

Uint256 hash_to_uint(const crypto::Hash256& hash) {
  Uint256 v;
  boost::multiprecision::import_bits(v, hash.begin(), hash.end(), 8, true);
  return v;
}

bool check_proof_of_work(const crypto::Hash256& hash, std::uint32_t bits, const Uint256& pow_limit) {
  const auto target = target_from_compact(bits);
  if (!target || *target > pow_limit) return false;
  return hash_to_uint(hash) <= *target;
}

Uint256 work_from_compact(std::uint32_t bits) {
  const auto target = target_from_compact(bits);
  if (!target) return 0;
  // 2^256 / (t + 1) == (~t / (t + 1)) + 1 without a 257-bit intermediate.
  return (~*target / (*target + 1)) + 1;
}

std::uint32_t asert_next_bits(const AsertParams& p, std::uint32_t parent_height, std::int64_t parent_time) {
  const Uint256 anchor_target = target_from_compact(p.anchor_bits).value_or(p.pow_limit);
  const std::int64_t time_delta = parent_time - p.anchor_time;
  const std::int64_t height_delta = static_cast<std::int64_t>(parent_height) - p.anchor_height;
  // 16.16 fixed point exponent; int512 keeps any product of these 64-bit values exact.
  const int512_t exponent_wide =
      (int512_t(time_delta - p.interval_s * height_delta) * 65536) / int512_t(p.half_life_s);
  // Beyond +-2^31 halvings the result is clamped anyway.
  const std::int64_t exponent = static_cast<std::int64_t>(
      std::clamp<int512_t>(exponent_wide, int512_t(-(std::int64_t{1} << 40)), int512_t(std::int64_t{1} << 40)));
  std::int64_t shifts = exponent >> 16;  // arithmetic shift: floor
  const std::uint64_t frac = static_cast<std::uint64_t>(exponent & 0xffff);
  // 2^(frac/65536) * 65536, cubic approximation (error < 0.013%), as aserti3-2d.
  const std::uint64_t factor =
      65536 + ((195766423245049ull * frac + 971821376ull * frac * frac + 5127ull * frac * frac * frac +
                (1ull << 47)) >>
               48);
  uint512_t next = uint512_t(anchor_target) * factor;
  shifts -= 16;
  if (shifts <= -512) {
    next = 0;
  } else if (shifts < 0) {
    next >>= static_cast<unsigned>(-shifts);
  } else if (shifts >= 256) {
    next = uint512_t(p.pow_limit);
  } else {
    next <<= static_cast<unsigned>(shifts);
  }
  if (next == 0) next = 1;
  if (next > uint512_t(p.pow_limit)) next = uint512_t(p.pow_limit);
  return compact_from_target(Uint256(next));
}

}  // namespace tally::ledger
