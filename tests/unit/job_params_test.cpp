#include "common/plugin_host/job_params.hpp"
#include "common/util/error.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using h5io::Error;
using h5io::JobParams;

TEST(JobParams, InfersTypesFromText) {
  const JobParams params =
      JobParams::parse({"axis=1", "ratio=0.25", "big=-12e3", "flag=true", "name=ram-lak",
                        "path=/entry/data", "empty=", "padded=+7", "nan=nan"});
  const auto view = params.view();
  ASSERT_EQ(view.size(), 9u);
  EXPECT_EQ(view[0].type, H5IO_PARAM_INT);
  EXPECT_EQ(view[0].int_value, 1);
  EXPECT_DOUBLE_EQ(view[0].float_value, 1.0);
  EXPECT_EQ(view[1].type, H5IO_PARAM_FLOAT);
  EXPECT_DOUBLE_EQ(view[1].float_value, 0.25);
  EXPECT_EQ(view[2].type, H5IO_PARAM_FLOAT);
  EXPECT_DOUBLE_EQ(view[2].float_value, -12000.0);
  EXPECT_EQ(view[3].type, H5IO_PARAM_BOOL);
  EXPECT_EQ(view[3].int_value, 1);
  EXPECT_EQ(view[4].type, H5IO_PARAM_STRING);
  EXPECT_STREQ(view[4].text, "ram-lak");
  EXPECT_STREQ(view[5].text, "/entry/data");
  EXPECT_EQ(view[6].type, H5IO_PARAM_STRING);
  EXPECT_STREQ(view[6].text, "");
  EXPECT_EQ(view[7].type, H5IO_PARAM_INT);
  EXPECT_EQ(view[7].int_value, 7);
  EXPECT_EQ(view[8].type, H5IO_PARAM_STRING) << "non-finite numbers stay text";
}

TEST(JobParams, ValueMayContainEquals) {
  const auto view = JobParams::parse({"command=a=b"}).view();
  EXPECT_STREQ(view[0].key, "command");
  EXPECT_STREQ(view[0].text, "a=b");
}

TEST(JobParams, IntegerTooLargeIsNotSilentlyWrapped) {
  const auto view = JobParams::parse({"n=99999999999999999999"}).view();
  EXPECT_NE(view[0].type, H5IO_PARAM_INT);
}

TEST(JobParams, JsonKeepsTypes) {
  const auto json = JobParams::parse({"a=1", "b=2.5", "c=false", "d=x"}).to_json();
  EXPECT_EQ(json, nlohmann::json::parse(R"({"a":1,"b":2.5,"c":false,"d":"x"})"));
}

TEST(JobParams, RejectsBadSyntaxNamingTheEntry) {
  const auto message = [](std::vector<std::string> entries) {
    try {
      JobParams::parse(entries);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message({"axis"}).find("bad parameter 'axis': expected KEY=VALUE"), std::string::npos);
  EXPECT_NE(message({"=3"}).find("the key '' must start with a letter"), std::string::npos);
  EXPECT_NE(message({"1x=3"}).find("the key '1x'"), std::string::npos);
  EXPECT_NE(message({"a b=3"}).find("the key 'a b'"), std::string::npos);
  EXPECT_NE(message({"a=1", "a=2"}).find("'a': given more than once"), std::string::npos);
}
