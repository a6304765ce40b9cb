#include "net/listener_impl.h"

#include <fmt/format.h>

namespace wharf::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

result<std::unique_ptr<asio::ssl::context>> make_tls_server_context(const std::string& listener,
                                                                    const std::string& cert_file,
                                                                    const std::string& key_file) {
  auto tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1);
  // The floor as OpenSSL states it too, so no option set elsewhere can lower it: TLS 1.2+.
  if (SSL_CTX_set_min_proto_version(tls->native_handle(), TLS1_2_VERSION) != 1) {
    return make_error(errc::internal, "{}: cannot require TLS 1.2 or later", listener);
  }
  boost::system::error_code ec;
  tls->use_certificate_chain_file(cert_file, ec);
  if (ec) {
    return make_error(errc::invalid_argument, "{}: cannot load TLS certificate '{}': {}", listener,
                      cert_file, ec.message());
  }
  tls->use_private_key_file(key_file, asio::ssl::context::pem, ec);
  if (ec) {
    return make_error(errc::invalid_argument, "{}: cannot load TLS key '{}': {}", listener,
                      key_file, ec.message());
  }
  return tls;
}

result<std::uint16_t> bind_acceptor(tcp::acceptor& acceptor, const std::string& listener,
                                    const std::string& host, std::uint16_t port) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) {
    // Accept host names too ("localhost").
    tcp::resolver resolver(acceptor.get_executor());
    auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec || results.empty()) {
      return make_error(errc::invalid_argument, "{}: cannot resolve listen host '{}'", listener,
                        host);
    }
    address = results.begin()->endpoint().address();
  }
  tcp::endpoint endpoint(address, port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return make_error(errc::io_error, "{}: cannot listen on {}:{}: {}", listener, host, port,
                      ec.message());
  }
  return acceptor.local_endpoint().port();
}

}  // namespace wharf::net
