#include "common/pipeline/pipeline_file.hpp"

#include "common/util/error.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

namespace h5io {

namespace {

// A plain YAML scalar as YAML 1.2's core schema types it.
nlohmann::json plain_scalar(const std::string& text) {
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  int64_t whole = 0;
  const char* end = text.data() + text.size();
  if (!text.empty()) {
    const char* begin = text.data() + (text.front() == '+' ? 1 : 0);
    if (auto [p, ec] = std::from_chars(begin, end, whole); ec == std::errc() && p == end)
      return whole;
    double number = 0;
    if (auto [p, ec] = std::from_chars(begin, end, number);
        ec == std::errc() && p == end && std::isfinite(number))
      return number;
  }
  return text;
}

nlohmann::json to_json(const YAML::Node& node, const std::string& file) {
  switch (node.Type()) {
  case YAML::NodeType::Null: return nullptr;
  case YAML::NodeType::Scalar:
    // "!" is the tag of a quoted scalar: it stays text.
    return node.Tag() == "!" ? nlohmann::json(node.Scalar()) : plain_scalar(node.Scalar());
  case YAML::NodeType::Sequence: {
    nlohmann::json list = nlohmann::json::array();
    for (const YAML::Node& item : node) list.push_back(to_json(item, file));
    return list;
  }
  case YAML::NodeType::Map: {
    nlohmann::json object = nlohmann::json::object();
    for (const auto& entry : node) {
      const std::string key = entry.first.as<std::string>();
      if (object.contains(key))
        throw Error(fmt::format("pipeline file '{}', line {}: key '{}' is given twice", file,
                                entry.first.Mark().line + 1, key));
      object[key] = to_json(entry.second, file);
    }
    return object;
  }
  case YAML::NodeType::Undefined: break;
  }
  return nullptr;
}

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

} // namespace

proto::PipelineDescription read_pipeline_file(const std::filesystem::path& path) {
  const std::string file = path.string();
  std::ifstream in(path);
  if (!in) throw Error(fmt::format("cannot read pipeline file '{}'", file));
  std::stringstream text;
  text << in.rdbuf();
  const std::string content = text.str();
  nlohmann::json object;
  const size_t first = content.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && content[first] == '{') {
    try {
      object = nlohmann::json::parse(content);
    } catch (const nlohmann::json::parse_error& e) {
      throw Error(fmt::format("pipeline file '{}' is not valid JSON: {}", file, e.what()));
    }
  } else {
    try {
      object = to_json(YAML::Load(content), file);
    } catch (const YAML::Exception& e) {
      throw Error(fmt::format("pipeline file '{}' is not valid YAML: line {}, column {}: {}", file,
                              e.mark.line + 1, e.mark.column + 1, e.msg));
    }
  }
  try {
    return proto::parse_pipeline(object, fmt::format("pipeline file '{}'", file));
  } catch (const proto::ProtocolError& e) {
    throw Error(e.what());
  }
}

void apply_step_params(proto::PipelineDescription& pipeline,
                       const std::vector<std::string>& key_values) {
  std::vector<proto::PipelineStep>& steps = pipeline.steps;
  std::vector<std::string> names;
  for (size_t s = 0; s < steps.size(); ++s)
    names.push_back(fmt::format("{} {}", s + 1, steps[s].plugin));
  for (const std::string& entry : key_values) {
    const size_t eq = entry.find('=');
    const size_t dot = entry.find('.');
    if (eq == std::string::npos || dot == std::string::npos || dot > eq || dot == 0 ||
        dot + 1 == eq)
      throw Error(fmt::format("--param '{}': in a pipeline, say which step it is for: "
                              "STEP.KEY=VALUE, STEP a step's number or library (steps: {})",
                              entry, fmt::join(names, ", ")));
    const std::string step_name = entry.substr(0, dot);
    const std::string key = entry.substr(dot + 1, eq - dot - 1);
    const std::string value = entry.substr(eq + 1);
    if (step_name == "scan") {
      pipeline.params[entry.substr(0, eq)] = value;
      continue;
    }
    std::vector<size_t> matches;
    if (all_digits(step_name)) {
      const size_t number = std::stoul(step_name.substr(0, 6));
      if (number >= 1 && number <= steps.size()) matches.push_back(number - 1);
    } else {
      for (size_t s = 0; s < steps.size(); ++s)
        if (steps[s].plugin == step_name) matches.push_back(s);
    }
    if (matches.empty())
      throw Error(fmt::format("--param '{}': the pipeline has no step '{}' (steps: {})", entry,
                              step_name, fmt::join(names, ", ")));
    if (matches.size() > 1)
      throw Error(fmt::format("--param '{}': steps {} and {} are both '{}'; name the step by "
                              "its number",
                              entry, matches[0] + 1, matches[1] + 1, step_name));
    steps[matches.front()].params[key] = value;
  }
}

std::vector<StepSpec> step_specs(const std::vector<proto::PipelineStep>& steps) {
  std::vector<StepSpec> specs;
  for (size_t s = 0; s < steps.size(); ++s) {
    try {
      specs.push_back({steps[s].plugin, JobParams::from_json(steps[s].params), steps[s].save});
    } catch (const Error& e) {
      throw Error(fmt::format("pipeline step {} '{}': {}", s + 1, steps[s].plugin, e.what()));
    }
  }
  return specs;
}

} // namespace h5io
