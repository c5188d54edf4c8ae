// JobParams::from_json: a job message's params mean what --param means.
#include "common/plugin_host/job_params.hpp"
#include "common/util/error.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstring>

using h5io::Error;
using h5io::JobParams;
using nlohmann::json;

namespace {

void expect_same(const JobParams& a, const JobParams& b) {
  const auto va = a.view();
  const auto vb = b.view();
  ASSERT_EQ(va.size(), vb.size());
  for (size_t i = 0; i < va.size(); ++i) {
    SCOPED_TRACE(va[i].key);
    EXPECT_STREQ(va[i].key, vb[i].key);
    EXPECT_EQ(va[i].type, vb[i].type);
    EXPECT_STREQ(va[i].text, vb[i].text);
    EXPECT_EQ(va[i].int_value, vb[i].int_value);
    EXPECT_DOUBLE_EQ(va[i].float_value, vb[i].float_value);
  }
}

std::string error_of(const json& object) {
  try {
    JobParams::from_json(object);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

} // namespace

TEST(JobParamsJson, StringsNumbersAndCommandLineAgree) {
  // json objects iterate in key order; --param lists are given in that order.
  const auto cli = JobParams::parse({"axis=1", "center=128.5", "flag=true", "huge=1e300",
                                     "name=ram-lak", "padded=+7", "whole=3.0"});
  expect_same(JobParams::from_json(json::parse(
                  R"({"axis":"1","center":"128.5","flag":"true","huge":"1e300","name":"ram-lak",
                      "padded":"+7","whole":"3.0"})")),
              cli);
  const auto typed = JobParams::from_json(json::parse(
      R"({"axis":1,"center":128.5,"flag":true,"huge":1e300,"name":"ram-lak","padded":7,
          "whole":3.0})"));
  const auto view = typed.view();
  EXPECT_EQ(view[0].type, H5IO_PARAM_INT);
  EXPECT_DOUBLE_EQ(view[1].float_value, 128.5);
  EXPECT_EQ(view[1].type, H5IO_PARAM_FLOAT);
  EXPECT_EQ(view[2].type, H5IO_PARAM_BOOL);
  EXPECT_EQ(view[3].type, H5IO_PARAM_FLOAT);
  EXPECT_DOUBLE_EQ(view[3].float_value, 1e300);
  EXPECT_EQ(view[5].int_value, 7);
  EXPECT_EQ(view[6].type, H5IO_PARAM_FLOAT) << "3.0 stays a float, as --param whole=3.0 does";
}

TEST(JobParamsJson, RoundTripsThroughToJson) {
  const auto params = JobParams::parse({"a=1", "b=2.5", "c=false", "d=x", "e=-4"});
  expect_same(JobParams::from_json(params.to_json()), params);
}

TEST(JobParamsJson, EmptyObjectIsNoParameters) {
  EXPECT_EQ(JobParams::from_json(json::object()).size(), 0u);
}

TEST(JobParamsJson, RefusesOtherTypesNamingTheKey) {
  EXPECT_EQ(error_of(json::parse(R"({"angles":[1,2]})")),
            "bad parameter 'angles': the value must be a string, number or boolean, got array");
  EXPECT_NE(error_of(json::parse(R"({"x":null})")).find("got null"), std::string::npos);
  EXPECT_NE(error_of(json::parse(R"({"x":{"y":1}})")).find("got object"), std::string::npos);
  EXPECT_EQ(error_of(json::array()), "parameters must be a JSON object of KEY: value, got array");
  EXPECT_NE(error_of(json("a=1")).find("got string"), std::string::npos);
  EXPECT_NE(error_of(json::parse(R"({"1x":1})")).find("the key '1x' must start with a letter"),
            std::string::npos);
}
