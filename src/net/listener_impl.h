// Internal to net/ and http/: what every listener does before accepting — load a TLS
// server context and bind an acceptor — so the HTTP and Kafka servers share one version.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "base/result.h"

namespace wharf::net {

// A TLS 1.2+ server context from PEM files; errors name the listener and the file.
result<std::unique_ptr<boost::asio::ssl::context>> make_tls_server_context(
    const std::string& listener, const std::string& cert_file, const std::string& key_file);

// Opens, binds (host may be an address or a name) and listens; returns the bound port.
result<std::uint16_t> bind_acceptor(boost::asio::ip::tcp::acceptor& acceptor,
                                    const std::string& listener, const std::string& host,
                                    std::uint16_t port);

}  // namespace wharf::net
