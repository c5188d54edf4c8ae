// The NeXus side of an output, without HDF5: describe_output's `nexus:`
// entries (output_description.hpp) and where each output's NXdata goes
// (nexus_layout.hpp). The files themselves are checked end to end with silx
// and nxsummary (tests/e2e/nexus_test.py).
#include "common/pipeline/nexus_layout.hpp"
#include "common/pipeline/output_description.hpp"
#include "common/util/error.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace h5io {
namespace {

std::string refusal(const std::vector<AttributeValue>& answer, int rank) {
  try {
    read_output_description(answer, rank, "output 0");
  } catch (const Error& e) {
    return e.what();
  }
  return "accepted";
}

TEST(OutputDescription, SplitsAttributesFromNexusHints) {
  const OutputDescription d =
      read_output_description({{"units", std::string("1/pixel")},
                               {"nexus:axis0:name", std::string("z")},
                               {"nexus:axis0:units", std::string("um")},
                               {"nexus:axis0:scale", 6.5},
                               {"nexus:axis2:offset", int64_t{-3}},
                               {"nexus:default", int64_t{1}},
                               {"nexus:definition", std::string("NXtomoproc")}},
                              3, "output 0");
  ASSERT_EQ(d.attributes.size(), 1u);
  EXPECT_EQ(d.attributes[0].name, "units");
  ASSERT_EQ(d.nexus.axes.size(), 2u);
  EXPECT_EQ(d.nexus.axes.at(0).name, "z");
  EXPECT_EQ(d.nexus.axes.at(0).units, "um");
  EXPECT_EQ(d.nexus.axes.at(0).scale, 6.5);
  EXPECT_FALSE(d.nexus.axes.at(0).offset);
  EXPECT_EQ(d.nexus.axes.at(2).offset, -3.0);
  EXPECT_TRUE(d.nexus.is_default);
  EXPECT_EQ(d.nexus.definition, "NXtomoproc");
}

TEST(OutputDescription, RefusesWhatItCannotUse) {
  EXPECT_NE(refusal({{"nexus:axes", std::string("z")}}, 1).find("unknown key 'nexus:axes'"),
            std::string::npos);
  EXPECT_NE(refusal({{"nexus:axis0:unit", std::string("m")}}, 1).find("unknown key"),
            std::string::npos);
  EXPECT_NE(refusal({{"nexus:axis1:name", std::string("x")}}, 1)
                .find("names dimension 1, but the output has 1 (0 to 0)"),
            std::string::npos);
  EXPECT_NE(refusal({{"nexus:axis-1:name", std::string("x")}}, 2).find("names dimension -1"),
            std::string::npos);
  EXPECT_NE(refusal({{"nexus:axis0:name", std::string("two words")}}, 1)
                .find("an axis name is a letter or '_'"),
            std::string::npos);
  EXPECT_NE(refusal({{"nexus:axis0:scale", std::string("big")}}, 1).find("a finite number"),
            std::string::npos);
  EXPECT_NE(refusal({{"nexus:axis0:units", 1.0}}, 1).find("must be text"), std::string::npos);
  EXPECT_NE(refusal({{"nexus:default", int64_t{2}}}, 1).find("a boolean"), std::string::npos);
  EXPECT_NE(refusal({{"nexus:definition", std::string("NX tomo")}}, 1).find("definition"),
            std::string::npos);
}

NexusOutput output(std::string location, std::vector<int64_t> shape, int growing = 0) {
  return NexusOutput{std::move(location), std::move(shape), growing, {}};
}

TEST(NexusLayout, AnEntryChildBecomesTheNxdataAndOthersAreLinked) {
  // tomo_fbp: the volume's own group is the NXdata; the centre, in the same
  // group, gets one of its own.
  NexusOutput volume = output("/entry/reconstruction/data", {16, 64, 64});
  volume.hints.axes[0] = {"z", "um", {}, 6.5, {}};
  volume.hints.definition = "NXtomoproc";
  const NexusPlan plan = plan_nexus_layout({volume, output("/entry/reconstruction/center", {16})});
  ASSERT_EQ(plan.nxdata.size(), 2u);
  const PlannedNxdata& first = plan.nxdata[0];
  EXPECT_EQ(first.group, "/entry/reconstruction");
  EXPECT_FALSE(first.new_group);
  EXPECT_EQ(first.signal, "data");
  ASSERT_EQ(first.axes.size(), 3u);
  EXPECT_EQ(first.axes[0].name, "z");
  EXPECT_FALSE(first.axes[0].index);
  EXPECT_EQ(first.axes[0].scale, 6.5);
  EXPECT_EQ(first.axes[0].length, 16);
  EXPECT_EQ(first.axes[1].name, "dim1");
  EXPECT_TRUE(first.axes[1].index);
  EXPECT_EQ(first.axes[2].length, 64);
  const PlannedNxdata& second = plan.nxdata[1];
  EXPECT_EQ(second.group, "/entry/reconstruction_center");
  EXPECT_TRUE(second.new_group);
  EXPECT_EQ(second.signal, "center");
  EXPECT_EQ(second.source, "/entry/reconstruction/center");
  EXPECT_EQ(second.axes[0].name, "slice");
  EXPECT_EQ(plan.default_nxdata, 0u);
  EXPECT_EQ(plan.definition, "NXtomoproc");
}

TEST(NexusLayout, OutputsOutsideTheEntryGetGroupsOfTheirOwn) {
  // benchmark's, the talk example's (growing last), and names already taken.
  const NexusPlan plan =
      plan_nexus_layout({output("/benchmark/sum", {8}), output("/output/data", {4, 4, 5}, 2),
                         output("/entry/benchmark_sum", {8}), output("/entry/x/deeper/data", {8})});
  EXPECT_EQ(plan.nxdata[0].group, "/entry/benchmark_sum_2"); // the third output holds the name
  EXPECT_EQ(plan.nxdata[1].group, "/entry/output_data");
  EXPECT_EQ(plan.nxdata[1].axes[0].name, "dim0");
  EXPECT_EQ(plan.nxdata[1].axes[2].name, "slice");
  EXPECT_EQ(plan.nxdata[1].axes[2].length, 5);
  EXPECT_EQ(plan.nxdata[2].group, "/entry/benchmark_sum_3"); // its parent is the entry itself
  EXPECT_EQ(plan.nxdata[3].group, "/entry/x_deeper_data");   // not a child of the entry
  for (const char* reserved : {"/entry/process", "/entry/title", "/entry/process/x", "/entry"})
    EXPECT_TRUE(reserved_output_location(reserved)) << reserved;
  EXPECT_FALSE(reserved_output_location("/entry/processed"));
}

TEST(NexusLayout, AxisNamesAvoidTheGroupsOwnLinks) {
  NexusOutput data = output("/entry/r/data", {4, 3});
  data.hints.axes[0].name = "center"; // the other output's name
  data.hints.axes[1].name = "data";   // the signal's
  const NexusPlan plan = plan_nexus_layout({data, output("/entry/r/center", {4})});
  EXPECT_EQ(plan.nxdata[0].axes[0].name, "center_2");
  EXPECT_EQ(plan.nxdata[0].axes[1].name, "data_2");
}

TEST(NexusLayout, OneDefaultAndOneDefinition) {
  NexusOutput a = output("/a/x", {4}), b = output("/a/y", {4});
  b.hints.is_default = true;
  EXPECT_EQ(plan_nexus_layout({a, b}).default_nxdata, 1u);
  a.hints.is_default = true;
  EXPECT_THROW(plan_nexus_layout({a, b}), Error);
  a.hints.is_default = false;
  a.hints.definition = "NXtomoproc";
  b.hints.definition = "NXrefscan";
  EXPECT_THROW(plan_nexus_layout({a, b}), Error);
}

} // namespace
} // namespace h5io
