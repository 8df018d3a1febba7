// Boost.Asio compiled once for the whole project (BOOST_ASIO_SEPARATE_COMPILATION): every
// other translation unit includes only Asio's declarations.
#include <boost/asio/impl/src.hpp>
