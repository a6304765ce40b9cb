// HTTP request and response values passed between the server and handlers. No Beast
// types here: services include this header, not the server's.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wharf::http {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct request {
  std::string method;                                      // upper case: GET, POST, ...
  std::string target;                                      // as received: path and query
  std::string path;                                        // percent-decoded path
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  header_list headers;
  std::string body;
  std::map<std::string, std::string> path_params;  // filled by the router
  std::string route;           // the matched pattern, e.g. "/subjects/{subject}"
  std::string remote_address;  // "127.0.0.1:53422"
  bool secure = false;         // arrived over TLS
  std::string principal;       // who sent it, once authentication ran; empty otherwise

  // Case-insensitive header lookup.
  std::optional<std::string_view> header(std::string_view name) const;
  std::optional<std::string_view> query_param(std::string_view name) const;
  // A path parameter of the matched route; empty if the route has none of that name.
  const std::string& param(const std::string& name) const;
};

struct response {
  int status = 200;
  header_list headers;
  std::string body;

  void set_header(std::string name, std::string value);
  std::optional<std::string_view> header(std::string_view name) const;

  static response json(int status, std::string body, std::string content_type = "application/json");
  static response text(int status, std::string body,
                       std::string content_type = "text/plain; charset=utf-8");
  // {"error_code": code, "message": message}: the shape Confluent's REST APIs use, and
  // ours everywhere unless a protocol prescribes another.
  static response error(int status, int error_code, std::string_view message);
  static response error(int status, std::string_view message) {
    return error(status, status, message);
  }
};

// The standard reason phrase ("Not Found") for a status code.
std::string_view reason_phrase(int status);

// Percent-encodes text for use as one path segment of a URL (RFC 3986 unreserved
// characters stay as they are).
std::string percent_encode_segment(std::string_view text);
// Decodes %XX escapes (a malformed escape stays as it is).
std::string percent_decode(std::string_view text);

// Escapes a string for inclusion inside JSON quotes.
std::string json_escape(std::string_view text);

}  // namespace wharf::http
