// The one translation unit that compiles Boost.Beast (BOOST_BEAST_SEPARATE_COMPILATION is a
// PUBLIC definition of tally_beast, which both the RPC client and the server link).
// Boost.Asio itself is compiled once in tally_asio (p2p/asio_impl.cpp).
#include <boost/beast/src.hpp>
