#include "http/router.h"

#include <gtest/gtest.h>

namespace wharf::http {
namespace {

response run(const router& r, std::string method, std::string path) {
  request req;
  req.method = std::move(method);
  req.path = std::move(path);
  response out;
  r.dispatch(std::move(req), [&out](response res) { out = std::move(res); });
  return out;
}

TEST(Router, MatchesParametersAndLiterals) {
  router r;
  r.add("GET", "/subjects/{subject}/versions/{version}", [](const request& req) {
    return response::text(200, req.param("subject") + "@" + req.param("version"));
  });
  r.add("GET", "/subjects/{subject}/versions/latest", [](const request& req) {
    return response::text(200, "latest of " + req.param("subject"));
  });
  EXPECT_EQ(run(r, "GET", "/subjects/orders/versions/3").body, "orders@3");
  EXPECT_EQ(run(r, "GET", "/subjects/orders/versions/latest").body, "latest of orders");
  EXPECT_EQ(run(r, "GET", "/subjects/orders/versions/3/").body, "orders@3");
  EXPECT_EQ(run(r, "GET", "/subjects/orders").status, 404);
}

TEST(Router, ParameterWithAnEncodedSlashIsDecoded) {
  router r;
  r.add("GET", "/subjects/{subject}/versions",
        [](const request& req) { return response::text(200, req.param("subject")); });
  // The server leaves "%2F" encoded in the path so the segment stays one.
  EXPECT_EQ(run(r, "GET", "/subjects/shop%2Fcommon%2Fmoney.proto/versions").body,
            "shop/common/money.proto");
  EXPECT_EQ(run(r, "GET", "/subjects/a%2Fb%20c/versions").body, "a/b c");
}

TEST(Router, RestParameterTakesRemainingSegments) {
  router r;
  r.add("GET", "/static/{file...}",
        [](const request& req) { return response::text(200, req.param("file")); });
  EXPECT_EQ(run(r, "GET", "/static/css/site.css").body, "css/site.css");
  EXPECT_EQ(run(r, "GET", "/static").status, 404);
}

TEST(Router, WrongMethodIs405WithAllow) {
  router r;
  r.add("GET", "/topics", [](const request&) { return response::text(200, "list"); });
  r.add("POST", "/topics", [](const request&) { return response::text(201, "made"); });
  auto res = run(r, "DELETE", "/topics");
  EXPECT_EQ(res.status, 405);
  EXPECT_EQ(res.header("Allow"), "GET, POST");
  EXPECT_NE(res.body.find("\"error_code\":405"), std::string::npos);
}

TEST(Router, HeadUsesGetRoute) {
  router r;
  r.add("GET", "/x", [](const request&) { return response::text(200, "body"); });
  EXPECT_EQ(run(r, "HEAD", "/x").status, 200);
}

TEST(Router, CustomErrorFormatter) {
  router r;
  r.set_error_formatter([](int status, std::string_view) {
    return response::error(status, status * 100 + 1, "custom");
  });
  auto res = run(r, "GET", "/nothing");
  EXPECT_EQ(res.status, 404);
  EXPECT_NE(res.body.find("40401"), std::string::npos);
}

TEST(JsonEscape, EscapesControlCharacters) {
  EXPECT_EQ(json_escape("a\"b\\c\n\x01"), "a\\\"b\\\\c\\n\\u0001");
  // Not UTF-8 (a stray byte, an overlong form, a surrogate, a cut sequence): U+FFFD.
  EXPECT_EQ(json_escape("/a\xFF\xC0\xAFz"), "/a\\ufffd\\ufffd\\ufffdz");
  EXPECT_EQ(json_escape("\xED\xA0\x80"), "\\ufffd\\ufffd\\ufffd");
  EXPECT_EQ(json_escape("\xE2\x82"), "\\ufffd\\ufffd");
  EXPECT_EQ(json_escape("caf\xC3\xA9 \xF0\x9F\x98\x80"), "caf\xC3\xA9 \xF0\x9F\x98\x80");
}

}  // namespace
}  // namespace wharf::http

namespace wharf::http {
namespace {

TEST(PercentEncodeSegment, KeepsUnreservedAndEncodesTheRest) {
  EXPECT_EQ(percent_encode_segment("orders-value_v1.2~x"), "orders-value_v1.2~x");
  EXPECT_EQ(percent_encode_segment("a/b c%"), "a%2Fb%20c%25");
  EXPECT_EQ(percent_encode_segment("\xc3\xa9"), "%C3%A9");
}

}  // namespace
}  // namespace wharf::http
