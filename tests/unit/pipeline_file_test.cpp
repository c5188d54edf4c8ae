// Pipeline files (YAML and JSON), the STEP.KEY=VALUE overrides of the command
// line, and the steps as submit and assign carry them: what is read, and
// every mistake refused with a message that names it.

#include "common/pipeline/pipeline_file.hpp"
#include "common/util/error.hpp"
#include "proto/messages.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "scratch_dir.hpp"

namespace h5io {
namespace {

using nlohmann::json;

class PipelineFile : public ::testing::Test {
protected:
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    const std::filesystem::path path = dir_ / name;
    std::ofstream(path) << text;
    return path;
  }
  // The message of the Error reading TEXT throws; "" when it reads.
  std::string refusal(const std::string& text) const {
    try {
      read_pipeline_file(write("bad.yaml", text));
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
  test::ScratchDir dir_;
};

constexpr const char* kYaml = R"(# raw counts -> phase -> volume
steps:
  - plugin: normalise
  - plugin: paganin
    params: {energy_kev: 25, distance_m: 0.5, label: "25", flag: true, name: hann}
    save: true
  - plugin: tomo_fbp
    params:
      normalise: false
params: {scan.angles: /entry/rotation}
)";

TEST_F(PipelineFile, YamlIsTypedAsYaml12CoreSchema) {
  const proto::PipelineDescription pipeline = read_pipeline_file(write("p.yaml", kYaml));
  ASSERT_EQ(pipeline.steps.size(), 3U);
  EXPECT_EQ(pipeline.steps[0].plugin, "normalise");
  EXPECT_EQ(pipeline.steps[0].params, json::object());
  EXPECT_FALSE(pipeline.steps[0].save);
  EXPECT_TRUE(pipeline.steps[1].save);
  // Plain scalars are typed; a quoted one stays text.
  EXPECT_EQ(pipeline.steps[1].params, (json{{"energy_kev", 25},
                                            {"distance_m", 0.5},
                                            {"label", "25"},
                                            {"flag", true},
                                            {"name", "hann"}}));
  EXPECT_EQ(pipeline.steps[2].params, (json{{"normalise", false}}));
  EXPECT_EQ(pipeline.params, (json{{"scan.angles", "/entry/rotation"}}));
}

TEST_F(PipelineFile, JsonGivesTheSamePipeline) {
  const json document = {{"steps",
                          {{{"plugin", "normalise"}},
                           {{"plugin", "paganin"},
                            {"params",
                             {{"energy_kev", 25},
                              {"distance_m", 0.5},
                              {"label", "25"},
                              {"flag", true},
                              {"name", "hann"}}},
                            {"save", true}},
                           {{"plugin", "tomo_fbp"}, {"params", {{"normalise", false}}}}}},
                         {"params", {{"scan.angles", "/entry/rotation"}}}};
  const proto::PipelineDescription from_json =
      read_pipeline_file(write("p.json", document.dump(2)));
  const proto::PipelineDescription from_yaml = read_pipeline_file(write("p.yaml", kYaml));
  EXPECT_EQ(proto::pipeline_steps_json(from_json.steps),
            proto::pipeline_steps_json(from_yaml.steps));
  EXPECT_EQ(from_json.params, from_yaml.params);
}

TEST_F(PipelineFile, MistakesAreRefusedByName) {
  const auto has = [](const std::string& message, const std::string& part) {
    return message.find(part) != std::string::npos;
  };
  std::string why = refusal("steps: []\n");
  EXPECT_TRUE(has(why, "at least one step")) << why;
  why = refusal("stepz:\n  - plugin: normalise\n");
  EXPECT_TRUE(has(why, "'stepz'") && has(why, "did you mean 'steps'")) << why;
  why = refusal("steps:\n  - plugin: normalise\n    sav: true\n");
  EXPECT_TRUE(has(why, "(step 1)") && has(why, "did you mean 'save'")) << why;
  why = refusal("steps:\n  - params: {a: 1}\n");
  EXPECT_TRUE(has(why, "'plugin'")) << why;
  why = refusal("steps:\n  - plugin: normalise\n    save: maybe\n");
  EXPECT_TRUE(has(why, "'save'")) << why;
  why = refusal("steps:\n  - plugin: normalise\n    params: [1, 2]\n");
  EXPECT_TRUE(has(why, "'params'")) << why;
  why = refusal("steps:\n  - plugin: normalise\n    params: {a: 1, a: 2}\n");
  EXPECT_TRUE(has(why, "line 3") && has(why, "'a' is given twice")) << why;
  why = refusal("steps:\n  - plugin: normalise\n   params: [\n");
  EXPECT_TRUE(has(why, "not valid YAML") && has(why, "line")) << why;
  why = refusal("{\"steps\": [\n");
  EXPECT_TRUE(has(why, "not valid JSON")) << why;
  why = refusal("- plugin: normalise\n");
  EXPECT_TRUE(has(why, "a mapping with a 'steps' list")) << why;
  std::string list = "steps:\n";
  for (size_t s = 0; s <= proto::kMaxPipelineSteps; ++s) list += "  - plugin: normalise\n";
  why = refusal(list);
  EXPECT_TRUE(has(why, "steps")) << why;
  EXPECT_NE(why, "");
  try {
    read_pipeline_file(dir_ / "none.yaml");
    FAIL() << "a missing file is read";
  } catch (const Error& e) {
    EXPECT_TRUE(has(e.what(), "cannot read pipeline file")) << e.what();
  }
}

TEST_F(PipelineFile, StepParamsByNumberByNameAndForTheScan) {
  proto::PipelineDescription pipeline = read_pipeline_file(write("p.yaml", kYaml));
  apply_step_params(pipeline, {"3.center=64.5", "paganin.energy_kev=30", "scan.darks=/d"});
  EXPECT_EQ(pipeline.steps[2].params.at("center"), "64.5"); // typed by JobParams later
  EXPECT_EQ(pipeline.steps[2].params.at("normalise"), false);
  EXPECT_EQ(pipeline.steps[1].params.at("energy_kev"), "30");
  EXPECT_EQ(pipeline.params.at("scan.darks"), "/d");
  const auto refusal = [&pipeline](const std::string& entry) -> std::string {
    try {
      apply_step_params(pipeline, {entry});
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(refusal("center=3").find("say which step"), std::string::npos);
  EXPECT_NE(refusal("7.center=3").find("no step '7' (steps: 1 normalise, 2 paganin, 3 tomo_fbp)"),
            std::string::npos);
  EXPECT_NE(refusal("ring.center=3").find("no step 'ring'"), std::string::npos);
  EXPECT_NE(refusal("0.center=3").find("no step '0'"), std::string::npos);
  EXPECT_NE(refusal(".center=3").find("say which step"), std::string::npos);

  proto::PipelineDescription twice = read_pipeline_file(
      write("twice.yaml", "steps:\n  - plugin: normalise\n  - plugin: normalise\n"));
  try {
    apply_step_params(twice, {"normalise.minus_log=true"});
    FAIL() << "an ambiguous step name is accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("steps 1 and 2 are both 'normalise'"), std::string::npos)
        << e.what();
  }
}

TEST_F(PipelineFile, StepSpecsNameTheStepWithBadParameters) {
  const std::vector<StepSpec> specs =
      step_specs({{"normalise", json::object(), false}, {"tomo_fbp", json{{"center", 3.5}}, true}});
  ASSERT_EQ(specs.size(), 2U);
  EXPECT_EQ(specs[1].plugin, "tomo_fbp");
  EXPECT_TRUE(specs[1].save);
  try {
    step_specs({{"normalise", json::object(), false},
                {"tomo_fbp", json{{"center", json::array()}}, false}});
    FAIL() << "a parameter that is a list is accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pipeline step 2 'tomo_fbp'"), std::string::npos)
        << e.what();
  }
}

// The steps through the protocol: a submit carries them and parses back
// equal; a submit with both a plugin and steps, or neither, is refused.
TEST(PipelineProtocol, SubmitWithStepsRoundTrips) {
  proto::SubmitRequest request;
  request.job = {"/data/scan.nxs",
                 "",
                 "/data/recon.h5",
                 json{{"scan.angles", "/a"}},
                 {{"normalise", json::object(), false},
                  {"paganin", json{{"energy_kev", 25}}, true},
                  {"tomo_fbp", json{{"normalise", false}}, false}}};
  const proto::ClientRequest parsed = proto::parse_client_request(proto::encode(request));
  const auto& back = std::get<proto::SubmitRequest>(parsed);
  EXPECT_EQ(proto::pipeline_steps_json(back.job.steps),
            proto::pipeline_steps_json(request.job.steps));
  EXPECT_EQ(back.job.plugin, "");
  EXPECT_EQ(proto::job_title(back.job), "normalise → paganin → tomo_fbp");

  const auto refusal = [](const json& submit) -> std::string {
    try {
      proto::parse_client_request(submit.dump());
    } catch (const proto::ProtocolError& e) {
      return e.what();
    }
    return "";
  };
  const json steps = json::array({{{"plugin", "normalise"}}});
  json both = {{"type", "submit"},
               {"input", "/i"},
               {"output", "/o"},
               {"plugin", "tomo_fbp"},
               {"steps", steps}};
  EXPECT_NE(refusal(both).find("steps"), std::string::npos) << refusal(both);
  json neither = both;
  neither.erase("plugin");
  neither.erase("steps");
  EXPECT_NE(refusal(neither), "");
  json misspelt = both;
  misspelt.erase("plugin");
  misspelt["steps"] = json::array({{{"plugin", "normalise"}, {"parms", json::object()}}});
  EXPECT_NE(refusal(misspelt).find("did you mean 'params'"), std::string::npos)
      << refusal(misspelt);
}

} // namespace
} // namespace h5io
