// The one translation unit that compiles Boost.Beast (BOOST_BEAST_SEPARATE_COMPILATION is a
// PUBLIC definition of tally_rpc). Boost.Asio itself is compiled once in tally_asio
// (p2p/asio_impl.cpp), which tally_rpc links, since the P2P transport below uses it too.
#include <boost/beast/src.hpp>
