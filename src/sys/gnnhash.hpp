/* A 64-bit mixer (the SplitMix64 finaliser: bijective) for hashes and counter-based random numbers
   that must not depend on the rank count: the training noise, the graph's fingerprint */
#ifndef GNNHASH_HPP
#define GNNHASH_HPP

#include <cstdint>
#include <cstring>

inline uint64_t GNNMix64(uint64_t z)
{
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* The bits of a double, with -0 as +0 (equal coordinates hash equally) */
inline uint64_t GNNDoubleBits(double x)
{
  uint64_t b;
  if (x == 0) x = 0;
  std::memcpy(&b, &x, sizeof(b));
  return b;
}

#endif
